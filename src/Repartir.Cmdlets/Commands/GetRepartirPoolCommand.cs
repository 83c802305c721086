using System.Management.Automation;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;

namespace Repartir.Cmdlets.Commands;

/// <summary>Get-RepartirPool: lists pools, optionally by name with wildcards.</summary>
[Cmdlet(VerbsCommon.Get, "RepartirPool", HelpUri = HelpUris.Pages + "Get-RepartirPool.md")]
[OutputType(typeof(PoolInfo))]
public sealed class GetRepartirPoolCommand : PSCmdlet
{
    /// <summary>Names or wildcard patterns; every pool when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    public string[]? Name { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => PoolCommands.Get(PoolRegistry.Process, Name, new CmdletSink(this));
}
