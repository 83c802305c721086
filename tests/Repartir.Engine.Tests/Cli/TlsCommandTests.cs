using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Repartir.Testing;
using Repartir.Tests.Remote;
using Repartir.Tests.Security;

namespace Repartir.Tests.Cli;

/// <summary><c>repartir cert</c>, and <c>repartir worker</c> and <c>run</c> over mutual TLS, as the executables users run.</summary>
public sealed class TlsCommandTests : IDisposable
{
    private readonly TempDirectory _pki = new();

    public void Dispose() => _pki.Dispose();

    private string File(string name) => _pki.File(name);

    private async Task<string> CertAsync(params string[] args)
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync([], ["cert", .. args, "--out", _pki.Path]);
        Assert.True(code == 0, $"repartir cert {string.Join(' ', args)}: {stderr}");
        return Encoding.UTF8.GetString(stdout);
    }

    private async Task MakeClusterAsync()
    {
        await CertAsync("ca");
        await CertAsync("server", "--name", "localhost", "--san", "127.0.0.1");
        await CertAsync("client", "--name", "coordinator");
    }

    private string[] WorkerTls => ["--cert", File("localhost.pem"), "--key", File("localhost.key"), "--ca", File("ca.pem")];

    private string[] RunTls => ["--cert", File("coordinator.pem"), "--key", File("coordinator.key"), "--ca", File("ca.pem")];

    [Fact]
    public async Task Certificates_made_by_repartir_cert_carry_a_run_over_mutual_TLS_and_a_run_without_them_is_refused()
    {
        await MakeClusterAsync();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, System.IO.File.GetUnixFileMode(File("ca.key")));
        await using WorkerProcess worker = await WorkerProcess.StartAsync("tls-daemon", slots: 2, more: WorkerTls);

        var (code, stdout, stderr) = await CliProcess.RunAsync("a\nb\n"u8.ToArray(), ["run", "-k", "--worker", worker.EndPoint.ToString(), .. RunTls, "--", "echo"]);
        var (plainCode, _, plainError) = await CliProcess.RunAsync("a\n"u8.ToArray(), "run", "--worker", worker.EndPoint.ToString(), "--", "echo");

        Assert.True(code == 0, stderr);
        Assert.Equal("a\nb\n", Encoding.UTF8.GetString(stdout));
        Assert.Contains("(mutual TLS)", worker.Log, StringComparison.Ordinal);
        Assert.Equal(2, plainCode);
        Assert.Contains("If the worker requires TLS", plainError, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => worker.Log.Contains("Refused connection", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Top_watches_a_TLS_worker_with_a_client_certificate_and_without_one_shows_it_Offline_with_the_reason()
    {
        await MakeClusterAsync();
        await using WorkerProcess worker = await WorkerProcess.StartAsync("tls-watched", slots: 2, more: WorkerTls);

        var (code, stdout, stderr) = await CliProcess.RunAsync([], ["top", "--once", "--json", "--worker", worker.EndPoint.ToString(), .. RunTls]);
        Assert.True(code == 0, stderr);
        using (var snapshot = System.Text.Json.JsonDocument.Parse(stdout))
        {
            Assert.Equal("Online", snapshot.RootElement.GetProperty("workers")[0].GetProperty("status").GetString());
            Assert.Equal("tls-watched", snapshot.RootElement.GetProperty("workers")[0].GetProperty("name").GetString());
        }

        var (plainCode, _, plainError) = await CliProcess.RunAsync([], "top", "--once", "--worker", worker.EndPoint.ToString());
        Assert.Equal(1, plainCode);
        Assert.Contains("If the worker requires TLS", plainError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_on_every_interface_without_TLS_is_refused_unless_insecure_is_given_and_then_it_warns()
    {
        var (code, _, stderr) = await CliProcess.RunAsync([], "worker", "--bind", "0.0.0.0:0");

        Assert.Equal(2, code);
        Assert.Contains("--insecure", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));

        ProcessStartInfo start = CliProcess.StartInfo("worker", "--bind", "0.0.0.0:0", "--insecure", "--slots", "1");
        using Process insecure = Process.Start(start)!;
        try
        {
            string? line;
            var seen = new StringBuilder();
            while ((line = await insecure.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))) is not null && !line.Contains("anyone who connects", StringComparison.Ordinal))
            {
                seen.AppendLine(line);
            }

            Assert.True(line is not null, "no warning before the worker exited:\n" + seen);
        }
        finally
        {
            insecure.Kill();
        }
    }

    [Fact]
    public async Task Half_of_the_TLS_options_and_an_unusable_file_are_errors_naming_what_is_wrong()
    {
        await MakeClusterAsync();

        var (partialCode, _, partial) = await CliProcess.RunAsync([], "worker", "--cert", File("localhost.pem"));
        var (mismatchCode, _, mismatch) = await CliProcess.RunAsync([], "worker", "--cert", File("localhost.pem"), "--key", File("coordinator.key"), "--ca", File("ca.pem"));
        var (missingCode, _, missing) = await CliProcess.RunAsync("x\n"u8.ToArray(), ["run", "--worker", "127.0.0.1:9", "--cert", File("coordinator.pem"), "--key", File("coordinator.key"), "--ca", File("nowhere.pem"), "--", "echo"]);

        Assert.Equal(2, partialCode);
        Assert.Contains("missing --key, --ca", partial, StringComparison.Ordinal);
        Assert.Equal(1, mismatchCode);
        Assert.Contains("coordinator.key cannot be used with the certificate in", mismatch, StringComparison.Ordinal);
        Assert.Equal(1, missingCode);
        Assert.Contains("nowhere.pem cannot be read", missing, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_encrypted_key_takes_its_passphrase_from_REPARTIR_KEY_PASSPHRASE_and_without_it_says_so()
    {
        await MakeClusterAsync();
        using (X509Certificate2 certificate = X509Certificate2.CreateFromPemFile(File("coordinator.pem"), File("coordinator.key")))
        using (System.Security.Cryptography.ECDsa key = certificate.GetECDsaPrivateKey()!)
        {
            System.IO.File.WriteAllText(File("coordinator.enc.key"), key.ExportEncryptedPkcs8PrivateKeyPem("open sesame", new System.Security.Cryptography.PbeParameters(System.Security.Cryptography.PbeEncryptionAlgorithm.Aes256Cbc, System.Security.Cryptography.HashAlgorithmName.SHA256, 10_000)));
        }

        string[] run = ["run", "--worker", "127.0.0.1:9", "--cert", File("coordinator.pem"), "--key", File("coordinator.enc.key"), "--ca", File("ca.pem"), "--", "echo"];
        var (withoutCode, withoutError) = await CliProcess.RunAsync("x\n"u8.ToArray(), Stream.Null, new Dictionary<string, string>(), run);
        var (withCode, withError) = await CliProcess.RunAsync("x\n"u8.ToArray(), Stream.Null, new Dictionary<string, string> { ["REPARTIR_KEY_PASSPHRASE"] = "open sesame" }, run);

        Assert.Equal(1, withoutCode); // stdin is not a terminal: no prompt, the variable is the way
        Assert.Contains("is encrypted: give its passphrase (in the REPARTIR_KEY_PASSPHRASE environment variable)", withoutError, StringComparison.Ordinal);
        Assert.Equal(2, withCode); // the key opened; then nothing listens on port 9
        Assert.Contains("no worker could be reached", withError, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Openssl_s_client_is_refused_without_a_client_certificate_and_served_with_one()
    {
        Skip.IfNot(OpenSsl.IsInstalled, "the openssl command is not installed; interoperability with s_client was not checked.");
        await MakeClusterAsync();
        await using WorkerProcess worker = await WorkerProcess.StartAsync("s-client", slots: 1, more: WorkerTls);
        string connect = $"-connect {worker.EndPoint} -CAfile {File("ca.pem")} -verify_return_error";

        (int _, string without) = await OpenSslAsync($"s_client {connect}");
        (int _, string with) = await OpenSslAsync($"s_client {connect} -cert {File("coordinator.pem")} -key {File("coordinator.key")}");

        Assert.Contains("Verify return code: 0 (ok)", with, StringComparison.Ordinal); // openssl trusted the worker
        Assert.Contains("s-client", with, StringComparison.Ordinal); // the worker's hello, and its name, came through
        Assert.DoesNotContain("s-client", without, StringComparison.Ordinal); // nothing came through without a certificate
        await Eventually.TrueAsync(() => worker.Log.Contains("presented no client certificate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SIGHUP_makes_the_worker_present_its_renewed_certificate_to_new_connections()
    {
        await MakeClusterAsync();
        await using WorkerProcess worker = await WorkerProcess.StartAsync("rotating", slots: 1, more: WorkerTls);
        string before = await PresentedThumbprintAsync(worker);

        await CertAsync("server", "--name", "localhost", "--san", "127.0.0.1", "--force");
        worker.Signal("HUP");
        await Eventually.TrueAsync(() => worker.Log.Contains("now presents", StringComparison.Ordinal), seconds: 30);
        string after = await PresentedThumbprintAsync(worker);

        Assert.NotEqual(before, after);
        using X509Certificate2 renewed = X509Certificate2.CreateFromPem(System.IO.File.ReadAllText(File("localhost.pem")));
        Assert.Equal(renewed.Thumbprint, after);
        Assert.DoesNotContain("draining", worker.Log, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_worker_with_an_allow_list_runs_what_it_allows_and_refuses_the_rest_by_name()
    {
        string echo = Repartir.Execution.ExecutableResolver.Resolve("echo", Environment.GetEnvironmentVariable("PATH")).FullPath!;
        string marker = File("touched");
        await using WorkerProcess worker = await WorkerProcess.StartAsync("allowing", slots: 1, more: ["--allow", echo, "--allow", "/nonexistent/*"]);

        var (allowedCode, allowed, _) = await CliProcess.RunAsync("fine\n"u8.ToArray(), "run", "--worker", worker.EndPoint.ToString(), "--", "echo");
        var (refusedCode, _, refused) = await CliProcess.RunAsync(Encoding.UTF8.GetBytes(marker + "\n"), "run", "--worker", worker.EndPoint.ToString(), "--", "touch");

        Assert.Equal(0, allowedCode);
        Assert.Equal("fine\n", Encoding.UTF8.GetString(allowed));
        Assert.Equal(1, refusedCode);
        Assert.Contains("outside the worker's --allow rules", refused, StringComparison.Ordinal);
        Assert.False(System.IO.File.Exists(marker));
        var (badCode, _, bad) = await CliProcess.RunAsync([], "worker", "--allow", "python3");
        Assert.Equal(2, badCode);
        Assert.Contains("absolute path or glob", bad, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--max-connections", "0", "MaxConnections must be at least 1")]
    [InlineData("--idle-timeout", "10ms", "IdleTimeout must be at least a second")]
    [InlineData("--handshake-timeout", "soon", "--handshake-timeout:")]
    [InlineData("--max-tasks-per-connection", "0", "MaxTasksPerConnection must be at least 1")]
    [InlineData("--max-unread-output", "0", "--max-unread-output: must be more than 0")]
    [InlineData("--allow-env", "A=1", "is a name or glob")]
    public async Task A_worker_limit_out_of_range_is_a_one_line_usage_error(string option, string value, string expected)
    {
        var (code, _, stderr) = await CliProcess.RunAsync([], "worker", option, value);

        Assert.Equal(2, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    private async Task<string> PresentedThumbprintAsync(WorkerProcess worker)
    {
        using X509Certificate2 client = X509Certificate2.CreateFromPemFile(File("coordinator.pem"), File("coordinator.key"));
        return await TlsProbe.PresentedThumbprintAsync(worker.EndPoint, client);
    }

    private static async Task<(int ExitCode, string Output)> OpenSslAsync(string arguments)
    {
        using Process process = Process.Start(new ProcessStartInfo("sh", ["-c", $"(sleep 1; printf x) | openssl {arguments} 2>&1"])
        {
            RedirectStandardOutput = true,
        })!;
        string output = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
