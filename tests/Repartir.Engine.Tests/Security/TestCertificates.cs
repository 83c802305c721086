using System.Net;
using System.Security.Cryptography.X509Certificates;
using Repartir.Security;

namespace Repartir.Tests.Security;

/// <summary>A small PKI for tests: a CA with a worker and a coordinator certificate, and the bad cases beside them.</summary>
internal sealed class TestCertificates : IDisposable
{
    private static readonly TimeSpan Year = TimeSpan.FromDays(365);

    internal TestCertificates()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        Authority = CertificateIssuer.CreateAuthority("Test CA", Year, now);
        OtherAuthority = CertificateIssuer.CreateAuthority("Another CA", Year, now);
        Server = CertificateIssuer.IssueServer(Authority, "localhost", [], [IPAddress.Loopback], Year, now);
        Client = CertificateIssuer.IssueClient(Authority, "coordinator", Year, now);
        ClientOfOtherAuthority = CertificateIssuer.IssueClient(OtherAuthority, "stranger", Year, now);
        ExpiredClient = CertificateIssuer.IssueClient(Authority, "expired", TimeSpan.FromDays(1), now - TimeSpan.FromDays(10));
        FutureClient = CertificateIssuer.IssueClient(Authority, "future", Year, now + TimeSpan.FromDays(10));
        ServerForAnotherHost = CertificateIssuer.IssueServer(Authority, "elsewhere.example", [], [IPAddress.Parse("192.0.2.7")], Year, now);
    }

    internal X509Certificate2 Authority { get; }

    internal X509Certificate2 OtherAuthority { get; }

    internal X509Certificate2 Server { get; }

    internal X509Certificate2 Client { get; }

    internal X509Certificate2 ClientOfOtherAuthority { get; }

    internal X509Certificate2 ExpiredClient { get; }

    internal X509Certificate2 FutureClient { get; }

    internal X509Certificate2 ServerForAnotherHost { get; }

    /// <summary>Credentials presenting <paramref name="certificate"/> and trusting this PKI's CA only.</summary>
    internal TlsCredentials With(X509Certificate2 certificate) => new(certificate, [Authority], "ca.pem");

    public void Dispose()
    {
        foreach (X509Certificate2 certificate in new[] { Authority, OtherAuthority, Server, Client, ClientOfOtherAuthority, ExpiredClient, FutureClient, ServerForAnotherHost })
        {
            certificate.Dispose();
        }
    }
}
