using System.Net;
using System.Security;
using Repartir.Cmdlets.Output;
using Repartir.Security;

namespace Repartir.Cmdlets.Security;

/// <summary>The three PEM files of one side's mutual TLS, resolved against PowerShell's location, and the key's passphrase.</summary>
/// <param name="Certificate">This side's certificate.</param>
/// <param name="Key">Its private key.</param>
/// <param name="Authority">The CA certificate(s) the peer must chain to.</param>
/// <param name="Passphrase">The key's passphrase when it is encrypted; null reads REPARTIR_KEY_PASSPHRASE.</param>
public sealed record TlsFiles(string Certificate, string Key, string Authority, SecureString? Passphrase)
{
    /// <summary>The files given; null when none was, an error when only some were.</summary>
    /// <exception cref="TerminatingCommandException">Only some of the three paths were given.</exception>
    public static TlsFiles? From(string? certificate, string? key, string? authority, SecureString? passphrase)
    {
        if (certificate is null && key is null && authority is null)
        {
            return null;
        }

        if (certificate is null || key is null || authority is null)
        {
            string missing = string.Join(", ", new[] { ("-CertificatePath", certificate), ("-KeyPath", key), ("-CaPath", authority) }.Where(p => p.Item2 is null).Select(p => p.Item1));
            throw new TerminatingCommandException(ErrorRecords.BadTlsSettings(new InvalidSettingException("CertificatePath", $"Mutual TLS needs -CertificatePath, -KeyPath and -CaPath together; missing {missing}.")));
        }

        return new TlsFiles(certificate, key, authority, passphrase);
    }

    /// <summary>Reads the files (again: a rotation reads them anew).</summary>
    /// <exception cref="CertificateException">A file cannot be used; the message names it.</exception>
    public TlsCredentials Read() =>
        TlsCredentials.Load(Certificate, Key, Authority, Passphrase is null ? string.Empty : new NetworkCredential(string.Empty, Passphrase).Password);

    /// <summary>Reads the files for a cmdlet: an unusable file is its terminating CertificateUnusable error.</summary>
    /// <exception cref="TerminatingCommandException">A file cannot be used.</exception>
    public TlsCredentials ReadForCommand()
    {
        try
        {
            return Read();
        }
        catch (CertificateException e)
        {
            throw new TerminatingCommandException(ErrorRecords.UnusableCertificate(e));
        }
    }
}
