using System.Management.Automation;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Cmdlets.Workers;

namespace Repartir.Cmdlets.Commands;

/// <summary>Remove-RepartirWorker: a pool stops using remote workers (their running tasks finish first, or with -Force move elsewhere).</summary>
[Cmdlet(VerbsCommon.Remove, "RepartirWorker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByAddressSet)]
[OutputType(typeof(void))]
public sealed class RemoveRepartirWorkerCommand : PSCmdlet
{
    private const string ByAddressSet = "ByAddress";
    private const string ByWorkerSet = "ByWorker";

    /// <summary>The pool, or its name.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByAddressSet, ValueFromPipelineByPropertyName = true)]
    [PoolTransformation]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    public PoolInfo? Pool { get; set; }

    /// <summary>Addresses or worker names of the workers to remove, wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = ByAddressSet, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Address { get; set; } = [];

    /// <summary>The workers to remove, as Get-RepartirWorker or Add-RepartirWorker returned them.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByWorkerSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public RemoteWorkerInfo[] Worker { get; set; } = [];

    /// <summary>Requeue the workers' running tasks on other workers at once instead of letting them finish.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var sink = new CmdletSink(this);
        IReadOnlyList<RemoteWorkerInfo> workers = ParameterSetName == ByWorkerSet ? Worker : RemoteWorkerCommands.Resolve(Pool!, Address, sink);
        RemoteWorkerCommands.Remove(workers, Force, sink);
    }
}
