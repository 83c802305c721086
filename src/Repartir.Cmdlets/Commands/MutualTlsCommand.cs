using System.Management.Automation;
using Repartir.Cmdlets.Security;

namespace Repartir.Cmdlets.Commands;

/// <summary>
/// The mutual-TLS parameters Start-RepartirWorker and New-RepartirPool share, in one place: the side's certificate,
/// key and CA (all three or none), an encrypted key's passphrase, and the opt-out to plain TCP off loopback.
/// </summary>
public abstract class MutualTlsCommand : PSCmdlet
{
    /// <summary>This side's certificate (PEM), for mutual TLS; with -KeyPath and -CaPath.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CertificatePath { get; set; }

    /// <summary>The private key of -CertificatePath (PEM).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KeyPath { get; set; }

    /// <summary>The CA certificate(s) (PEM) the other side's certificate must chain to.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CaPath { get; set; }

    /// <summary>The passphrase of an encrypted -KeyPath (otherwise read from REPARTIR_KEY_PASSPHRASE).</summary>
    [Parameter]
    public System.Security.SecureString? KeyPassphrase { get; set; }

    /// <summary>Plain TCP off loopback: anyone who reaches it can run programs (a worker), or read and change tasks (a pool).</summary>
    [Parameter]
    public SwitchParameter AllowInsecure { get; set; }

    /// <summary>The TLS files given, resolved against PowerShell's location; null when none was.</summary>
    /// <exception cref="Output.TerminatingCommandException">Only some of the three were given.</exception>
    protected TlsFiles? GivenTlsFiles() => TlsFiles.From(Resolve(CertificatePath), Resolve(KeyPath), Resolve(CaPath), KeyPassphrase);

    private string? Resolve(string? path) => path is null ? null : GetUnresolvedProviderPathFromPSPath(path);
}
