using System.Management.Automation;
using Repartir.Cmdlets.Output;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Tasks;

/// <summary>Wait-RepartirTask's behaviour: results of handles as they complete, within an optional time limit.</summary>
public sealed class WaitTaskRunner : IDisposable
{
    private readonly ICommandSink _sink;
    private readonly HashSet<TaskHandle> _handles = new(ReferenceEqualityComparer.Instance);
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Prepares a wait that writes to <paramref name="sink"/>.</summary>
    public WaitTaskRunner(ICommandSink sink) => _sink = sink ?? throw new ArgumentNullException(nameof(sink));

    /// <summary>Collects a handle (ProcessRecord); a handle given twice is waited for once.</summary>
    public void Add(TaskHandle handle) => _handles.Add(handle ?? throw new ArgumentNullException(nameof(handle)));

    /// <summary>
    /// Writes each handle's result as it completes (EndProcessing). When <paramref name="timeout"/> passes
    /// first, each unfinished task gets a WaitTimedOut error (it keeps running; wait for it again later).
    /// </summary>
    public void Complete(TimeSpan? timeout)
    {
        var results = new ResultStream(ordered: false);
        foreach (TaskHandle handle in _handles)
        {
            results.Add(handle.Submitted.Completion);
        }

        results.CompleteAdding();
        using var limit = new CancellationTokenSource();
        if (timeout is { } span)
        {
            limit.CancelAfter(span);
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, _stop.Token);
        var written = new HashSet<TaskResult>(ReferenceEqualityComparer.Instance);
        try
        {
            while (results.Take(wait.Token) is { } result)
            {
                Write(result);
            }
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !_stop.IsCancellationRequested)
        {
            while (results.TryTake(out TaskResult? ready))
            {
                Write(ready); // finished just as time ran out: still a result, not a timeout
            }

            foreach (TaskHandle handle in _handles.Where(h => !(h.IsCompleted && written.Contains(h.Submitted.Completion.Result))).OrderBy(h => h.Id))
            {
                _sink.WriteError(new CommandError(
                    ErrorRecords.WaitTimedOut,
                    ErrorCategory.OperationTimeout,
                    new TimeoutException($"Task {handle.Id} ({handle.Name}) in pool '{handle.Pool}' did not finish within {timeout!.Value.TotalSeconds:0.###} seconds; it is still running."),
                    handle));
            }
        }

        void Write(TaskResult result)
        {
            _sink.WriteObject(result);
            written.Add(result);
        }
    }

    /// <summary>Ctrl+C: stops waiting (the tasks keep running).</summary>
    public void Stop() => _stop.Cancel();

    /// <inheritdoc />
    public void Dispose() => _stop.Dispose();
}
