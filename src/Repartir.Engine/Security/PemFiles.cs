using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Repartir.Security;

/// <summary>
/// Reads certificates and keys from PEM files as openssl writes them (RSA or ECDSA; PKCS#8, PKCS#1 or SEC1 keys;
/// PKCS#8 keys encrypted with a passphrase), and writes them with private keys readable by their owner only.
/// </summary>
public static class PemFiles
{
    /// <summary>The environment variable an encrypted key's passphrase is read from when none is given.</summary>
    public const string PassphraseVariable = "REPARTIR_KEY_PASSPHRASE";

    /// <summary>
    /// Loads the certificate in <paramref name="certificatePath"/> with the private key in <paramref name="keyPath"/>,
    /// checking that the key is the certificate's and that the certificate is valid at <paramref name="now"/>.
    /// </summary>
    /// <param name="certificatePath">The certificate, PEM; certificates after the first (its chain) are ignored here.</param>
    /// <param name="keyPath">Its private key, PEM.</param>
    /// <param name="passphrase">The key's passphrase when it is encrypted; null reads <see cref="PassphraseVariable"/>.</param>
    /// <param name="now">The time the certificate must be valid at.</param>
    /// <exception cref="CertificateException">A file cannot be read or used; the message says which and why.</exception>
    public static X509Certificate2 LoadCertificateWithKey(string certificatePath, string keyPath, ReadOnlySpan<char> passphrase, DateTimeOffset now)
    {
        string certificatePem = ReadText(certificatePath, "certificate");
        string keyPem = ReadText(keyPath, "private key");
        if (!certificatePem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            throw new CertificateException(certificatePath, $"{certificatePath} holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
        }

        if (keyPem.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
        {
            throw new CertificateException(keyPath, $"{keyPath} is encrypted in OpenSSL's legacy format, which cannot be read; convert it to PKCS#8 with: openssl pkcs8 -topk8 -in {keyPath} -out {keyPath}.p8");
        }

        X509Certificate2 certificate;
        try
        {
            if (keyPem.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
            {
                if (passphrase.IsEmpty)
                {
                    passphrase = Environment.GetEnvironmentVariable(PassphraseVariable);
                }

                if (passphrase.IsEmpty)
                {
                    throw new CertificateException(keyPath, $"{keyPath} is encrypted: give its passphrase (in the {PassphraseVariable} environment variable).");
                }

                certificate = X509Certificate2.CreateFromEncryptedPem(certificatePem, keyPem, passphrase);
            }
            else
            {
                certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new CertificateException(keyPath, $"The private key in {keyPath} cannot be used with the certificate in {certificatePath}: the key is malformed, its passphrase is wrong, or it is not that certificate's key ({e.Message.TrimEnd('.')}).", e);
        }

        CheckValidity(certificate, certificatePath, now);
        return certificate;
    }

    /// <summary>Whether the key in <paramref name="keyPath"/> is encrypted (needs a passphrase); false when it cannot be read.</summary>
    public static bool IsEncrypted(string keyPath)
    {
        try
        {
            return File.ReadAllText(keyPath).Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // loading says what is wrong with it
        }
    }

    /// <summary>Loads every certificate in <paramref name="path"/> (the certificate authorities a peer must chain to).</summary>
    /// <exception cref="CertificateException">The file cannot be read or holds no certificate.</exception>
    public static X509Certificate2Collection LoadAuthorities(string path, DateTimeOffset now)
    {
        string pem = ReadText(path, "CA certificate");
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw new CertificateException(path, $"{path} holds a malformed certificate: {e.Message}", e);
        }

        if (authorities.Count == 0)
        {
            throw new CertificateException(path, $"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
        }

        foreach (X509Certificate2 authority in authorities)
        {
            CheckValidity(authority, path, now);
        }

        return authorities;
    }

    /// <summary>
    /// Writes <paramref name="certificate"/> to <paramref name="certificatePath"/> and its private key (PKCS#8,
    /// unencrypted) to <paramref name="keyPath"/>, created readable and writable by the owner only.
    /// </summary>
    /// <param name="certificate">A certificate with its private key.</param>
    /// <param name="certificatePath">Where the certificate goes.</param>
    /// <param name="keyPath">Where the key goes.</param>
    /// <param name="overwrite">Replace files that exist; otherwise an existing file is an error and nothing is written.</param>
    /// <exception cref="IOException">A file exists (without <paramref name="overwrite"/>) or cannot be written.</exception>
    public static void Write(X509Certificate2 certificate, string certificatePath, string keyPath, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        string keyPem = ExportPrivateKey(certificate);
        if (!overwrite)
        {
            foreach (string path in new[] { certificatePath, keyPath })
            {
                if (File.Exists(path))
                {
                    throw new IOException($"{path} exists already; choose another name or overwrite it explicitly (--force, -Force).");
                }
            }
        }

        WriteAtomically(keyPath, keyPem, secret: true);
        WriteAtomically(certificatePath, certificate.ExportCertificatePem() + "\n", secret: false);
    }

    private static string ExportPrivateKey(X509Certificate2 certificate)
    {
        using AsymmetricAlgorithm? key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey();
        return key is null
            ? throw new ArgumentException("The certificate has no private key to write.", nameof(certificate))
            : key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    private static void WriteAtomically(string path, string text, bool secret)
    {
        // Written beside, then renamed: a crash never leaves half a key, and the key is never readable by others,
        // not even for a moment (the mode is set as the file is created).
        string full = Path.GetFullPath(path);
        string temporary = full + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = secret ? UnixFileMode.UserRead | UnixFileMode.UserWrite : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false)))
            {
                writer.Write(text);
            }

            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static string ReadText(string path, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CertificateException(path, $"The {what} file {path} cannot be read: {e.Message}", e);
        }
    }

    private static void CheckValidity(X509Certificate2 certificate, string path, DateTimeOffset now)
    {
        if (now.UtcDateTime < certificate.NotBefore.ToUniversalTime())
        {
            throw new CertificateException(path, $"The certificate in {path} ({certificate.Subject}) is not valid until {certificate.NotBefore.ToUniversalTime():u}; check this machine's clock or issue it again.");
        }

        if (now.UtcDateTime > certificate.NotAfter.ToUniversalTime())
        {
            throw new CertificateException(path, $"The certificate in {path} ({certificate.Subject}) expired on {certificate.NotAfter.ToUniversalTime():u}; issue a new one (repartir cert, New-RepartirCertificate).");
        }
    }
}
