using System.Management.Automation;
using Repartir.Checkpoints;
using Repartir.Cmdlets.Checkpoints;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;

namespace Repartir.Cmdlets.Commands;

/// <summary>Save-RepartirCheckpoint: saves a state (hashtables, objects, arrays, primitives) as the next version of a named checkpoint.</summary>
[Cmdlet(VerbsData.Save, "RepartirCheckpoint", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, HelpUri = HelpUris.Pages + "Save-RepartirCheckpoint.md")]
[OutputType(typeof(CheckpointInfo))]
public sealed class SaveRepartirCheckpointCommand : CheckpointStoreCommand
{
    private readonly List<object?> _piped = [];
    private bool _bound;

    /// <summary>The checkpoint's name.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CheckpointNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>The state. Piped items are saved as one array (a single piped item as itself); -InputObject saves exactly what it is given.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [AllowNull]
    [AllowEmptyCollection]
    [AllowEmptyString]
    public object? InputObject { get; set; }

    /// <summary>The iteration (epoch, batch, day) this state belongs to; Restore-RepartirCheckpoint -Iteration finds it.</summary>
    [Parameter]
    public long Iteration { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing() => _bound = MyInvocation.BoundParameters.ContainsKey(nameof(InputObject));

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (!_bound)
        {
            _piped.Add(InputObject);
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        object? state = _bound ? InputObject : _piped.Count == 1 ? _piped[0] : _piped;
        try
        {
            CheckpointCommands.Save(StoreDirectory, Name, state, MyInvocation.BoundParameters.ContainsKey(nameof(Iteration)) ? Iteration : null, new CmdletSink(this));
        }
        catch (TerminatingCommandException e)
        {
            ThrowTerminatingError(e.Error.ToRecord());
        }
    }
}
