using System.Security.Cryptography.X509Certificates;

namespace Repartir.Security;

/// <summary>
/// One side's part in mutual TLS: its own certificate with the private key, and the certificate authorities the
/// other side's certificate must chain to. Workers and coordinators each hold one.
/// </summary>
public sealed class TlsCredentials : IDisposable
{
    /// <summary>Pairs a certificate (with its private key) with the authorities peers must chain to.</summary>
    public TlsCredentials(X509Certificate2 certificate, X509Certificate2Collection authorities, string authoritiesSource = "the CA")
    {
        Certificate = certificate ?? throw new ArgumentNullException(nameof(certificate));
        Authorities = authorities ?? throw new ArgumentNullException(nameof(authorities));
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException($"The certificate {certificate.Subject} has no private key.", nameof(certificate));
        }

        if (authorities.Count == 0)
        {
            throw new ArgumentException("At least one certificate authority is needed.", nameof(authorities));
        }

        AuthoritiesSource = authoritiesSource;
    }

    /// <summary>This side's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The authorities a peer's certificate must chain to (nothing from the system store is trusted).</summary>
    public X509Certificate2Collection Authorities { get; }

    /// <summary>Where the authorities came from (a file name), for error messages.</summary>
    public string AuthoritiesSource { get; }

    /// <summary>Loads PEM files as openssl writes them; see <see cref="PemFiles"/>.</summary>
    /// <param name="certificatePath">This side's certificate.</param>
    /// <param name="keyPath">Its private key.</param>
    /// <param name="authoritiesPath">The CA certificate(s) a peer must chain to.</param>
    /// <param name="passphrase">The key's passphrase, when it is encrypted; empty reads <see cref="PemFiles.PassphraseVariable"/>.</param>
    /// <param name="now">The time the certificates must be valid at; null is now.</param>
    /// <exception cref="CertificateException">A file cannot be read or used; the message names it.</exception>
    public static TlsCredentials Load(string certificatePath, string keyPath, string authoritiesPath, ReadOnlySpan<char> passphrase = default, DateTimeOffset? now = null)
    {
        DateTimeOffset at = now ?? DateTimeOffset.UtcNow;
        X509Certificate2 certificate = PemFiles.LoadCertificateWithKey(certificatePath, keyPath, passphrase, at);
        return new TlsCredentials(certificate, PemFiles.LoadAuthorities(authoritiesPath, at), authoritiesPath);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Certificate.Dispose();
        foreach (X509Certificate2 authority in Authorities)
        {
            authority.Dispose();
        }
    }
}
