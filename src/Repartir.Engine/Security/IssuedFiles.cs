using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Repartir.Security;

/// <summary>What a certificate is for: a certificate authority, a worker (server) or a coordinator (client).</summary>
public enum CertificateKind
{
    /// <summary>The certificate authority that vouches for every worker and coordinator of a cluster.</summary>
    Authority,

    /// <summary>A worker's certificate: what coordinators check, by the names they dial.</summary>
    Server,

    /// <summary>A coordinator's certificate: what workers check.</summary>
    Client,
}

/// <summary>A certificate written to disk: where its two files are and what it says.</summary>
/// <param name="Kind">What it is for.</param>
/// <param name="Name">Its common name.</param>
/// <param name="CertificatePath">The certificate (PEM).</param>
/// <param name="KeyPath">Its private key (PEM, PKCS#8, readable by the owner only).</param>
/// <param name="Subject">Its subject.</param>
/// <param name="AlternativeNames">The DNS names and IP addresses it is valid for (servers).</param>
/// <param name="NotAfter">When it expires (UTC).</param>
/// <param name="Thumbprint">Its SHA-1 thumbprint, as tools show it.</param>
public sealed record IssuedCertificate(CertificateKind Kind, string Name, string CertificatePath, string KeyPath, string Subject, IReadOnlyList<string> AlternativeNames, DateTime NotAfter, string Thumbprint);

/// <summary>
/// Issues a certificate and writes it as two PEM files, <c>NAME.pem</c> and <c>NAME.key</c> (a CA: <c>ca.pem</c> and
/// <c>ca.key</c>), for <c>repartir cert</c> and <c>New-RepartirCertificate</c> alike.
/// </summary>
public static class IssuedFiles
{
    /// <summary>The request: what to issue, where, and signed by which authority's files.</summary>
    public sealed record Request
    {
        /// <summary>What to issue.</summary>
        public required CertificateKind Kind { get; init; }

        /// <summary>Its common name, and for a server its first DNS name (or IP address); also the files' name.</summary>
        public required string Name { get; init; }

        /// <summary>The directory the files go to.</summary>
        public string Directory { get; init; } = ".";

        /// <summary>A server's further DNS names and IP addresses, as written.</summary>
        public IReadOnlyList<string> AlternativeNames { get; init; } = [];

        /// <summary>The signing authority's certificate (default: ca.pem in <see cref="Directory"/>).</summary>
        public string? AuthorityPath { get; init; }

        /// <summary>The signing authority's key (default: ca.key in <see cref="Directory"/>).</summary>
        public string? AuthorityKeyPath { get; init; }

        /// <summary>How long it is valid; null is the default for its kind.</summary>
        public TimeSpan? Validity { get; init; }

        /// <summary>Replace existing files.</summary>
        public bool Overwrite { get; init; }
    }

    /// <summary>Issues and writes what <paramref name="request"/> asks for.</summary>
    /// <exception cref="ArgumentException">A name that cannot be a file name, or an alternative name that is neither a DNS name nor an address.</exception>
    /// <exception cref="CertificateException">The authority's files cannot be used.</exception>
    /// <exception cref="IOException">A file exists (without <see cref="Request.Overwrite"/>) or cannot be written.</exception>
    public static IssuedCertificate Issue(Request request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        string name = request.Name;
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(['/', '\\', '\0']) >= 0 || name is "." or "..")
        {
            throw new InvalidSettingException(nameof(Request.Name), $"'{name}' cannot be a certificate's name: it also names its files (NAME.pem, NAME.key), so it has no slashes.");
        }

        foreach (string alternative in request.AlternativeNames)
        {
            if (!IPAddress.TryParse(alternative, out _) && Uri.CheckHostName(alternative) != UriHostNameType.Dns)
            {
                throw new InvalidSettingException(nameof(Request.AlternativeNames), $"'{alternative}' is neither a DNS name nor an IP address.");
            }
        }

        X509Certificate2 certificate;
        if (request.Kind == CertificateKind.Authority)
        {
            certificate = CertificateIssuer.CreateAuthority(name, request.Validity ?? CertificateIssuer.DefaultAuthorityValidity, now);
        }
        else
        {
            string authorityPath = request.AuthorityPath ?? Path.Combine(request.Directory, "ca.pem");
            string authorityKeyPath = request.AuthorityKeyPath ?? Path.Combine(request.Directory, "ca.key");
            using X509Certificate2 authority = PemFiles.LoadCertificateWithKey(authorityPath, authorityKeyPath, default, now);
            TimeSpan validity = request.Validity ?? CertificateIssuer.DefaultLeafValidity;
            certificate = request.Kind == CertificateKind.Server
                ? CertificateIssuer.IssueServer(authority, name, request.AlternativeNames, [], validity, now)
                : CertificateIssuer.IssueClient(authority, name, validity, now);
        }

        using (certificate)
        {
            string fileName = request.Kind == CertificateKind.Authority ? "ca" : name;
            string certificatePath = Path.GetFullPath(Path.Combine(request.Directory, fileName + ".pem"));
            string keyPath = Path.GetFullPath(Path.Combine(request.Directory, fileName + ".key"));
            System.IO.Directory.CreateDirectory(request.Directory);
            PemFiles.Write(certificate, certificatePath, keyPath, request.Overwrite);
            var alternatives = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>()
                .SelectMany(e => e.EnumerateDnsNames().Concat(e.EnumerateIPAddresses().Select(a => a.ToString())))
                .ToList();
            return new IssuedCertificate(request.Kind, name, certificatePath, keyPath, certificate.Subject, alternatives, certificate.NotAfter.ToUniversalTime(), certificate.Thumbprint);
        }
    }
}
