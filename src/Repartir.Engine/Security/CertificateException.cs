namespace Repartir.Security;

/// <summary>
/// A certificate, key or CA file cannot be used: unreadable, not PEM, a key that does not match its certificate,
/// expired or not yet valid. The message names the file and says what to do.
/// </summary>
public sealed class CertificateException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public CertificateException(string path, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Path = path;
    }

    /// <summary>The file at fault.</summary>
    public string Path { get; }
}
