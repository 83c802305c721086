using System.Management.Automation;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Remote;
using Repartir.Scheduling;

namespace Repartir.Cmdlets.Commands;

/// <summary>New-RepartirPool: creates a named pool of CPU workers and, with -Worker, remote worker daemons.</summary>
[Cmdlet(VerbsCommon.New, "RepartirPool", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(PoolInfo))]
public sealed class NewRepartirPoolCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The pool's name; pool-N when omitted.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>Tasks run at once on this machine; the processor count when omitted, 0 when omitted with -Worker.</summary>
    [Parameter]
    [ValidateRange(0, 4096)]
    public int CpuWorkers { get; set; } = Environment.ProcessorCount;

    /// <summary>Remote worker daemons (HOST:PORT) the pool places tasks on.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Worker { get; set; } = [];

    /// <summary>How often the pool checks on its remote workers; a worker silent for 5 intervals is Offline.</summary>
    [Parameter]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

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
        bool localWorkersGiven = MyInvocation.BoundParameters.ContainsKey(nameof(CpuWorkers));
        var options = new PoolOptions
        {
            Name = Name ?? PoolRegistry.Process.NextAutomaticName(),
            CpuWorkers = Worker.Length > 0 && !localWorkersGiven ? 0 : CpuWorkers, // with workers, this machine coordinates unless told otherwise
            Workers = Worker,
            Remote = RemoteOptions.WithHeartbeat(HeartbeatInterval),
            MaxQueue = MyInvocation.BoundParameters.ContainsKey(nameof(MaxQueue)) ? MaxQueue : null,
            QueueFullMode = RejectWhenFull ? QueueFullMode.Reject : QueueFullMode.Wait,
        };
        try
        {
            PoolCommands.New(PoolRegistry.Process, options, new CmdletSink(this), _stop.Token);
        }
        catch (TerminatingCommandException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex.Error));
        }
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _stop.Cancel();

    /// <inheritdoc />
    public void Dispose() => _stop.Dispose();
}
