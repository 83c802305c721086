using System.Management.Automation;
using Repartir.Cmdlets.Output;

namespace Repartir.Cmdlets.Tasks;

/// <summary>Wait-RepartirTask's behaviour: results of handles as they complete, within an optional time limit.</summary>
public sealed class WaitTaskRunner : IDisposable
{
    private readonly ICommandSink _sink;
    private readonly List<TaskHandle> _handles = [];
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Prepares a wait that writes to <paramref name="sink"/>.</summary>
    public WaitTaskRunner(ICommandSink sink) => _sink = sink ?? throw new ArgumentNullException(nameof(sink));

    /// <summary>Collects a handle (ProcessRecord).</summary>
    public void Add(TaskHandle handle) => _handles.Add(handle ?? throw new ArgumentNullException(nameof(handle)));

    /// <summary>
    /// Writes each handle's result as it completes (EndProcessing). When <paramref name="timeout"/> passes
    /// first, each unfinished task gets a WaitTimedOut error (it keeps running; wait for it again later).
    /// </summary>
    public void Complete(TimeSpan? timeout)
    {
        var pending = _handles.ToDictionary(h => (Task)h.Submitted.Completion);
        using var limit = new CancellationTokenSource();
        if (timeout is { } span)
        {
            limit.CancelAfter(span);
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, _stop.Token);
        while (pending.Count > 0)
        {
            Task done;
            try
            {
                done = Task.WhenAny(pending.Keys).WaitAsync(wait.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested && !_stop.IsCancellationRequested)
            {
                foreach (TaskHandle handle in pending.Values.OrderBy(h => h.Id))
                {
                    _sink.WriteError(new CommandError(
                        ErrorRecords.WaitTimedOut,
                        ErrorCategory.OperationTimeout,
                        new TimeoutException($"Task {handle.Id} ({handle.Name}) in pool '{handle.Pool}' did not finish within {timeout!.Value.TotalSeconds:0.###} seconds; it is still running."),
                        handle));
                }

                return;
            }

            _sink.WriteObject(pending[done].Submitted.Completion.Result);
            pending.Remove(done);
        }
    }

    /// <summary>Ctrl+C: stops waiting (the tasks keep running).</summary>
    public void Stop() => _stop.Cancel();

    /// <inheritdoc />
    public void Dispose() => _stop.Dispose();
}
