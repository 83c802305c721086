using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Repartir.Remote;
using Repartir.Remote.Wire;
using Repartir.Tasks;

namespace Repartir.Bench;

/// <summary>
/// <c>flood</c> (issue 9): hostile traffic against a real <c>repartir worker</c> process, bounded in count and
/// time: connections far past its limit, slowloris connections and half-sent frames, and a client that submits
/// tasks with 16 MiB of output and never reads. Counts what was tried and refused, whether the worker crashed,
/// its RSS and open descriptors before and after, and whether it still served a task during and after.
/// </summary>
internal static class FloodSuite
{
    private const int MaxConnections = 256;

    internal static JsonObject Run(string repartir, int waves, int unreadTasks = 30)
    {
        Console.WriteLine($"flood: a repartir worker (--max-connections {MaxConnections}, --idle-timeout 3s) against {waves} waves of 900 connections, 200 slowloris connections and a client that never reads");
        (Process worker, int port) = RemoteSuites.StartWorker(repartir, "flooded", 2, 0, "--max-connections", MaxConnections.ToString(CultureInfo.InvariantCulture), "--idle-timeout", "3s");
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        try
        {
            // A coordinator connected before the flood: the worker must go on serving it whatever else arrives.
            using var coordinatorClient = new TcpClient();
            coordinatorClient.Connect(endPoint);
            var coordinator = new Connection(coordinatorClient.GetStream());
            coordinator.HandshakeAsync(RemoteSuites.BenchHello).GetAwaiter().GetResult();
            using var beating = new CancellationTokenSource();
            Task heartbeats = Task.Run(async () =>
            {
                // A coordinator says something every second; silence past the idle timeout would (rightly) cut it.
                for (long sequence = 1; !beating.IsCancellationRequested; sequence++)
                {
                    await coordinator.SendAsync(new Heartbeat(sequence, 0, 0, -1, -1));
                    await Task.Delay(TimeSpan.FromSeconds(1), beating.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            });
            long taskIds = 0;
            bool Serving() => RunOn(coordinator, ++taskIds) is "alive\n";
            Serving();
            (long rssBefore, int fdsBefore) = Figures(worker);
            Console.WriteLine($"  before: RSS {rssBefore / 1024.0:0.0} MiB, {fdsBefore} descriptors");

            // 1. Connections past the limit, in waves this process's own descriptor limit allows.
            int tried = 0, refused = 0, held = 0;
            bool servedDuringFlood = true;
            for (int wave = 0; wave < waves; wave++)
            {
                var clients = new List<TcpClient>();
                for (int i = 0; i < 900; i++)
                {
                    var client = new TcpClient();
                    try
                    {
                        client.Connect(endPoint);
                        tried++;
                        clients.Add(client);
                    }
                    catch (SocketException)
                    {
                        client.Dispose();
                        refused++; // the backlog was full: refused by the kernel
                    }
                }

                foreach (TcpClient client in clients)
                {
                    client.Client.ReceiveTimeout = 2000;
                    try
                    {
                        // The worker sends its hello at once to a connection it serves; one past the limit is closed with nothing.
                        int read = client.GetStream().Read(new byte[1]);
                        (read == 0 ? ref refused : ref held)++;
                    }
                    catch (IOException)
                    {
                        refused++;
                    }
                }

                bool serving = Serving();
                clients.ForEach(c => c.Dispose());
                servedDuringFlood &= serving;
                Console.WriteLine($"  wave {wave + 1}: {clients.Count} connections, {held} served and {refused} refused so far; the connected coordinator's task ran meanwhile: {serving}");
            }

            // 2. Slowloris: 200 connections that say hello, then send a frame header promising 40 MiB and 3 bytes of it.
            var slow = new List<TcpClient>();
            var stalls = Stopwatch.StartNew();
            for (int i = 0; i < 200; i++)
            {
                var client = new TcpClient { NoDelay = true };
                client.Connect(endPoint);
                NetworkStream stream = client.GetStream();
                var connection = new Connection(stream);
                connection.HandshakeAsync(RemoteSuites.BenchHello).GetAwaiter().GetResult();
                byte[] header = new byte[7];
                BinaryPrimitives.WriteUInt32BigEndian(header, 40u << 20);
                header[4] = 0x81;
                header[5] = 0xA1;
                header[6] = 0x61;
                stream.Write(header);
                slow.Add(client);
            }

            bool servedDuringSlowloris = Serving();
            int cut = 0;
            foreach (TcpClient client in slow)
            {
                client.Client.ReceiveTimeout = 10_000;
                try
                {
                    var buffer = new byte[4096];
                    while (client.GetStream().Read(buffer) > 0)
                    {
                        // heartbeats, then the worker's error frame
                    }

                    cut++;
                }
                catch (IOException)
                {
                    cut++; // reset by the worker
                }
            }

            double cutAfter = stalls.Elapsed.TotalSeconds;
            slow.ForEach(c => c.Dispose());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  slowloris: {cut} of 200 cut by the idle timeout, all within {cutAfter:0.0} s of starting; a task ran meanwhile: {servedDuringSlowloris}"));

            // 3. A client that submits tasks of 16 MiB output and never reads a byte.
            using var greedy = new TcpClient { ReceiveBufferSize = 4096 };
            greedy.Connect(endPoint);
            var unread = new Connection(greedy.GetStream());
            // It accepts frames as large as a real coordinator does, so its results are really held for it (with the
            // bench's 1 MiB limit they would be refused as too large and sent without their output).
            unread.HandshakeAsync(RemoteSuites.BenchHello with { MaxFrameLength = 40 << 20 }).GetAwaiter().GetResult();
            for (int i = 1; i <= unreadTasks; i++)
            {
                unread.SendAsync(new Submit(i, 1, new TaskSpec("head", "-c", "16777216", "/dev/zero"))).AsTask().GetAwaiter().GetResult();
            }

            long peak = 0;
            for (int i = 0; i < 50; i++)
            {
                Thread.Sleep(100); // sampling the worker's memory while its results pile up: a measurement, not a synchronisation
                peak = Math.Max(peak, Figures(worker).RssKb);
            }

            bool servedDuringGreed = Serving();
            greedy.Dispose();
            Console.WriteLine($"  never-reading client: worker RSS peaked at {peak / 1024.0:0.0} MiB while it held {unreadTasks} x 16 MiB of unread output back; a task ran meanwhile: {servedDuringGreed}");

            string? after = Serves(endPoint);
            bool coordinatorServed = Serving();
            beating.Cancel();
            heartbeats.GetAwaiter().GetResult();
            int fdsAfter = 0;
            for (int i = 0; i < 50 && (fdsAfter = Figures(worker).Descriptors) > fdsBefore + 1; i++)
            {
                Thread.Sleep(100); // the closes of the last connections land: a measurement, not a synchronisation
            }

            long rssAfter = Figures(worker).RssKb;
            bool alive = !worker.HasExited;
            Console.WriteLine($"  after: RSS {rssAfter / 1024.0:0.0} MiB, {fdsAfter} descriptors; worker alive (crashes: {(alive ? 0 : 1)}); still serving: new connections {after is not null}, the coordinator connected before it all {coordinatorServed}");
            return new JsonObject
            {
                ["suite"] = "flood",
                ["max_connections"] = MaxConnections,
                ["connections_tried"] = tried,
                ["connections_served"] = held,
                ["connections_refused"] = refused,
                ["slowloris_cut"] = cut,
                ["slowloris_seconds"] = cutAfter,
                ["unread_tasks"] = unreadTasks,
                ["unread_peak_rss_mib"] = peak / 1024.0,
                ["rss_before_mib"] = rssBefore / 1024.0,
                ["rss_after_mib"] = rssAfter / 1024.0,
                ["fds_before"] = fdsBefore,
                ["fds_after"] = fdsAfter,
                ["crashes"] = alive ? 0 : 1,
                ["serving_after"] = after is not null && coordinatorServed,
                ["served_during"] = servedDuringSlowloris && servedDuringGreed && servedDuringFlood,
            };
        }
        finally
        {
            if (!worker.HasExited)
            {
                worker.Kill();
            }

            worker.WaitForExit();
            worker.Dispose();
        }
    }

    /// <summary>Runs one task over <paramref name="connection"/>; its output, or null when the worker did not serve it within 30 s.</summary>
    private static string? RunOn(Connection connection, long taskId)
    {
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            connection.SendAsync(new Submit(taskId, 1, new TaskSpec("echo", "alive")), limit.Token).AsTask().GetAwaiter().GetResult();
            while (connection.ReceiveAsync(limit.Token).AsTask().GetAwaiter().GetResult() is { } message)
            {
                if (message is Result result)
                {
                    return result.Outcome.Stdout;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ProtocolException)
        {
            Console.WriteLine("  the worker did not serve a task: " + e.Message);
        }

        return null;
    }

    /// <summary>Runs one task on the worker through a fresh connection; its output, or null when the worker did not serve it within 30 s.</summary>
    private static string? Serves(IPEndPoint endPoint)
    {
        try
        {
            using var client = new TcpClient();
            client.ConnectAsync(endPoint).WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            var connection = new Connection(client.GetStream());
            connection.HandshakeAsync(RemoteSuites.BenchHello).WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            return RunOn(connection, 1);
        }
        catch (Exception e) when (e is IOException or SocketException or TimeoutException or ProtocolException)
        {
            Console.WriteLine("  the worker did not take a connection: " + e.Message);
            return null;
        }
    }

    private static (long RssKb, int Descriptors) Figures(Process process)
    {
        string status = File.ReadAllText($"/proc/{process.Id}/status");
        string rss = status.Split('\n').First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        long kb = long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return (kb, Directory.GetFiles($"/proc/{process.Id}/fd").Length);
    }
}
