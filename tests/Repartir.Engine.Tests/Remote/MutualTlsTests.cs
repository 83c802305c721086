using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Repartir.Remote;
using Repartir.Scheduling;
using Repartir.Security;
using Repartir.Tasks;
using Repartir.Testing;
using Repartir.Tests.Security;

namespace Repartir.Tests.Remote;

/// <summary>The handshake matrix: each bad case is refused with a reason, before any protocol byte, and runs nothing.</summary>
public sealed class MutualTlsTests : IDisposable
{
    private readonly TestCertificates _pki = new();
    private readonly TempDirectory _directory = new();
    private readonly MemoryLogger _workerLog = new();

    public void Dispose()
    {
        _pki.Dispose();
        _directory.Dispose();
    }

    private WorkerServer StartWorker(TlsCredentials? tls)
    {
        var worker = new WorkerServer(
            new WorkerOptions
            {
                Bind = new IPEndPoint(IPAddress.Loopback, 0),
                Name = "tls-worker",
                Slots = 2,
                HeartbeatInterval = TimeSpan.FromMilliseconds(200),
                Process = TestPools.FastKill,
                Tls = tls,
            },
            _workerLog);
        worker.Start();
        return worker;
    }

    private static Pool PoolFor(WorkerServer worker, TlsCredentials? tls, string? address = null) =>
        TestRemote.Pool([address ?? worker.Address()], remote: TestRemote.Fast with { Tls = tls, ConnectTimeout = TimeSpan.FromSeconds(20) });

    /// <summary>A task that leaves a mark if it ever runs.</summary>
    private TaskSpec Marking() => new("touch", _directory.File("ran"));

    [Fact]
    public async Task A_pool_and_a_worker_with_certificates_from_one_CA_run_tasks_over_mutual_TLS()
    {
        await using WorkerServer worker = StartWorker(_pki.With(_pki.Server));
        await using Pool pool = PoolFor(worker, _pki.With(_pki.Client));

        TaskResult result = await pool.SubmitAsync(new TaskSpec("echo", "over tls")).Within(30);

        Assert.True(result.Success, result.ToString());
        Assert.Equal("over tls\n", result.Stdout);
        Assert.True(worker.UsesTls);
        Assert.Contains(_workerLog.Text.Split('\n'), l => l.Contains("mutual TLS", StringComparison.Ordinal));
    }

    public static TheoryData<string> RefusedClients => ["another CA", "expired", "not yet valid"];

    [Theory]
    [MemberData(nameof(RefusedClients))]
    public async Task A_client_certificate_the_worker_does_not_trust_is_refused_in_the_handshake_and_runs_nothing(string which)
    {
        X509Certificate2 certificate = which switch
        {
            "another CA" => _pki.ClientOfOtherAuthority,
            "expired" => _pki.ExpiredClient,
            _ => _pki.FutureClient,
        };
        await using WorkerServer worker = StartWorker(_pki.With(_pki.Server));
        await using Pool pool = PoolFor(worker, _pki.With(certificate));
        await pool.WhenWorkersTriedAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Task<TaskResult> task = pool.SubmitAsync(Marking());
        await Eventually.TrueAsync(() => _workerLog.Text.Contains("Refused connection", StringComparison.Ordinal), seconds: 30);

        WorkerClient seen = pool.RemoteWorkers[0];
        Assert.NotEqual(RemoteWorkerState.Online, seen.State);
        Assert.Contains("refused this pool's certificate", seen.LastError, StringComparison.Ordinal);
        string reason = which == "another CA" ? "does not chain to ca.pem" : "is valid only from";
        Assert.Contains(reason, _workerLog.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Coordinator", _workerLog.Text, StringComparison.Ordinal); // no hello was ever exchanged
        await pool.DisposeAsync();
        Assert.False((await task.Within(30)).Success);
        Assert.False(File.Exists(_directory.File("ran")));
    }

    [Fact]
    public async Task A_client_without_a_certificate_is_refused_before_it_sees_a_single_protocol_byte()
    {
        await using WorkerServer worker = StartWorker(_pki.With(_pki.Server));
        using var client = new TcpClient();
        await client.ConnectAsync(worker.LocalEndPoint);
        await using var ssl = new SslStream(client.GetStream());
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, _, _, _) => true, // an attacker trusts anything
        };

        byte[] buffer = new byte[64];
        Exception? refused = await Record.ExceptionAsync(async () =>
        {
            await ssl.AuthenticateAsClientAsync(options);
            int read = await ssl.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, read); // closed, with not one byte of the worker's hello
        });

        Assert.True(refused is null or AuthenticationException or IOException, refused?.ToString());
        await Eventually.TrueAsync(() => _workerLog.Text.Contains("presented no client certificate", StringComparison.Ordinal), seconds: 30);
    }

    [Fact]
    public async Task A_worker_certificate_for_another_host_is_refused_naming_what_it_holds()
    {
        await using WorkerServer worker = StartWorker(_pki.With(_pki.ServerForAnotherHost));
        await using Pool pool = PoolFor(worker, _pki.With(_pki.Client));
        await pool.WhenWorkersTriedAsync().WaitAsync(TimeSpan.FromSeconds(30));

        string? error = pool.RemoteWorkers[0].LastError;

        Assert.Contains("is not for '127.0.0.1'", error, StringComparison.Ordinal);
        Assert.Contains("elsewhere.example, 192.0.2.7", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_certificate_from_another_CA_is_refused_by_the_pool()
    {
        using X509Certificate2 impostor = CertificateIssuer.IssueServer(_pki.OtherAuthority, "localhost", [], [IPAddress.Loopback], TimeSpan.FromDays(1), DateTimeOffset.UtcNow);
        await using WorkerServer worker = StartWorker(new TlsCredentials(impostor, [_pki.OtherAuthority]));
        await using Pool pool = PoolFor(worker, _pki.With(_pki.Client));
        await pool.WhenWorkersTriedAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("does not chain to ca.pem", pool.RemoteWorkers[0].LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_TCP_to_a_TLS_worker_is_refused_and_says_TLS_may_be_needed()
    {
        await using WorkerServer worker = StartWorker(_pki.With(_pki.Server));
        await using Pool pool = PoolFor(worker, tls: null);
        await pool.WhenWorkersTriedAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("If the worker requires TLS", pool.RemoteWorkers[0].LastError, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => _workerLog.Text.Contains("Refused connection", StringComparison.Ordinal), seconds: 30);
    }

    [Fact]
    public async Task TLS_to_a_plain_TCP_worker_fails_the_handshake_and_says_so()
    {
        await using WorkerServer worker = StartWorker(tls: null);
        await using Pool pool = PoolFor(worker, _pki.With(_pki.Client));
        await pool.WhenWorkersTriedAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("TLS handshake failed", pool.RemoteWorkers[0].LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task New_credentials_serve_new_connections_while_established_ones_go_on()
    {
        await using WorkerServer worker = StartWorker(_pki.With(_pki.Server));
        await using Pool pool = PoolFor(worker, _pki.With(_pki.Client));
        Assert.True((await pool.SubmitAsync(new TaskSpec("true")).Within(30)).Success);
        using X509Certificate2 renewed = CertificateIssuer.IssueServer(_pki.Authority, "localhost", [], [IPAddress.Loopback], TimeSpan.FromDays(30), DateTimeOffset.UtcNow);

        worker.UseCredentials(_pki.With(renewed));

        Assert.True((await pool.SubmitAsync(new TaskSpec("true")).Within(30)).Success); // the established connection
        Assert.Equal(1, worker.Connections);
        Assert.Equal(renewed.Thumbprint, await TlsProbe.PresentedThumbprintAsync(worker.LocalEndPoint, _pki.Client));
    }

    [Fact]
    public async Task Random_and_mutated_frames_from_a_trusted_client_over_TLS_are_refused_cleanly()
    {
        // The fuzz harness again, through mutual TLS: what a holder of a stolen client certificate could send.
        FrameFuzzer.Report report = await FrameFuzzer.RunAsync(cases: 600, seed: 23, parallelism: 2, tls: (_pki.With(_pki.Server), _pki.Client));

        Assert.True(report.Failures.Count == 0, string.Join('\n', report.Failures));
        Assert.Equal(report.LiveCases, report.ErrorFrames + report.Answered + report.ClosedQuietly);
        Assert.True(report.ErrorFrames > 0 && report.Answered > 0, report.ToString());
        Assert.True(report.HealthChecks >= 1);
    }

    [SkippableFact]
    public async Task A_worker_and_a_pool_with_certificates_made_by_openssl_alone_run_tasks()
    {
        OpenSsl("req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=openssl-ca -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign");
        OpenSsl("req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr -subj /CN=localhost");
        OpenSsl("x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext");
        OpenSsl("req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=openssl-client");
        OpenSsl("x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 -extfile client.ext");
        using TlsCredentials serverTls = TlsCredentials.Load(_directory.File("server.pem"), _directory.File("server.key"), _directory.File("ca.pem"));
        using TlsCredentials clientTls = TlsCredentials.Load(_directory.File("client.pem"), _directory.File("client.key"), _directory.File("ca.pem"));
        await using WorkerServer worker = StartWorker(serverTls);
        await using Pool pool = PoolFor(worker, clientTls);

        TaskResult result = await pool.SubmitAsync(new TaskSpec("echo", "openssl made")).Within(30);

        Assert.True(result.Success, $"{result}: {pool.RemoteWorkers[0].LastError}");
        Assert.Equal("openssl made\n", result.Stdout);
    }

    private void OpenSsl(string arguments)
    {
        File.WriteAllText(_directory.File("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
        File.WriteAllText(_directory.File("client.ext"), "extendedKeyUsage=clientAuth\n");
        Security.OpenSsl.Run(_directory.Path, arguments);
    }

    [Fact]
    public void A_worker_on_an_address_other_hosts_reach_needs_TLS_or_an_explicit_opt_out()
    {
        var exposed = new WorkerOptions { Bind = new IPEndPoint(IPAddress.Any, 0), Slots = 1 };

        InvalidSettingException refused = Assert.Throws<InvalidSettingException>(exposed.Validate);

        Assert.Equal(nameof(WorkerOptions.Tls), refused.ParamName);
        Assert.Contains("--insecure", refused.Message, StringComparison.Ordinal);
        (exposed with { AllowInsecure = true }).Validate();
        (exposed with { Tls = _pki.With(_pki.Server) }).Validate();
        new WorkerOptions { Bind = new IPEndPoint(IPAddress.IPv6Loopback, 0), Slots = 1 }.Validate();
    }

    [Fact]
    public async Task A_pool_refuses_plain_TCP_to_a_worker_on_another_host_unless_told()
    {
        await using Pool pool = TestRemote.Pool(["192.0.2.1:9"]);
        await pool.WhenWorkersTriedAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("Refusing plain TCP to 192.0.2.1:9", pool.RemoteWorkers[0].LastError, StringComparison.Ordinal);
    }
}
