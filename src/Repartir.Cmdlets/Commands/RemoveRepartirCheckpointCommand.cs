using System.Management.Automation;
using Repartir.Cmdlets.Checkpoints;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;

namespace Repartir.Cmdlets.Commands;

/// <summary>Remove-RepartirCheckpoint: removes versions of a checkpoint: given ones, all but the last N, those older than an age, or all.</summary>
[Cmdlet(VerbsCommon.Remove, "RepartirCheckpoint", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = HelpUris.Pages + "Remove-RepartirCheckpoint.md")]
[OutputType(typeof(void))]
public sealed class RemoveRepartirCheckpointCommand : CheckpointStoreCommand
{
    /// <summary>The checkpoint's name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CheckpointNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>Only these versions (Get-RepartirCheckpoint piped in binds them).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public long[]? Version { get; set; }

    /// <summary>Keep this many of the latest versions and remove the rest.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int KeepLast { get; set; }

    /// <summary>Remove versions saved longer ago than this (7.00:00:00, or New-TimeSpan -Days 7).</summary>
    [Parameter]
    public TimeSpan OlderThan { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            CheckpointCommands.Remove(
                StoreDirectory,
                Name,
                Version,
                MyInvocation.BoundParameters.ContainsKey(nameof(KeepLast)) ? KeepLast : null,
                MyInvocation.BoundParameters.ContainsKey(nameof(OlderThan)) ? OlderThan : null,
                DateTimeOffset.UtcNow,
                new CmdletSink(this));
        }
        catch (TerminatingCommandException e)
        {
            ThrowTerminatingError(e.Error.ToRecord());
        }
    }
}
