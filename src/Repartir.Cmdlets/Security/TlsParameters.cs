using System.Net;
using System.Security;
using Repartir.Cmdlets.Output;
using Repartir.Security;

namespace Repartir.Cmdlets.Security;

/// <summary>
/// The mutual-TLS parameters Start-RepartirWorker and New-RepartirPool share (-CertificatePath, -KeyPath,
/// -CaPath: all three or none; -KeyPassphrase for an encrypted key), turned into credentials.
/// </summary>
public static class TlsParameters
{
    /// <summary>
    /// The credentials the three paths (already resolved against PowerShell's location) name; null when none is given.
    /// </summary>
    /// <exception cref="TerminatingCommandException">Only some were given, or a file cannot be used (the error names it).</exception>
    public static TlsCredentials? Load(string? certificatePath, string? keyPath, string? caPath, SecureString? keyPassphrase)
    {
        if (certificatePath is null && keyPath is null && caPath is null)
        {
            return null;
        }

        if (certificatePath is null || keyPath is null || caPath is null)
        {
            string missing = string.Join(", ", new[] { ("-CertificatePath", certificatePath), ("-KeyPath", keyPath), ("-CaPath", caPath) }.Where(p => p.Item2 is null).Select(p => p.Item1));
            throw new TerminatingCommandException(ErrorRecords.BadTlsSettings(new InvalidSettingException("CertificatePath", $"Mutual TLS needs -CertificatePath, -KeyPath and -CaPath together; missing {missing}.")));
        }

        try
        {
            return Reload(certificatePath, keyPath, caPath, keyPassphrase);
        }
        catch (CertificateException e)
        {
            throw new TerminatingCommandException(ErrorRecords.UnusableCertificate(e));
        }
    }

    /// <summary>Reads the three files (again); a <see cref="CertificateException"/> names the one at fault.</summary>
    public static TlsCredentials Reload(string certificatePath, string keyPath, string caPath, SecureString? keyPassphrase)
    {
        string passphrase = keyPassphrase is null ? string.Empty : new NetworkCredential(string.Empty, keyPassphrase).Password;
        return TlsCredentials.Load(certificatePath, keyPath, caPath, passphrase);
    }
}
