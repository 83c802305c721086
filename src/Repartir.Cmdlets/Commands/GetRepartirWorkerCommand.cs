using System.Management.Automation;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Workers;

namespace Repartir.Cmdlets.Commands;

/// <summary>Get-RepartirWorker: the worker daemons started in this session (Start-RepartirWorker), optionally by name.</summary>
[Cmdlet(VerbsCommon.Get, "RepartirWorker", HelpUri = HelpUris.Pages + "Get-RepartirWorker.md")]
[OutputType(typeof(WorkerInfo))]
public sealed class GetRepartirWorkerCommand : PSCmdlet
{
    /// <summary>Names or wildcard patterns; every worker when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(WorkerNameCompleter))]
    public string[]? Name { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => WorkerCommands.Get(WorkerRegistry.Process, Name, new CmdletSink(this));
}
