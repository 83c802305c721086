using System.Management.Automation;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadConflict;

/// <summary>Get-ConflictingLogger: uses the module's Microsoft.Extensions.Logging.Abstractions and says which version it got.</summary>
[Cmdlet(VerbsCommon.Get, "ConflictingLogger")]
[OutputType(typeof(string))]
public sealed class GetConflictingLoggerCommand : PSCmdlet
{
    /// <inheritdoc />
    protected override void EndProcessing() => WriteObject(NullLogger.Instance.GetType().Assembly.GetName().Version!.ToString());
}
