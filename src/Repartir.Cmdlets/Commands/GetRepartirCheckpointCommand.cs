using System.Management.Automation;
using Repartir.Checkpoints;
using Repartir.Cmdlets.Checkpoints;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;

namespace Repartir.Cmdlets.Commands;

/// <summary>Get-RepartirCheckpoint: lists the versions of checkpoints in a store, by name with wildcards.</summary>
[Cmdlet(VerbsCommon.Get, "RepartirCheckpoint", HelpUri = HelpUris.Pages + "Get-RepartirCheckpoint.md")]
[OutputType(typeof(CheckpointInfo))]
public sealed class GetRepartirCheckpointCommand : CheckpointStoreCommand
{
    /// <summary>Names or wildcard patterns; every checkpoint when omitted.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CheckpointNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Only the latest version of each checkpoint.</summary>
    [Parameter]
    public SwitchParameter Latest { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            CheckpointCommands.Get(StoreDirectory, Name, Latest, new CmdletSink(this));
        }
        catch (TerminatingCommandException e)
        {
            ThrowTerminatingError(e.Error.ToRecord());
        }
    }
}
