using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Repartir.Security;

/// <summary>
/// Mutual TLS over a connection's stream, both ends: TLS 1.3 preferred, 1.2 at least; each side's certificate
/// must chain to the authorities the other was given (and nothing else it trusts); a worker's certificate must
/// also name the host or address the coordinator dialled. It runs before any protocol byte, so a peer without a
/// good certificate learns nothing, not even the worker's hello.
/// </summary>
internal static class TlsHandshake
{
    private const SslProtocols Protocols = SslProtocols.Tls13 | SslProtocols.Tls12;
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    /// <summary>The worker's side: demands a client certificate that chains to its authorities.</summary>
    /// <exception cref="AuthenticationException">The peer's certificate was refused, or it did not speak TLS; the message says why.</exception>
    internal static async Task<SslStream> AcceptAsync(Stream stream, TlsCredentials credentials, CancellationToken cancellationToken)
    {
        string? refusal = null;
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(credentials.Certificate, additionalCertificates: null, offline: true),
            ClientCertificateRequired = true,
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                refusal = certificate is null
                    ? "it presented no client certificate"
                    : Verify(certificate, chain, credentials, ClientAuthentication, "client");
                return refusal is null;
            },
        };
        try
        {
            await ssl.AuthenticateAsServerAsync(options, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new AuthenticationException(refusal is null ? $"TLS handshake failed: {e.Message}" : "refused its certificate: " + refusal, e);
        }
    }

    /// <summary>The coordinator's side: presents its certificate and checks the worker's against its authorities and <paramref name="host"/>.</summary>
    /// <exception cref="AuthenticationException">The worker's certificate was refused, or the handshake failed; the message says why.</exception>
    internal static async Task<SslStream> ConnectAsync(Stream stream, string host, TlsCredentials credentials, CancellationToken cancellationToken)
    {
        string? refusal = null;
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            ClientCertificateContext = SslStreamCertificateContext.Create(credentials.Certificate, additionalCertificates: null, offline: true),
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                if (certificate is null)
                {
                    refusal = "the worker presented no certificate";
                }
                else if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    refusal = $"the worker's certificate is not for '{host}' (it names {NamesIn(certificate)}); dial a name it holds or issue it with this one";
                }
                else
                {
                    refusal = Verify(certificate, chain, credentials, ServerAuthentication, "server");
                }

                return refusal is null;
            },
        };
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new AuthenticationException(refusal ?? $"TLS handshake failed ({e.Message.TrimEnd('.')}): the worker may not speak TLS, or refused this pool's certificate", e);
        }
    }

    /// <summary>Null when <paramref name="presented"/> chains to the authorities for <paramref name="purpose"/>; otherwise why not.</summary>
    internal static string? Verify(X509Certificate presented, X509Chain? sent, TlsCredentials credentials, Oid purpose, string role)
    {
        using var certificate = new X509Certificate2(presented);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(credentials.Authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(purpose);
        if (sent is not null)
        {
            foreach (X509ChainElement element in sent.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate); // intermediates the peer sent
            }
        }

        if (chain.Build(certificate))
        {
            return null;
        }

        X509ChainStatusFlags flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        string subject = certificate.Subject;
        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            return $"the {role} certificate {subject} is valid only from {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u}";
        }

        if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
        {
            return $"the {role} certificate {subject} (issued by {certificate.Issuer}) does not chain to {credentials.AuthoritiesSource}";
        }

        if ((flags & (X509ChainStatusFlags.NotValidForUsage | X509ChainStatusFlags.InvalidExtension)) != 0)
        {
            return $"the {role} certificate {subject} is not issued for {role} authentication";
        }

        return $"the {role} certificate {subject} is not valid: {string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()))}";
    }

    private static string NamesIn(X509Certificate presented)
    {
        using var certificate = new X509Certificate2(presented);
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>()
            .SelectMany(e => e.EnumerateDnsNames().Concat(e.EnumerateIPAddresses().Select(a => a.ToString())))
            .ToList();
        return names.Count > 0 ? string.Join(", ", names) : "no alternative names";
    }
}
