using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Repartir.Remote;
using Repartir.Remote.Wire;
using Repartir.Scheduling;
using Repartir.Security;
using Repartir.Tasks;

namespace Repartir.Bench;

/// <summary>
/// <c>tls</c> (issue 9): what mutual TLS costs. remote-spawn and remote-rtt through a TLS worker ÷ the same through
/// a plain one, interleaved; and connect + mutual handshake + hello + first task ÷ a bare SslStream mutual handshake
/// with the same certificates.
/// </summary>
internal static class TlsSuite
{
    internal static JsonObject Run(int tasks, int roundTrips, int handshakes, int pairs, int workers)
    {
        Console.WriteLine($"tls: {tasks} x /bin/true and {roundTrips} round trips per round, TLS vs plain worker, {pairs} interleaved rounds; {handshakes} handshakes each way");
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 authority = CertificateIssuer.CreateAuthority("bench CA", TimeSpan.FromDays(1), now);
        using X509Certificate2 server = CertificateIssuer.IssueServer(authority, "localhost", [], [IPAddress.Loopback], TimeSpan.FromDays(1), now);
        using X509Certificate2 client = CertificateIssuer.IssueClient(authority, "bench", TimeSpan.FromDays(1), now);
        var serverCredentials = new TlsCredentials(server, [authority], "bench CA");
        var clientCredentials = new TlsCredentials(client, [authority], "bench CA");

        var tlsWorker = new WorkerServer(new WorkerOptions { Bind = new IPEndPoint(IPAddress.Loopback, 0), Name = "bench-tls", Slots = workers, HeartbeatInterval = TimeSpan.FromHours(1), Tls = serverCredentials });
        var plainWorker = new WorkerServer(new WorkerOptions { Bind = new IPEndPoint(IPAddress.Loopback, 0), Name = "bench-plain", Slots = workers, HeartbeatInterval = TimeSpan.FromHours(1) });
        tlsWorker.Start();
        plainWorker.Start();
        using var tlsPool = new Pool(new PoolOptions { Name = "bench-tls", CpuWorkers = 0, Workers = [tlsWorker.LocalEndPoint.ToString()], Remote = new RemoteOptions { Tls = clientCredentials } });
        using var plainPool = new Pool(new PoolOptions { Name = "bench-plain", CpuWorkers = 0, Workers = [plainWorker.LocalEndPoint.ToString()] });
        Task.WhenAll(tlsPool.WhenWorkersTriedAsync(), plainPool.WhenWorkersTriedAsync()).GetAwaiter().GetResult();
        Connection tlsConnection = Open(tlsWorker.LocalEndPoint, clientCredentials);
        Connection plainConnection = Open(plainWorker.LocalEndPoint, null);
        Measurement.Warm(() => LocalSpawnSuite.RepartirRound(tlsPool, 200));
        Measurement.Warm(() => LocalSpawnSuite.RepartirRound(plainPool, 200));
        Measurement.Warm(() => RemoteSuites.ProtocolRound(tlsConnection, 500, 16, null));
        Measurement.Warm(() => RemoteSuites.ProtocolRound(plainConnection, 500, 16, null));

        var series = new Dictionary<string, List<double>>
        {
            ["tls_spawn_per_s"] = [], ["plain_spawn_per_s"] = [], ["tls_rtt_16_per_s"] = [], ["plain_rtt_16_per_s"] = [], ["tls_rtt_seq_per_s"] = [], ["plain_rtt_seq_per_s"] = [],
        };
        for (int i = 0; i < pairs; i++)
        {
            series["tls_spawn_per_s"].Add(tasks / Measurement.Seconds(() => LocalSpawnSuite.RepartirRound(tlsPool, tasks)));
            series["plain_spawn_per_s"].Add(tasks / Measurement.Seconds(() => LocalSpawnSuite.RepartirRound(plainPool, tasks)));
            series["tls_rtt_16_per_s"].Add(roundTrips / Measurement.Seconds(() => RemoteSuites.ProtocolRound(tlsConnection, roundTrips, 16, null)));
            series["plain_rtt_16_per_s"].Add(roundTrips / Measurement.Seconds(() => RemoteSuites.ProtocolRound(plainConnection, roundTrips, 16, null)));
            series["tls_rtt_seq_per_s"].Add(roundTrips / Measurement.Seconds(() => RemoteSuites.ProtocolRound(tlsConnection, roundTrips, 1, null)));
            series["plain_rtt_seq_per_s"].Add(roundTrips / Measurement.Seconds(() => RemoteSuites.ProtocolRound(plainConnection, roundTrips, 1, null)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {i + 1}: spawn tls {series["tls_spawn_per_s"][^1],7:0} /s plain {series["plain_spawn_per_s"][^1],7:0} /s   rtt 16 in flight tls {series["tls_rtt_16_per_s"][^1],7:0} /s plain {series["plain_rtt_16_per_s"][^1],7:0} /s"));
        }

        // Connect + mutual handshake + hello + first task, against a bare SslStream mutual handshake, interleaved.
        using var bare = new BareTlsServer(serverCredentials);
        var full = new List<double>();
        var baseline = new List<double>();
        for (int i = 0; i < handshakes; i++)
        {
            full.Add(Measurement.Seconds(() => FirstTask(tlsWorker.LocalEndPoint, clientCredentials)) * 1000);
            baseline.Add(Measurement.Seconds(() => BareHandshake(bare.EndPoint, client)) * 1000);
        }

        tlsConnection.DisposeAsync().AsTask().GetAwaiter().GetResult();
        plainConnection.DisposeAsync().AsTask().GetAwaiter().GetResult();
        tlsWorker.DisposeAsync().AsTask().GetAwaiter().GetResult();
        plainWorker.DisposeAsync().AsTask().GetAwaiter().GetResult();

        Measurement.Ratio spawn = Measurement.Ratios(series["tls_spawn_per_s"], series["plain_spawn_per_s"]);
        Measurement.Ratio rtt16 = Measurement.Ratios(series["tls_rtt_16_per_s"], series["plain_rtt_16_per_s"]);
        Measurement.Ratio rttSeq = Measurement.Ratios(series["tls_rtt_seq_per_s"], series["plain_rtt_seq_per_s"]);
        double fullMedian = Measurement.Median(full), bareMedian = Measurement.Median(baseline);
        Console.WriteLine($"  remote-spawn, TLS / plain:            {spawn}   (goal >= 0.9)");
        Console.WriteLine($"  remote-rtt 16 in flight, TLS / plain: {rtt16}   (goal >= 0.9)");
        Console.WriteLine($"  remote-rtt sequential, TLS / plain:   {rttSeq}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  connect + handshake + hello + first task: median {fullMedian:0.00} ms; bare SslStream mutual handshake {bareMedian:0.00} ms; ratio {fullMedian / bareMedian:0.00} (goal <= 1.2)"));
        JsonObject json = Measurement.Report("tls", pairs, spawn, "rtt_16_", rtt16, series.ToDictionary(p => p.Key, p => (IReadOnlyList<double>)p.Value));
        json["rtt_seq_ratio"] = rttSeq.Median;
        json["first_task_ms_median"] = fullMedian;
        json["bare_handshake_ms_median"] = bareMedian;
        json["first_task_over_bare_handshake"] = fullMedian / bareMedian;
        json["tasks"] = tasks;
        json["slots"] = workers;
        return json;
    }

    private static Connection Open(IPEndPoint endPoint, TlsCredentials? credentials)
    {
        var tcp = new TcpClient { NoDelay = true };
        tcp.Connect(endPoint);
        Stream stream = credentials is null ? tcp.GetStream() : TlsHandshake.ConnectAsync(tcp.GetStream(), "127.0.0.1", credentials, CancellationToken.None).GetAwaiter().GetResult();
        var connection = new Connection(stream);
        connection.HandshakeAsync(RemoteSuites.BenchHello).GetAwaiter().GetResult();
        return connection;
    }

    /// <summary>What a pool does to start using a TLS worker, up to the first task's result.</summary>
    private static void FirstTask(IPEndPoint endPoint, TlsCredentials credentials)
    {
        Connection connection = Open(endPoint, credentials);
        try
        {
            connection.SendAsync(new Submit(1, 1, new TaskSpec("/bin/true"))).AsTask().GetAwaiter().GetResult();
            while (connection.ReceiveAsync().AsTask().GetAwaiter().GetResult() is not Result)
            {
            }
        }
        finally
        {
            connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static void BareHandshake(IPEndPoint endPoint, X509Certificate2 certificate)
    {
        using var tcp = new TcpClient { NoDelay = true };
        tcp.Connect(endPoint);
        using var ssl = new SslStream(tcp.GetStream());
        ssl.AuthenticateAsClient(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ClientCertificates = [certificate],
            EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        ssl.ReadExactly(new byte[1]); // the server's one byte: its side of the handshake is done too (TLS 1.3 checks the client last)
    }

    /// <summary>The baseline: a loopback SslStream server that demands a client certificate and answers one byte.</summary>
    private sealed class BareTlsServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public BareTlsServer(TlsCredentials credentials)
        {
            _listener.Start();
            EndPoint = (IPEndPoint)_listener.LocalEndpoint;
            var context = SslStreamCertificateContext.Create(credentials.Certificate, null, offline: true);
            _ = Task.Run(async () =>
            {
                while (true)
                {
                    TcpClient accepted;
                    try
                    {
                        accepted = await _listener.AcceptTcpClientAsync();
                    }
                    catch (Exception e) when (e is ObjectDisposedException or SocketException)
                    {
                        return;
                    }

                    _ = Task.Run(async () =>
                    {
                        using TcpClient client = accepted;
                        await using var ssl = new SslStream(client.GetStream());
                        try
                        {
                            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                            {
                                ServerCertificateContext = context,
                                ClientCertificateRequired = true,
                                EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
                                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                                RemoteCertificateValidationCallback = (_, certificate, chain, _) => certificate is not null && TlsHandshake.Verify(certificate, chain, credentials, new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"), "client") is null,
                            });
                            await ssl.WriteAsync(new byte[] { 1 });
                        }
                        catch (Exception e) when (e is IOException or AuthenticationException)
                        {
                            // The client left.
                        }
                    });
                }
            });
        }

        public IPEndPoint EndPoint { get; }

        public void Dispose() => _listener.Stop();
    }
}
