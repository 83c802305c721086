using System.Net;
using System.Security.Cryptography.X509Certificates;
using Repartir.Security;
using Repartir.Testing;

namespace Repartir.Tests.Security;

public sealed class PemFilesTests : IDisposable
{
    private readonly TestCertificates _pki = new();
    private readonly TempDirectory _directory = new();

    public void Dispose()
    {
        _pki.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void Written_certificates_load_back_with_their_keys_and_the_key_is_readable_by_its_owner_only()
    {
        string certificate = _directory.File("node1.pem");
        string key = _directory.File("node1.key");

        PemFiles.Write(_pki.Server, certificate, key, overwrite: false);
        using X509Certificate2 loaded = PemFiles.LoadCertificateWithKey(certificate, key, default, DateTimeOffset.UtcNow);

        Assert.Equal(_pki.Server.Thumbprint, loaded.Thumbprint);
        Assert.True(loaded.HasPrivateKey);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(certificate) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
        Assert.Empty(Directory.GetFiles(_directory.Path, "*.tmp-*"));
    }

    [Fact]
    public void An_existing_file_is_not_overwritten_unless_asked()
    {
        string certificate = _directory.File("ca.pem");
        string key = _directory.File("ca.key");
        File.WriteAllText(key, "precious");

        IOException refused = Assert.Throws<IOException>(() => PemFiles.Write(_pki.Authority, certificate, key, overwrite: false));

        Assert.Contains(key, refused.Message, StringComparison.Ordinal);
        Assert.Equal("precious", File.ReadAllText(key));
        Assert.False(File.Exists(certificate));
        PemFiles.Write(_pki.Authority, certificate, key, overwrite: true);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
    }

    [Fact]
    public void A_key_that_is_not_the_certificates_is_refused_naming_both_files()
    {
        PemFiles.Write(_pki.Server, _directory.File("server.pem"), _directory.File("server.key"), overwrite: false);
        PemFiles.Write(_pki.Client, _directory.File("client.pem"), _directory.File("client.key"), overwrite: false);

        CertificateException e = Assert.Throws<CertificateException>(() => PemFiles.LoadCertificateWithKey(_directory.File("server.pem"), _directory.File("client.key"), default, DateTimeOffset.UtcNow));

        Assert.Equal(_directory.File("client.key"), e.Path);
        Assert.Contains("server.pem", e.Message, StringComparison.Ordinal);
        Assert.Contains("not that certificate's key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expired_and_not_yet_valid_certificates_are_refused_with_their_dates()
    {
        PemFiles.Write(_pki.ExpiredClient, _directory.File("old.pem"), _directory.File("old.key"), overwrite: false);
        PemFiles.Write(_pki.FutureClient, _directory.File("new.pem"), _directory.File("new.key"), overwrite: false);

        CertificateException expired = Assert.Throws<CertificateException>(() => PemFiles.LoadCertificateWithKey(_directory.File("old.pem"), _directory.File("old.key"), default, DateTimeOffset.UtcNow));
        CertificateException future = Assert.Throws<CertificateException>(() => PemFiles.LoadCertificateWithKey(_directory.File("new.pem"), _directory.File("new.key"), default, DateTimeOffset.UtcNow));

        Assert.Contains("expired on", expired.Message, StringComparison.Ordinal);
        Assert.Equal(_directory.File("old.pem"), expired.Path);
        Assert.Contains("not valid until", future.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_and_non_PEM_files_are_named()
    {
        File.WriteAllText(_directory.File("empty.pem"), "not a certificate");

        CertificateException missing = Assert.Throws<CertificateException>(() => PemFiles.LoadAuthorities(_directory.File("nowhere.pem"), DateTimeOffset.UtcNow));
        CertificateException notPem = Assert.Throws<CertificateException>(() => PemFiles.LoadAuthorities(_directory.File("empty.pem"), DateTimeOffset.UtcNow));

        Assert.Contains("nowhere.pem cannot be read", missing.Message, StringComparison.Ordinal);
        Assert.Contains("holds no PEM certificate", notPem.Message, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("rsa", "traditional")]
    [InlineData("rsa", "pkcs8")]
    [InlineData("ec", "traditional")]
    [InlineData("ec", "pkcs8")]
    [InlineData("ec", "encrypted")]
    public void Keys_and_certificates_made_by_openssl_alone_load(string algorithm, string format)
    {
        string key = _directory.File("key.pem");
        string certificate = _directory.File("cert.pem");
        string keyArgs = algorithm == "rsa" ? "genrsa -traditional -out key.pem 2048" : "ecparam -name prime256v1 -genkey -noout -out key.pem";
        OpenSsl(keyArgs);
        OpenSsl("req -new -x509 -key key.pem -out cert.pem -days 2 -subj /CN=openssl-made");
        string passphrase = string.Empty;
        if (format == "pkcs8")
        {
            OpenSsl("pkcs8 -topk8 -nocrypt -in key.pem -out key8.pem");
            File.Move(_directory.File("key8.pem"), key, overwrite: true);
        }
        else if (format == "encrypted")
        {
            passphrase = "correct horse";
            OpenSsl("pkcs8 -topk8 -v2 aes-256-cbc -passout pass:correct\\ horse -in key.pem -out key8.pem");
            File.Move(_directory.File("key8.pem"), key, overwrite: true);
            CertificateException withoutPassphrase = Assert.Throws<CertificateException>(() => PemFiles.LoadCertificateWithKey(certificate, key, default, DateTimeOffset.UtcNow));
            Assert.Contains(PemFiles.PassphraseVariable, withoutPassphrase.Message, StringComparison.Ordinal);
        }

        Assert.Contains(format == "traditional" ? (algorithm == "rsa" ? "BEGIN RSA PRIVATE KEY" : "BEGIN EC PRIVATE KEY") : "PRIVATE KEY", File.ReadAllText(key), StringComparison.Ordinal);
        using X509Certificate2 loaded = PemFiles.LoadCertificateWithKey(certificate, key, passphrase, DateTimeOffset.UtcNow);

        Assert.True(loaded.HasPrivateKey);
        Assert.Equal("CN=openssl-made", loaded.Subject);
    }

    [SkippableFact]
    public void A_key_encrypted_in_openssls_legacy_format_is_refused_with_the_command_that_converts_it()
    {
        OpenSsl("genrsa -traditional -aes256 -passout pass:secret -out legacy.key 2048");
        OpenSsl("req -new -x509 -key legacy.key -passin pass:secret -out legacy.pem -days 2 -subj /CN=legacy");

        CertificateException e = Assert.Throws<CertificateException>(() => PemFiles.LoadCertificateWithKey(_directory.File("legacy.pem"), _directory.File("legacy.key"), "secret", DateTimeOffset.UtcNow));

        Assert.Contains("openssl pkcs8 -topk8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_server_certificate_holds_its_name_addresses_and_purpose_and_never_outlives_its_authority()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 authority = CertificateIssuer.CreateAuthority("Short CA", TimeSpan.FromDays(30), now);
        using X509Certificate2 server = CertificateIssuer.IssueServer(authority, "node1", ["node1.example", "10.0.0.5"], [IPAddress.IPv6Loopback], TimeSpan.FromDays(397), now);

        X509SubjectAlternativeNameExtension names = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["node1", "node1.example"], names.EnumerateDnsNames());
        Assert.Equal([IPAddress.IPv6Loopback, IPAddress.Parse("10.0.0.5")], names.EnumerateIPAddresses());
        Assert.Equal("1.3.6.1.5.5.7.3.1", server.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages[0].Value);
        Assert.Equal(authority.NotAfter, server.NotAfter);
        Assert.NotNull(server.GetECDsaPublicKey());
        Assert.Throws<ArgumentException>(() => CertificateIssuer.IssueClient(server, "not-a-ca", TimeSpan.FromDays(1), now));
    }

    private void OpenSsl(string arguments) => Security.OpenSsl.Run(_directory.Path, arguments);
}
