using System.Management.Automation;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Workers;

namespace Repartir.Cmdlets.Commands;

/// <summary>Stop-RepartirWorker: stops workers started in this session (draining, or with -Force at once).</summary>
[Cmdlet(VerbsLifecycle.Stop, "RepartirWorker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(void))]
public sealed class StopRepartirWorkerCommand : PSCmdlet, IDisposable
{
    private const string ByNameSet = "ByName";
    private const string ByWorkerSet = "ByWorker";
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Names or wildcard patterns of the workers to stop.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByNameSet, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>The workers to stop, as Start-RepartirWorker returned them.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByWorkerSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public LocalWorkerInfo[] Worker { get; set; } = [];

    /// <summary>Kill running tasks instead of letting them finish.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var sink = new CmdletSink(this);
        IReadOnlyList<LocalWorkerInfo> workers = ParameterSetName == ByWorkerSet ? Worker : WorkerCommands.Resolve(LocalWorkerRegistry.Process, Name, sink);
        WorkerCommands.Stop(LocalWorkerRegistry.Process, workers, Force, sink, _stop.Token);
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _stop.Cancel();

    /// <inheritdoc />
    public void Dispose() => _stop.Dispose();
}
