using System.Management.Automation;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Cmdlets.Workers;

namespace Repartir.Cmdlets.Commands;

/// <summary>Get-RepartirPoolWorker: the workers a pool (or every pool) places tasks on, with their state and figures.</summary>
[Cmdlet(VerbsCommon.Get, "RepartirPoolWorker", HelpUri = HelpUris.Pages + "Get-RepartirPoolWorker.md")]
[OutputType(typeof(PoolWorkerInfo))]
public sealed class GetRepartirPoolWorkerCommand : PSCmdlet
{
    /// <summary>The pool, or its name; every pool when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [PoolTransformation]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    public PoolInfo? Pool { get; set; }

    /// <summary>Addresses or worker names, wildcards allowed; every worker when omitted.</summary>
    [Parameter(Position = 1)]
    [Alias("Address")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Endpoint { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            PoolWorkerCommands.Get(Pool is null ? PoolRegistry.Process.All : [Pool.Resolve()], Endpoint, new CmdletSink(this));
        }
        catch (TerminatingCommandException ex)
        {
            ThrowTerminatingError(ex.Error.ToRecord());
        }
    }
}
