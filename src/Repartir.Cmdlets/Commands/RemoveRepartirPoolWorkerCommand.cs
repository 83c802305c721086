using System.Management.Automation;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Cmdlets.Workers;

namespace Repartir.Cmdlets.Commands;

/// <summary>Remove-RepartirPoolWorker: a pool stops using workers (their running tasks finish first, or with -Force run elsewhere).</summary>
[Cmdlet(VerbsCommon.Remove, "RepartirPoolWorker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByEndpointSet, HelpUri = HelpUris.Pages + "Remove-RepartirPoolWorker.md")]
[OutputType(typeof(void))]
public sealed class RemoveRepartirPoolWorkerCommand : PSCmdlet, IDisposable
{
    private const string ByEndpointSet = "ByEndpoint";
    private const string ByWorkerSet = "ByWorker";
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The pool, or its name.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByEndpointSet, ValueFromPipelineByPropertyName = true)]
    [PoolTransformation]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    public PoolInfo? Pool { get; set; }

    /// <summary>Addresses or worker names of the workers to remove, wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = ByEndpointSet, ValueFromPipelineByPropertyName = true)]
    [Alias("Address")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Endpoint { get; set; } = [];

    /// <summary>The workers to remove, as Get-RepartirPoolWorker or Add-RepartirPoolWorker wrote them.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByWorkerSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PoolWorkerInfo[] Worker { get; set; } = [];

    /// <summary>Run the workers' running tasks on other workers at once instead of letting them finish.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var sink = new CmdletSink(this);
        try
        {
            IReadOnlyList<PoolWorkerInfo> workers = ParameterSetName == ByWorkerSet ? Worker : PoolWorkerCommands.Resolve(Pool!.Resolve(), Endpoint, sink);
            PoolWorkerCommands.Remove(workers, Force, sink, _stop.Token);
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
