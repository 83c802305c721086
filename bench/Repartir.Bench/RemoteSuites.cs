using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Repartir.Remote;
using Repartir.Remote.Wire;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Bench;

/// <summary>
/// The remote suites (issue 3): remote-spawn (a loopback worker ÷ the local pool), remote-rtt (protocol round
/// trips ÷ a raw length-prefixed echo) and fault (real worker processes killed with SIGKILL mid-run).
/// </summary>
internal static class RemoteSuites
{
    internal static readonly Hello BenchHello = new(MessageCodec.ProtocolVersion, "0.0.0", "bench", "bench", 0, [], 1 << 20, new Dictionary<string, string>());

    /// <summary>
    /// remote-spawn: N × /bin/true through one loopback worker daemon (all its slots) ÷ the same through the local pool.
    /// The worker runs in this process, or is <paramref name="externalWorker"/> (for example a <c>repartir worker</c>
    /// pinned to other cores than this process, with as many slots as <paramref name="workers"/>).
    /// </summary>
    internal static JsonObject Spawn(int tasks, int pairs, int workers, string? externalWorker = null)
    {
        Console.WriteLine($"remote-spawn: {tasks} x /bin/true, {workers} slots, one {(externalWorker is null ? "loopback worker in this process" : "worker at " + externalWorker)} vs the local pool, {pairs} interleaved rounds");
        using var local = new Pool(new PoolOptions { Name = "bench-local", CpuWorkers = workers });
        WorkerServer? worker = externalWorker is null ? new WorkerServer(new WorkerOptions { Bind = new IPEndPoint(IPAddress.Loopback, 0), Name = "bench-worker", Slots = workers }) : null;
        worker?.Start();
        using var remote = new Pool(new PoolOptions { Name = "bench-remote", CpuWorkers = 0, Workers = [externalWorker ?? worker!.LocalEndPoint.ToString()] });
        remote.WhenWorkersTriedAsync().GetAwaiter().GetResult();
        Measurement.Warm(() => LocalSpawnSuite.RepartirRound(local, 200));
        Measurement.Warm(() => LocalSpawnSuite.RepartirRound(remote, 200));

        var localRates = new List<double>();
        var remoteRates = new List<double>();
        for (int i = 0; i < pairs; i++)
        {
            localRates.Add(tasks / Measurement.Seconds(() => LocalSpawnSuite.RepartirRound(local, tasks)));
            remoteRates.Add(tasks / Measurement.Seconds(() => LocalSpawnSuite.RepartirRound(remote, tasks)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {i + 1}: remote {remoteRates[^1],8:0} /s   local {localRates[^1],8:0} /s"));
        }

        worker?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Measurement.Ratio ratio = Measurement.Ratios(remoteRates, localRates);
        Console.WriteLine($"  remote / local: {ratio}   (goal >= 0.9)");
        JsonObject json = Measurement.Report("remote-spawn", pairs, ratio, string.Empty, null, new Dictionary<string, IReadOnlyList<double>>
        {
            ["remote_tasks_per_s"] = remoteRates,
            ["local_tasks_per_s"] = localRates,
        });
        json["tasks"] = tasks;
        json["slots"] = workers;
        return json;
    }

    /// <summary>
    /// remote-rtt: no-op round trips through the protocol (a heartbeat the worker answers at once: framing,
    /// codec, the worker's receive loop) ÷ a raw length-prefixed echo over loopback, one at a time and 16 in flight.
    /// </summary>
    internal static JsonObject RoundTrips(int roundTrips, int pairs)
    {
        Console.WriteLine($"remote-rtt: {roundTrips} round trips per round, sequential and 16 in flight, {pairs} interleaved rounds");
        var worker = new WorkerServer(new WorkerOptions { Bind = new IPEndPoint(IPAddress.Loopback, 0), Name = "bench-worker", Slots = 1, HeartbeatInterval = TimeSpan.FromHours(1) });
        worker.Start();
        using var echo = new RawEcho();
        using var protocolClient = new TcpClient { NoDelay = true };
        protocolClient.Connect(worker.LocalEndPoint);
        var connection = new Connection(protocolClient.GetStream());
        connection.HandshakeAsync(BenchHello).GetAwaiter().GetResult();
        using var rawClient = new TcpClient { NoDelay = true };
        rawClient.Connect(echo.EndPoint);
        NetworkStream raw = rawClient.GetStream();
        int payload = HeartbeatLength();

        var protocolLatencies = new List<double>();
        var rawLatencies = new List<double>();
        Measurement.Warm(() => ProtocolRound(connection, 500, 1, null));
        Measurement.Warm(() => RawRound(raw, payload, 500, 1, null));
        var series = new Dictionary<string, List<double>>
        {
            ["protocol_seq_per_s"] = [], ["raw_seq_per_s"] = [], ["protocol_16_per_s"] = [], ["raw_16_per_s"] = [],
        };
        for (int i = 0; i < pairs; i++)
        {
            series["protocol_seq_per_s"].Add(roundTrips / Measurement.Seconds(() => ProtocolRound(connection, roundTrips, 1, protocolLatencies)));
            series["raw_seq_per_s"].Add(roundTrips / Measurement.Seconds(() => RawRound(raw, payload, roundTrips, 1, rawLatencies)));
            series["protocol_16_per_s"].Add(roundTrips / Measurement.Seconds(() => ProtocolRound(connection, roundTrips, 16, null)));
            series["raw_16_per_s"].Add(roundTrips / Measurement.Seconds(() => RawRound(raw, payload, roundTrips, 16, null)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {i + 1}: sequential protocol {series["protocol_seq_per_s"][^1],7:0} /s raw {series["raw_seq_per_s"][^1],7:0} /s   16 in flight protocol {series["protocol_16_per_s"][^1],7:0} /s raw {series["raw_16_per_s"][^1],7:0} /s"));
        }

        connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
        worker.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Measurement.Ratio sequential = Measurement.Ratios(series["protocol_seq_per_s"], series["raw_seq_per_s"]);
        Measurement.Ratio inFlight = Measurement.Ratios(series["protocol_16_per_s"], series["raw_16_per_s"]);
        Console.WriteLine($"  protocol / raw echo, sequential:   {sequential}   (goal >= 0.5)");
        Console.WriteLine($"  protocol / raw echo, 16 in flight: {inFlight}   (goal >= 0.5)");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  sequential latency: protocol p50 {Measurement.Percentile(protocolLatencies, 0.5):0.0} us p99 {Measurement.Percentile(protocolLatencies, 0.99):0.0} us; raw p50 {Measurement.Percentile(rawLatencies, 0.5):0.0} us p99 {Measurement.Percentile(rawLatencies, 0.99):0.0} us"));
        JsonObject json = Measurement.Report("remote-rtt", pairs, sequential, "in_flight_16_", inFlight, series.ToDictionary(p => p.Key, p => (IReadOnlyList<double>)p.Value));
        json["round_trips"] = roundTrips;
        json["protocol_p50_us"] = Measurement.Percentile(protocolLatencies, 0.5);
        json["protocol_p99_us"] = Measurement.Percentile(protocolLatencies, 0.99);
        json["raw_p50_us"] = Measurement.Percentile(rawLatencies, 0.5);
        json["raw_p99_us"] = Measurement.Percentile(rawLatencies, 0.99);
        return json;
    }

    /// <summary>
    /// fault: <paramref name="tasks"/> tasks over three <c>repartir worker</c> processes; every
    /// <paramref name="killEvery"/> one of them is killed with SIGKILL and started again on its port. Counts
    /// results received, duplicates and lost tasks.
    /// </summary>
    internal static JsonObject Fault(string repartir, int tasks, TimeSpan killEvery, int slots)
    {
        Console.WriteLine($"fault: {tasks} tasks over 3 workers of {slots} slots, one killed with SIGKILL every {killEvery.TotalSeconds:0.#} s");
        var workers = new Process?[3];
        var ports = new int[3];
        for (int i = 0; i < 3; i++)
        {
            (workers[i], ports[i]) = StartWorker(repartir, $"fault-{i + 1}", slots, 0);
        }

        var remoteOptions = new RemoteOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(250), HeartbeatTimeout = TimeSpan.FromSeconds(1.5), ReconnectMaxDelay = TimeSpan.FromSeconds(1) };
        using var pool = new Pool(new PoolOptions { Name = "fault", CpuWorkers = 0, Workers = [.. ports.Select(p => $"127.0.0.1:{p}")], Remote = remoteOptions });
        pool.WhenWorkersTriedAsync().GetAwaiter().GetResult();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        int kills = 0;
        Task killer = Task.Run(async () =>
        {
            for (int victim = 0; !stop.IsCancellationRequested; victim = (victim + 1) % 3)
            {
                try
                {
                    await Task.Delay(killEvery, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                workers[victim]!.Kill();
                workers[victim]!.WaitForExit();
                workers[victim]!.Dispose();
                kills++;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {clock.Elapsed.TotalSeconds,5:0.0} s: killed fault-{victim + 1}, restarting it"));
                (workers[victim], _) = StartWorker(repartir, $"fault-{victim + 1}", slots, ports[victim]);
            }
        });

        var seen = new Dictionary<long, int>();
        var outputs = new HashSet<string>(StringComparer.Ordinal);
        int received = 0, failed = 0, retried = 0;
        IAsyncEnumerable<TaskSpec> specs = Enumerable.Range(0, tasks).Select(i => new TaskSpec("sh", "-c", $"sleep 0.0{i % 10}; echo {i}")).ToAsyncEnumerable();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            foreach (TaskResult result in pool.RunAsync(specs, maxInFlight: tasks, cancellationToken: deadline.Token).ToBlockingEnumerable())
            {
                received++;
                seen[result.Id.Value] = seen.GetValueOrDefault(result.Id.Value) + 1;
                outputs.Add(result.Stdout);
                failed += result.Success ? 0 : 1;
                retried += result.Attempt > 1 ? 1 : 0;
            }
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("  the run did not finish within 5 minutes");
        }

        double seconds = clock.Elapsed.TotalSeconds;
        stop.Cancel();
        killer.GetAwaiter().GetResult();
        long lostWithWorkers = pool.RemoteWorkers.Sum(w => w.Lost);
        foreach (Process? worker in workers)
        {
            worker?.Kill();
            worker?.WaitForExit();
            worker?.Dispose();
        }

        int duplicates = seen.Values.Sum(count => count - 1);
        int distinctOutputs = Enumerable.Range(0, tasks).Count(i => outputs.Contains($"{i}\n"));
        int lost = tasks - seen.Count;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {seconds:0.0} s, {kills} kills: received {received} of {tasks}, duplicates {duplicates}, lost {lost}, failed {failed}; {retried} results needed more than one attempt ({lostWithWorkers} attempts lost with workers); every task's own output present: {distinctOutputs == tasks}"));
        return new JsonObject
        {
            ["suite"] = "fault",
            ["tasks"] = tasks,
            ["workers"] = 3,
            ["slots"] = slots,
            ["kill_every_s"] = killEvery.TotalSeconds,
            ["kills"] = kills,
            ["received"] = received,
            ["duplicates"] = duplicates,
            ["lost"] = lost,
            ["failed"] = failed,
            ["results_after_retry"] = retried,
            ["attempts_lost_with_workers"] = lostWithWorkers,
            ["outputs_all_present"] = distinctOutputs == tasks,
            ["seconds"] = seconds,
        };
    }

    internal static (Process Process, int Port) StartWorker(string repartir, string name, int slots, int port, params string[] more)
    {
        // Heartbeats every 250 ms unless the caller says otherwise: the fault suite's losses are noticed sooner.
        string[] heartbeat = more.Contains("--heartbeat") ? [] : ["--heartbeat", "250ms"];
        var start = new ProcessStartInfo(repartir, ["worker", "--bind", $"127.0.0.1:{port}", "--name", name, "--slots", slots.ToString(CultureInfo.InvariantCulture), .. heartbeat, .. more])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        Process process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + repartir);
        while (process.StandardError.ReadLine() is { } line)
        {
            int at = line.IndexOf("listening on 127.0.0.1:", StringComparison.Ordinal);
            if (at >= 0)
            {
                string rest = line[(at + "listening on 127.0.0.1:".Length)..];
                int bound = int.Parse(rest[..rest.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
                _ = process.StandardError.ReadToEndAsync(); // keep draining, or the worker blocks on a full pipe
                return (process, bound);
            }
        }

        throw new InvalidOperationException($"worker {name} exited before it listened (port {port} in use?)");
    }

    private static int HeartbeatLength()
    {
        using var buffer = new PooledBufferWriter();
        var writer = new MessagePackWriter(buffer);
        MessageCodec.Write(ref writer, new Heartbeat(1_000_000, 0, 0, -1, 1_000_000));
        return buffer.WrittenSpan.Length;
    }

    internal static void ProtocolRound(Connection connection, int roundTrips, int inFlight, List<double>? latencies)
    {
        var sentAt = new long[roundTrips + 1];
        using var window = new SemaphoreSlim(inFlight, inFlight);
        long first = Interlocked.Read(ref s_sequence) + 1;
        Task receiver = Task.Run(async () =>
        {
            for (int received = 0; received < roundTrips;)
            {
                if (await connection.ReceiveAsync() is Heartbeat { Echo: var echo } && echo >= first)
                {
                    latencies?.Add(Stopwatch.GetElapsedTime(sentAt[echo - first]).TotalMicroseconds);
                    received++;
                    window.Release();
                }
            }
        });
        for (int i = 0; i < roundTrips; i++)
        {
            window.Wait();
            long sequence = Interlocked.Increment(ref s_sequence);
            sentAt[sequence - first] = Stopwatch.GetTimestamp();
            connection.SendAsync(new Heartbeat(sequence, 0, 0, -1, -1)).AsTask().GetAwaiter().GetResult();
        }

        receiver.GetAwaiter().GetResult();
    }

    private static long s_sequence;

    private static void RawRound(NetworkStream stream, int payload, int roundTrips, int inFlight, List<double>? latencies)
    {
        var sentAt = new long[roundTrips];
        using var window = new SemaphoreSlim(inFlight, inFlight);
        Task receiver = Task.Run(async () =>
        {
            byte[] frame = new byte[4 + payload];
            for (int received = 0; received < roundTrips; received++)
            {
                await stream.ReadExactlyAsync(frame);
                latencies?.Add(Stopwatch.GetElapsedTime(sentAt[received]).TotalMicroseconds);
                window.Release();
            }
        });
        byte[] message = new byte[4 + payload];
        BinaryPrimitives.WriteUInt32BigEndian(message, (uint)payload);
        for (int i = 0; i < roundTrips; i++)
        {
            window.Wait();
            sentAt[i] = Stopwatch.GetTimestamp();
            stream.WriteAsync(message).AsTask().GetAwaiter().GetResult();
        }

        receiver.GetAwaiter().GetResult();
    }

    /// <summary>The baseline: a loopback server that sends every length-prefixed frame straight back.</summary>
    private sealed class RawEcho : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public RawEcho()
        {
            _listener.Start();
            EndPoint = (IPEndPoint)_listener.LocalEndpoint;
            _ = Task.Run(async () =>
            {
                using TcpClient client = await _listener.AcceptTcpClientAsync();
                client.NoDelay = true;
                NetworkStream stream = client.GetStream();
                byte[] frame = new byte[4 + (1 << 16)];
                try
                {
                    while (true)
                    {
                        await stream.ReadExactlyAsync(frame.AsMemory(0, 4));
                        int length = (int)BinaryPrimitives.ReadUInt32BigEndian(frame);
                        await stream.ReadExactlyAsync(frame.AsMemory(4, length));
                        await stream.WriteAsync(frame.AsMemory(0, 4 + length)); // one write per frame, as the worker does
                    }
                }
                catch (Exception e) when (e is IOException or EndOfStreamException or ObjectDisposedException)
                {
                    // The bench closed its end.
                }
            });
        }

        public IPEndPoint EndPoint { get; }

        public void Dispose() => _listener.Stop();
    }
}
