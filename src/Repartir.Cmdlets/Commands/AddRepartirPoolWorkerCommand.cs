using System.Management.Automation;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Cmdlets.Workers;

namespace Repartir.Cmdlets.Commands;

/// <summary>Add-RepartirPoolWorker: adds worker daemons on other machines to a pool.</summary>
[Cmdlet(VerbsCommon.Add, "RepartirPoolWorker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, HelpUri = HelpUris.Pages + "Add-RepartirPoolWorker.md")]
[OutputType(typeof(PoolWorkerInfo))]
public sealed class AddRepartirPoolWorkerCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _endpoints = [];

    /// <summary>The pool, or its name.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [PoolTransformation]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    public PoolInfo? Pool { get; set; }

    /// <summary>Worker addresses, HOST:PORT.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Address")]
    [ValidateNotNullOrEmpty]
    public string[] Endpoint { get; set; } = [];

    /// <inheritdoc />
    protected override void ProcessRecord() => _endpoints.AddRange(Endpoint);

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        try
        {
            PoolWorkerCommands.Add(Pool!.Resolve(), _endpoints, new CmdletSink(this), _stop.Token);
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
