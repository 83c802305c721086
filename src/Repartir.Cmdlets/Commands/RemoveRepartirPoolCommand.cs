using System.Management.Automation;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;

namespace Repartir.Cmdlets.Commands;

/// <summary>Remove-RepartirPool: shuts pools down (gracefully, or with -Force at once) and forgets them.</summary>
[Cmdlet(VerbsCommon.Remove, "RepartirPool", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByNameSet, HelpUri = HelpUris.Pages + "Remove-RepartirPool.md")]
[OutputType(typeof(void))]
public sealed class RemoveRepartirPoolCommand : PSCmdlet, IDisposable
{
    private const string ByNameSet = "ByName";
    private const string ByPoolSet = "ByPool";
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Names or wildcard patterns of the pools to remove.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByNameSet, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary>The pools to remove, from Get-RepartirPool or New-RepartirPool.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByPoolSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PoolInfo[] Pool { get; set; } = [];

    /// <summary>Cancel queued tasks and kill running ones instead of waiting for them.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var sink = new CmdletSink(this);
        IReadOnlyList<PoolInfo> pools = ParameterSetName == ByPoolSet ? Pool : PoolCommands.Resolve(PoolRegistry.Process, Name, sink);
        PoolCommands.Remove(PoolRegistry.Process, pools, Force, sink, _stop.Token);
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _stop.Cancel();

    /// <inheritdoc />
    public void Dispose() => _stop.Dispose();
}
