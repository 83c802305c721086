using System.Management.Automation;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Tasks;

namespace Repartir.Cmdlets.Commands;

/// <summary>Wait-RepartirTask: waits for tasks submitted with -NoWait and writes their results.</summary>
[Cmdlet(VerbsLifecycle.Wait, "RepartirTask", HelpUri = HelpUris.Pages + "Wait-RepartirTask.md")]
[OutputType(typeof(TaskResultInfo))]
public sealed class WaitRepartirTaskCommand : PSCmdlet, IDisposable
{
    private WaitTaskRunner? _runner;

    /// <summary>The task handles, from Submit-RepartirTask -NoWait.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public TaskHandle[] Task { get; set; } = [];

    /// <summary>Stop waiting after this many seconds; each unfinished task gets a WaitTimedOut error and keeps running.</summary>
    [Parameter]
    [ValidateRange(0.0, 31536000.0)]
    public double TimeoutSeconds { get; set; }

    /// <summary>Write each task that did not succeed as a non-terminating TaskFailed error (carrying its result) instead of a result object.</summary>
    [Parameter]
    public SwitchParameter ErrorOnFailure { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing() => _runner = new WaitTaskRunner(new CmdletSink(this), ErrorOnFailure);

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (TaskHandle handle in Task)
        {
            _runner!.Add(handle);
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        try
        {
            _runner!.Complete(MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutSeconds)) ? TimeSpan.FromSeconds(TimeoutSeconds) : null);
        }
        catch (OperationCanceledException)
        {
            // Stopped with Ctrl+C; the tasks keep running.
        }
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _runner?.Stop();

    /// <inheritdoc />
    public void Dispose() => _runner?.Dispose();
}
