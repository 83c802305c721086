using System.Management.Automation;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Cmdlets.Workers;

namespace Repartir.Cmdlets.Commands;

/// <summary>Add-RepartirWorker: adds remote worker daemons to a pool.</summary>
[Cmdlet(VerbsCommon.Add, "RepartirWorker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(RemoteWorkerInfo))]
public sealed class AddRepartirWorkerCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _addresses = [];

    /// <summary>The pool, or its name.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [PoolTransformation]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    public PoolInfo? Pool { get; set; }

    /// <summary>Worker addresses, HOST:PORT.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Endpoint")]
    [ValidateNotNullOrEmpty]
    public string[] Address { get; set; } = [];

    /// <inheritdoc />
    protected override void ProcessRecord() => _addresses.AddRange(Address);

    /// <inheritdoc />
    protected override void EndProcessing() => RemoteWorkerCommands.Add(Pool!, _addresses, new CmdletSink(this), _stop.Token);

    /// <inheritdoc />
    protected override void StopProcessing() => _stop.Cancel();

    /// <inheritdoc />
    public void Dispose() => _stop.Dispose();
}
