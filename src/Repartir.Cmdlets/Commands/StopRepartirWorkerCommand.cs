using System.Management.Automation;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Workers;

namespace Repartir.Cmdlets.Commands;

/// <summary>Stop-RepartirWorker: stops workers started in this session (draining, or with -Force at once).</summary>
[Cmdlet(VerbsLifecycle.Stop, "RepartirWorker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByNameSet, HelpUri = HelpUris.Pages + "Stop-RepartirWorker.md")]
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
    [ArgumentCompleter(typeof(WorkerNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary>The workers to stop, as Start-RepartirWorker or Get-RepartirWorker wrote them.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByWorkerSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public WorkerInfo[] Worker { get; set; } = [];

    /// <summary>Kill running tasks instead of letting them finish; the pools that sent them run them elsewhere.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var sink = new CmdletSink(this);
        IReadOnlyList<WorkerInfo> workers = ParameterSetName == ByWorkerSet ? Worker : WorkerCommands.Resolve(WorkerRegistry.Process, Name, sink);
        WorkerCommands.Stop(WorkerRegistry.Process, workers, Force, sink, _stop.Token);
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _stop.Cancel();

    /// <inheritdoc />
    public void Dispose() => _stop.Dispose();
}
