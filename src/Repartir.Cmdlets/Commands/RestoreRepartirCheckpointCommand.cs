using System.Management.Automation;
using Repartir.Cmdlets.Checkpoints;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;

namespace Repartir.Cmdlets.Commands;

/// <summary>Restore-RepartirCheckpoint: returns a checkpoint's state (the latest version, or a given version or iteration) once its hash is checked.</summary>
[Cmdlet(VerbsData.Restore, "RepartirCheckpoint", DefaultParameterSetName = LatestSet, HelpUri = HelpUris.Pages + "Restore-RepartirCheckpoint.md")]
[OutputType(typeof(PSObject), typeof(object[]), typeof(System.Collections.Specialized.OrderedDictionary))]
public sealed class RestoreRepartirCheckpointCommand : CheckpointStoreCommand
{
    private const string LatestSet = "Latest";
    private const string VersionSet = "Version";
    private const string IterationSet = "Iteration";

    /// <summary>The checkpoint's name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CheckpointNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>The version to restore (Get-RepartirCheckpoint lists them).</summary>
    [Parameter(Mandatory = true, ParameterSetName = VersionSet, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, long.MaxValue)]
    public long Version { get; set; }

    /// <summary>Restore the latest version saved with this iteration.</summary>
    [Parameter(Mandatory = true, ParameterSetName = IterationSet)]
    public long Iteration { get; set; }

    /// <summary>Maps come back as ordered hashtables instead of PSCustomObjects (needed when keys differ only in case).</summary>
    [Parameter]
    public SwitchParameter AsHashtable { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            object? state = CheckpointCommands.Restore(
                StoreDirectory,
                Name,
                ParameterSetName == VersionSet ? Version : null,
                ParameterSetName == IterationSet ? Iteration : null,
                AsHashtable,
                new CmdletSink(this));
            WriteObject(state, enumerateCollection: false);
        }
        catch (TerminatingCommandException e)
        {
            ThrowTerminatingError(e.Error.ToRecord());
        }
    }
}
