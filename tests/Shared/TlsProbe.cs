using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Repartir.Testing;

/// <summary>A TLS client that trusts anything, for asking a worker which certificate it presents to a new connection.</summary>
internal static class TlsProbe
{
    /// <summary>The thumbprint of the certificate <paramref name="endPoint"/> presents to a client holding <paramref name="clientCertificate"/>.</summary>
    internal static async Task<string> PresentedThumbprintAsync(IPEndPoint endPoint, X509Certificate2 clientCertificate)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endPoint);
        await using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [clientCertificate],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        return ssl.RemoteCertificate!.GetCertHashString();
    }
}
