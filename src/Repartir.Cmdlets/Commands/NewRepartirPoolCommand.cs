using System.Management.Automation;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Execution;
using Repartir.Remote;
using Repartir.Scheduling;

namespace Repartir.Cmdlets.Commands;

/// <summary>New-RepartirPool: creates a named pool of CPU workers and, with -Worker, worker daemons on other machines.</summary>
[Cmdlet(VerbsCommon.New, "RepartirPool", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, HelpUri = HelpUris.Pages + "New-RepartirPool.md")]
[OutputType(typeof(PoolInfo))]
public sealed class NewRepartirPoolCommand : MutualTlsCommand, IDisposable
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

    /// <summary>Worker daemons (HOST:PORT) the pool places tasks on.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Worker { get; set; } = [];

    /// <summary>This machine's GPUs that Gpu tasks run on, one task a device while devices are free (0, 1 … or UUIDs); detected when omitted, none with an empty list.</summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? Gpu { get; set; }

    /// <summary>How often, in seconds, the pool checks on its workers; a worker silent for 5 intervals is Offline.</summary>
    [Parameter]
    [ValidateRange(0.05, 3600.0)]
    public double HeartbeatIntervalSeconds { get; set; } = 1;

    /// <summary>How long, in seconds, a task waits for a worker while none can take it, before it fails as NoWorker; 0 waits for ever.</summary>
    [Parameter]
    [ValidateRange(0.0, 31536000.0)]
    public double PlacementTimeoutSeconds { get; set; } = PoolOptions.DefaultPlacementTimeout.TotalSeconds;

    /// <summary>The most tasks that may wait in the queue; no limit when omitted.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxQueue { get; set; }

    /// <summary>The most bytes kept of each task's standard output and of its standard error; 0 keeps all.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MaxOutputBytes { get; set; } = ProcessExecutorOptions.DefaultMaxOutputBytes;

    /// <summary>With -MaxQueue: refuse tasks when the queue is full instead of waiting for room.</summary>
    [Parameter]
    public SwitchParameter RejectWhenFull { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        bool cpuWorkersGiven = MyInvocation.BoundParameters.ContainsKey(nameof(CpuWorkers));
        Repartir.Security.TlsCredentials? tls = null;
        try
        {
            tls = GivenTlsFiles()?.ReadForCommand();
        }
        catch (TerminatingCommandException ex)
        {
            ThrowTerminatingError(ex.Error.ToRecord());
        }

        var options = new PoolOptions
        {
            Name = Name ?? PoolRegistry.Process.NextAutomaticName(),
            CpuWorkers = Worker.Length > 0 && !cpuWorkersGiven ? 0 : CpuWorkers, // with workers, this machine coordinates unless told otherwise
            Workers = Worker,
            Gpus = Gpu,
            Remote = RemoteOptions.WithHeartbeat(TimeSpan.FromSeconds(HeartbeatIntervalSeconds)) with { Tls = tls, AllowInsecure = AllowInsecure },
            PlacementTimeout = PlacementTimeoutSeconds == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(PlacementTimeoutSeconds),
            MaxQueue = MyInvocation.BoundParameters.ContainsKey(nameof(MaxQueue)) ? MaxQueue : null,
            QueueFullMode = RejectWhenFull ? QueueFullMode.Reject : QueueFullMode.Wait,
            Process = new ProcessExecutorOptions { MaxOutputBytes = MaxOutputBytes },
        };
        try
        {
            PoolCommands.New(PoolRegistry.Process, options, new CmdletSink(this), _stop.Token);
        }
        catch (TerminatingCommandException ex)
        {
            ThrowTerminatingError(ex.Error.ToRecord());
        }
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _stop.Cancel();


    /// <inheritdoc />
    public void Dispose() => _stop.Dispose();
}
