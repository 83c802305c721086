using System.Management.Automation;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Scheduling;

namespace Repartir.Cmdlets.Commands;

/// <summary>New-RepartirPool: creates a named pool of CPU workers.</summary>
[Cmdlet(VerbsCommon.New, "RepartirPool", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(PoolInfo))]
public sealed class NewRepartirPoolCommand : PSCmdlet
{
    /// <summary>The pool's name; pool-N when omitted.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>Tasks run at once; the processor count when omitted.</summary>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int CpuWorkers { get; set; } = Environment.ProcessorCount;

    /// <summary>The most tasks that may wait in the queue; no limit when omitted.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxQueue { get; set; }

    /// <summary>With -MaxQueue: refuse tasks when the queue is full instead of waiting for room.</summary>
    [Parameter]
    public SwitchParameter RejectWhenFull { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var options = new PoolOptions
        {
            Name = Name ?? PoolRegistry.Process.NextAutomaticName(),
            CpuWorkers = CpuWorkers,
            MaxQueue = MyInvocation.BoundParameters.ContainsKey(nameof(MaxQueue)) ? MaxQueue : null,
            QueueFullMode = RejectWhenFull ? QueueFullMode.Reject : QueueFullMode.Wait,
        };
        try
        {
            PoolCommands.New(PoolRegistry.Process, options, new CmdletSink(this));
        }
        catch (TerminatingCommandException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex.Error));
        }
    }
}
