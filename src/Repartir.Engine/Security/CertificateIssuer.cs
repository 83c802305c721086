using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Repartir.Security;

/// <summary>
/// Makes the certificates a cluster needs, for people who are not PKI experts: a certificate authority, server
/// certificates for workers (with the DNS names and IP addresses coordinators dial), and client certificates for
/// coordinators. Every key is ECDSA P-256.
/// </summary>
public static class CertificateIssuer
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1", "Server Authentication");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2", "Client Authentication");

    /// <summary>Validity of a new certificate authority when none is given: ten years.</summary>
    public static readonly TimeSpan DefaultAuthorityValidity = TimeSpan.FromDays(3650);

    /// <summary>Validity of a new server or client certificate when none is given: 397 days, what browsers accept.</summary>
    public static readonly TimeSpan DefaultLeafValidity = TimeSpan.FromDays(397);

    // A clock a few minutes behind the issuer's must not see a new certificate as not yet valid.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Creates a self-signed certificate authority named <paramref name="name"/>, with its private key.</summary>
    public static X509Certificate2 CreateAuthority(string name, TimeSpan validity, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(Subject(name), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return request.CreateSelfSigned(now - ClockSkew, now + CheckValidity(validity));
    }

    /// <summary>
    /// Issues a worker's certificate: its name and every DNS name and IP address coordinators will dial go in its
    /// subject alternative names, which is what a coordinator checks.
    /// </summary>
    /// <exception cref="ArgumentException">No name to put in it, or the authority cannot sign.</exception>
    public static X509Certificate2 IssueServer(X509Certificate2 authority, string name, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses, TimeSpan validity, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        ArgumentNullException.ThrowIfNull(addresses);
        var names = new SubjectAlternativeNameBuilder();
        var dns = dnsNames.Prepend(name).Where(n => IPAddress.TryParse(n, out _) is false).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var ips = addresses.Concat(dnsNames.Prepend(name).Select(n => IPAddress.TryParse(n, out IPAddress? a) ? a : null).OfType<IPAddress>()).Distinct().ToList();
        dns.ForEach(names.AddDnsName);
        ips.ForEach(names.AddIpAddress);
        return Issue(authority, name, ServerAuthentication, names.Build(), validity, now);
    }

    /// <summary>Issues a coordinator's client certificate named <paramref name="name"/>.</summary>
    public static X509Certificate2 IssueClient(X509Certificate2 authority, string name, TimeSpan validity, DateTimeOffset now) =>
        Issue(authority, name, ClientAuthentication, null, validity, now);

    private static X509Certificate2 Issue(X509Certificate2 authority, string name, Oid purpose, X509Extension? alternativeNames, TimeSpan validity, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(authority);
        using ECDsa? authorityKey = authority.GetECDsaPrivateKey();
        using RSA? authorityRsaKey = authorityKey is null ? authority.GetRSAPrivateKey() : null;
        if (authorityKey is null && authorityRsaKey is null)
        {
            throw new ArgumentException($"The certificate authority {authority.Subject} has no private key here; give its key file.", nameof(authority));
        }

        if (authority.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            throw new ArgumentException($"{authority.Subject} is not a certificate authority (its basic constraints do not say CA).", nameof(authority));
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(Subject(name), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([purpose], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (alternativeNames is not null)
        {
            request.CertificateExtensions.Add(alternativeNames);
        }

        DateTimeOffset notAfter = now + CheckValidity(validity);
        if (notAfter > authority.NotAfter)
        {
            notAfter = authority.NotAfter; // never outlive the authority that vouches for it
        }

        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        X509SignatureGenerator generator = authorityKey is not null
            ? X509SignatureGenerator.CreateForECDsa(authorityKey)
            : X509SignatureGenerator.CreateForRSA(authorityRsaKey!, RSASignaturePadding.Pkcs1);
        using X509Certificate2 issued = request.Create(authority.SubjectName, generator, now - ClockSkew, notAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }

    private static X500DistinguishedName Subject(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(name);
        builder.AddOrganizationName("Repartir");
        return builder.Build();
    }

    private static TimeSpan CheckValidity(TimeSpan validity) =>
        validity > TimeSpan.Zero ? validity : throw new ArgumentOutOfRangeException(nameof(validity), validity, "A certificate must be valid for some time.");
}
