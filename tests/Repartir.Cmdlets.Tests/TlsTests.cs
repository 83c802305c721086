using System.Management.Automation;
using Repartir.Testing;

namespace Repartir.Cmdlets.Tests;

/// <summary>New-RepartirCertificate, and Start-RepartirWorker and New-RepartirPool over mutual TLS, in a real runspace.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly PowerShellSession _session = new();
    private readonly TempDirectory _pki = new();
    private readonly string _prefix = "tls-" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose()
    {
        _session.Run($"Get-RepartirPool -Name '{_prefix}*' | Remove-RepartirPool -Force -Confirm:$false; Stop-RepartirWorker -Name '{_prefix}*' -Force -Confirm:$false -ErrorAction SilentlyContinue");
        _session.Dispose();
        _pki.Dispose();
    }

    private void MakeCluster() => _session.Run(
        "New-RepartirCertificate Authority -Path $pki; New-RepartirCertificate Server localhost -AlternativeName 127.0.0.1 -Path $pki; New-RepartirCertificate Client coordinator -Path $pki",
        ("pki", _pki.Path)).Succeeded();

    private string WorkerTls => $"-CertificatePath {_pki.File("localhost.pem")} -KeyPath {_pki.File("localhost.key")} -CaPath {_pki.File("ca.pem")}";

    private string PoolTls => $"-CertificatePath {_pki.File("coordinator.pem")} -KeyPath {_pki.File("coordinator.key")} -CaPath {_pki.File("ca.pem")}";

    [Fact]
    public void New_RepartirCertificate_writes_a_CA_and_certificates_it_signed_with_owner_only_keys()
    {
        Invocation made = _session.Run(
            "New-RepartirCertificate Authority -Path $pki; New-RepartirCertificate Server node1 -AlternativeName node1.example, 10.0.0.5 -Path $pki -ValidDays 30",
            ("pki", _pki.Path)).Succeeded();

        Assert.Equal(2, made.Output.Count);
        Assert.Equal("Repartir.Security.IssuedCertificate", made.Output[1].TypeNames[0]);
        Assert.Equal("Server", made.Output[1].Value("Kind")!.ToString());
        Assert.Equal(["node1", "node1.example", "10.0.0.5"], made.Output[1].Get<string[]>("AlternativeNames"));
        Assert.Equal(_pki.File("node1.pem"), made.Output[1].Get<string>("CertificatePath"));
        Assert.InRange(made.Output[1].Get<DateTime>("NotAfter"), DateTime.UtcNow.AddDays(29), DateTime.UtcNow.AddDays(31));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_pki.File("node1.key")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_pki.File("ca.key")));
        string table = string.Join('\n', _session.Run("$made | Format-Table | Out-String -Width 200", ("made", made.Output)).Output);
        Assert.Contains("Kind", table, StringComparison.Ordinal);
        Assert.Contains("node1", table, StringComparison.Ordinal);
    }

    [Fact]
    public void New_RepartirCertificate_refuses_to_overwrite_and_names_bad_input()
    {
        _session.Run("New-RepartirCertificate Authority -Path $pki", ("pki", _pki.Path)).Succeeded();
        string before = File.ReadAllText(_pki.File("ca.key"));

        ErrorRecord exists = _session.Run("New-RepartirCertificate Authority -Path $pki", ("pki", _pki.Path)).Terminating!;
        ErrorRecord slash = _session.Run("New-RepartirCertificate Client 'a/b' -Path $pki", ("pki", _pki.Path)).Terminating!;
        ErrorRecord badName = _session.Run("New-RepartirCertificate Server n1 -AlternativeName 'not a name' -Path $pki", ("pki", _pki.Path)).Terminating!;
        ErrorRecord noName = _session.Run("New-RepartirCertificate Server -Path $pki", ("pki", _pki.Path)).Terminating!;

        Assert.Equal("CertificateNotIssued,Repartir.Cmdlets.Commands.NewRepartirCertificateCommand", exists.FullyQualifiedErrorId);
        Assert.Contains("exists already", exists.Exception.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(_pki.File("ca.key")));
        Assert.Contains("no slashes", slash.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("neither a DNS name nor an IP address", badName.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("needs -Name", noName.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(_session.Run("New-RepartirCertificate Client c1 -Path $pki -WhatIf", ("pki", _pki.Path)).Succeeded().Output);
        Assert.False(File.Exists(_pki.File("c1.pem")));
    }

    [Fact]
    public void A_pool_runs_tasks_on_a_worker_over_mutual_TLS_and_a_pool_without_certificates_is_refused()
    {
        MakeCluster();
        PSObject worker = _session.Run($"Start-RepartirWorker -Bind 127.0.0.1:0 -Name {_prefix}-w -Slots 2 {WorkerTls}").Succeeded().Single();
        Assert.Equal("MutualTls", worker.Value("Transport"));
        string endpoint = worker.Get<string>("Endpoint");

        Invocation run = _session.Run($"$p = New-RepartirPool -Name {_prefix}-ok -Worker {endpoint} {PoolTls}; 1..3 | Submit-RepartirTask -Pool $p -FilePath echo -ArgumentList 'n{{}}' | Sort-Object Stdout | ForEach-Object Stdout").Succeeded();
        Invocation plain = _session.Run($"New-RepartirPool -Name {_prefix}-plain -Worker {endpoint} -PlacementTimeoutSeconds 1 | Out-Null; (Get-RepartirPoolWorker -Pool {_prefix}-plain).LastError");

        Assert.Equal(["n1", "n2", "n3"], run.Output.Select(o => o.BaseObject.ToString()!.Trim()));
        Assert.Contains("If the worker requires TLS", Assert.Single(plain.Output).BaseObject.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ReloadCertificates_presents_a_renewed_certificate_to_new_connections_and_keeps_the_old_on_a_bad_file()
    {
        MakeCluster();
        PSObject worker = _session.Run($"Start-RepartirWorker -Bind 127.0.0.1:0 -Name {_prefix}-rot {WorkerTls}").Succeeded().Single();
        string before = Presented(worker.Get<string>("Endpoint"));

        _session.Run("New-RepartirCertificate Server localhost -AlternativeName 127.0.0.1 -Path $pki -Force | Out-Null; $w.ReloadCertificates()", ("pki", _pki.Path), ("w", worker)).Succeeded();
        string after = Presented(worker.Get<string>("Endpoint"));
        File.WriteAllText(_pki.File("localhost.key"), "not a key");
        Invocation broken = _session.Run("$w.ReloadCertificates()", ("w", worker));

        Assert.NotEqual(before, after);
        Assert.Contains("localhost.key", Assert.Single(broken.Errors.Concat(broken.Terminating is null ? [] : [broken.Terminating])).Exception.Message, StringComparison.Ordinal);
        Assert.Equal(after, Presented(worker.Get<string>("Endpoint"))); // still the renewed one
        Invocation plain = _session.Run($"(Start-RepartirWorker -Bind 127.0.0.1:0 -Name {_prefix}-plainrot).ReloadCertificates()");
        Assert.Contains("plain TCP", Assert.Single(plain.Errors.Concat(plain.Terminating is null ? [] : [plain.Terminating])).Exception.Message, StringComparison.Ordinal);
    }

    /// <summary>The thumbprint of the certificate the worker at <paramref name="endpoint"/> presents to a new connection.</summary>
    private string Presented(string endpoint)
    {
        using var client = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(_pki.File("coordinator.pem"), _pki.File("coordinator.key"));
        return TlsProbe.PresentedThumbprintAsync(System.Net.IPEndPoint.Parse(endpoint), client).GetAwaiter().GetResult();
    }

    [Fact]
    public void An_encrypted_key_opens_with_KeyPassphrase_and_a_wrong_one_is_CertificateUnusable()
    {
        MakeCluster();
        string encrypted = _pki.File("coordinator.enc.key");
        using (var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(_pki.File("coordinator.pem"), _pki.File("coordinator.key")))
        using (var key = System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.GetECDsaPrivateKey(certificate)!)
        {
            File.WriteAllText(encrypted, key.ExportEncryptedPkcs8PrivateKeyPem("open sesame", new System.Security.Cryptography.PbeParameters(System.Security.Cryptography.PbeEncryptionAlgorithm.Aes256Cbc, System.Security.Cryptography.HashAlgorithmName.SHA256, 10_000)));
        }

        string files = $"-CertificatePath {_pki.File("coordinator.pem")} -KeyPath {encrypted} -CaPath {_pki.File("ca.pem")}";
        Invocation opened = _session.Run($"New-RepartirPool -Name {_prefix}-enc -Worker 127.0.0.1:9 -PlacementTimeoutSeconds 1 {files} -KeyPassphrase (ConvertTo-SecureString 'open sesame' -AsPlainText -Force) -WarningAction SilentlyContinue");
        ErrorRecord wrong = _session.Run($"New-RepartirPool -Name {_prefix}-wrong -Worker 127.0.0.1:9 {files} -KeyPassphrase (ConvertTo-SecureString 'guess' -AsPlainText -Force)").Terminating!;

        Assert.True(opened.Terminating is null, opened.Terminating?.Exception.Message);
        Assert.Equal($"{_prefix}-enc", Assert.Single(opened.Output).Value("Name"));
        Assert.Equal("CertificateUnusable,Repartir.Cmdlets.Commands.NewRepartirPoolCommand", wrong.FullyQualifiedErrorId);
        Assert.Contains("passphrase is wrong", wrong.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_RepartirWorker_hands_its_policy_and_limits_to_the_worker_and_refuses_a_relative_allow_rule()
    {
        // The worker's options, as the daemon got them (WorkerInfo.Server is internal, and the module's types are its own).
        PSObject options = _session.Run(
            $"$w = Start-RepartirWorker -Bind 127.0.0.1:0 -Name {_prefix}-limits -AllowExecutable /usr/bin/* -AllowEnvironment LD_LIBRARY_PATH " +
            "-MaxConnections 7 -IdleTimeoutSeconds 30 -HandshakeTimeoutSeconds 2 -MaxTasksPerConnection 5 -MaxUnreadOutputBytes 1048576; " +
            "$w.GetType().GetProperty('Server', [Reflection.BindingFlags]'NonPublic,Instance').GetValue($w).Options").Succeeded().Single();
        ErrorRecord relative = _session.Run($"Start-RepartirWorker -Bind 127.0.0.1:0 -Name {_prefix}-rel -AllowExecutable python3").Terminating!;

        PSObject policy = PSObject.AsPSObject(options.Value("Policy"));
        PSObject limits = PSObject.AsPSObject(options.Value("Limits"));
        Assert.Equal(["/usr/bin/*"], policy.Get<string[]>("AllowedExecutables"));
        Assert.Equal(["LD_LIBRARY_PATH"], policy.Get<string[]>("AllowedEnvironment"));
        Assert.Equal(7, limits.Get<int>("MaxConnections"));
        Assert.Equal(TimeSpan.FromSeconds(30), limits.Get<TimeSpan>("IdleTimeout"));
        Assert.Equal(5, limits.Get<int>("MaxTasksPerConnection"));
        Assert.Equal(1L << 20, limits.Get<long>("MaxPendingResultBytes"));
        Assert.Equal(TimeSpan.FromSeconds(2), options.Get<TimeSpan>("HandshakeTimeout"));
        Assert.Equal("InvalidWorkerSettings,Repartir.Cmdlets.Commands.StartRepartirWorkerCommand", relative.FullyQualifiedErrorId);
        Assert.Contains("absolute path or glob", relative.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Incomplete_or_unusable_TLS_files_are_terminating_errors_naming_the_file()
    {
        MakeCluster();

        ErrorRecord partial = _session.Run($"Start-RepartirWorker -Bind 127.0.0.1:0 -Name {_prefix}-p -CertificatePath {_pki.File("localhost.pem")}").Terminating!;
        ErrorRecord mismatch = _session.Run($"New-RepartirPool -Name {_prefix}-m -Worker 127.0.0.1:9 -CertificatePath {_pki.File("coordinator.pem")} -KeyPath {_pki.File("localhost.key")} -CaPath {_pki.File("ca.pem")}").Terminating!;
        ErrorRecord missing = _session.Run($"New-RepartirPool -Name {_prefix}-n -Worker 127.0.0.1:9 -CertificatePath {_pki.File("coordinator.pem")} -KeyPath {_pki.File("coordinator.key")} -CaPath {_pki.File("nowhere.pem")}").Terminating!;

        Assert.Equal("InvalidTlsSettings,Repartir.Cmdlets.Commands.StartRepartirWorkerCommand", partial.FullyQualifiedErrorId);
        Assert.Contains("missing -KeyPath, -CaPath", partial.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("CertificateUnusable,Repartir.Cmdlets.Commands.NewRepartirPoolCommand", mismatch.FullyQualifiedErrorId);
        Assert.Equal(_pki.File("localhost.key"), mismatch.Target());
        Assert.Equal(ErrorCategory.SecurityError, mismatch.CategoryInfo.Category);
        Assert.Equal(_pki.File("nowhere.pem"), missing.Target());
        Assert.Empty(_session.Run($"Get-RepartirPool -Name '{_prefix}*'").Output);
    }

    [Fact]
    public void A_worker_on_every_interface_needs_TLS_or_AllowInsecure_and_then_warns()
    {
        ErrorRecord refused = _session.Run($"Start-RepartirWorker -Bind 0.0.0.0:0 -Name {_prefix}-open").Terminating!;
        Invocation allowed = _session.Run($"Start-RepartirWorker -Bind 0.0.0.0:0 -Name {_prefix}-open -AllowInsecure").Succeeded();

        Assert.Equal("InvalidWorkerSettings,Repartir.Cmdlets.Commands.StartRepartirWorkerCommand", refused.FullyQualifiedErrorId);
        Assert.Contains("-AllowInsecure", refused.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("PlainTcp", allowed.Single().Value("Transport"));
        Assert.Contains(allowed.Warnings, w => w.Contains("anyone who connects", StringComparison.Ordinal));
    }
}
