using System.Management.Automation;
using Repartir.Cmdlets.Output;
using Repartir.Security;

namespace Repartir.Cmdlets.Commands;

/// <summary>New-RepartirCertificate: creates a cluster's certificate authority and issues worker and coordinator certificates.</summary>
[Cmdlet(VerbsCommon.New, "RepartirCertificate", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, HelpUri = HelpUris.Pages + "New-RepartirCertificate.md")]
[OutputType(typeof(IssuedCertificate))]
public sealed class NewRepartirCertificateCommand : PSCmdlet
{
    /// <summary>Authority (the CA), Server (a worker) or Client (a coordinator).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public CertificateKind Kind { get; set; }

    /// <summary>The certificate's name: a worker's host name, a coordinator's name; also its files' name (the CA's files are ca.pem and ca.key).</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>A worker's further DNS names and IP addresses: every name coordinators dial it by.</summary>
    [Parameter]
    [ValidateNotNull]
    public string[] AlternativeName { get; set; } = [];

    /// <summary>The directory the files go to; the current location when omitted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = ".";

    /// <summary>The CA certificate that signs (ca.pem in -Path when omitted).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CaPath { get; set; }

    /// <summary>The CA's private key (ca.key in -Path when omitted).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CaKeyPath { get; set; }

    /// <summary>Days it is valid: 3650 for a CA, 397 otherwise, when omitted.</summary>
    [Parameter]
    [ValidateRange(1, 36500)]
    public int ValidDays { get; set; }

    /// <summary>Overwrite files that exist.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        string name = Name ?? (Kind == CertificateKind.Authority ? "Repartir CA" : string.Empty);
        if (name.Length == 0)
        {
            ThrowTerminatingError(ErrorRecords.NotIssued(name, new InvalidSettingException(nameof(Name), $"A {Kind} certificate needs -Name: {(Kind == CertificateKind.Server ? "the worker's host name" : "the coordinator's name")}.")).ToRecord());
            return;
        }

        if (Kind != CertificateKind.Server && AlternativeName.Length > 0)
        {
            ThrowTerminatingError(ErrorRecords.NotIssued(name, new InvalidSettingException(nameof(AlternativeName), "-AlternativeName is for -Kind Server: the names coordinators dial a worker by.")).ToRecord());
            return;
        }

        string directory = GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(directory, $"Issue a {Kind} certificate '{name}'"))
        {
            return;
        }

        try
        {
            WriteObject(IssuedFiles.Issue(
                new IssuedFiles.Request
                {
                    Kind = Kind,
                    Name = name,
                    Directory = directory,
                    AlternativeNames = AlternativeName,
                    AuthorityPath = CaPath is null ? null : GetUnresolvedProviderPathFromPSPath(CaPath),
                    AuthorityKeyPath = CaKeyPath is null ? null : GetUnresolvedProviderPathFromPSPath(CaKeyPath),
                    Validity = ValidDays > 0 ? TimeSpan.FromDays(ValidDays) : null,
                    Overwrite = Force,
                },
                DateTimeOffset.UtcNow));
        }
        catch (Exception e) when (e is ArgumentException or CertificateException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorRecords.NotIssued(name, e).ToRecord());
        }
    }
}
