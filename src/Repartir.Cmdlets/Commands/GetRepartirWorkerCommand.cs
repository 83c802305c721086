using System.Management.Automation;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Cmdlets.Workers;

namespace Repartir.Cmdlets.Commands;

/// <summary>Get-RepartirWorker: the remote workers of a pool (or of every pool) with their state and figures.</summary>
[Cmdlet(VerbsCommon.Get, "RepartirWorker")]
[OutputType(typeof(RemoteWorkerInfo))]
public sealed class GetRepartirWorkerCommand : PSCmdlet
{
    /// <summary>Addresses or worker names, wildcards allowed; every worker when omitted.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Address { get; set; }

    /// <summary>The pool, or its name; every pool when omitted.</summary>
    [Parameter(ValueFromPipeline = true)]
    [PoolTransformation]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    public PoolInfo? Pool { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() =>
        RemoteWorkerCommands.Get(Pool is null ? PoolRegistry.Process.All : [Pool], Address, new CmdletSink(this));
}
