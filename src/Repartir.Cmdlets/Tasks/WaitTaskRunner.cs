using Repartir.Cmdlets.Output;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Tasks;

/// <summary>Wait-RepartirTask's behaviour: results of handles as they complete, with progress, within an optional time limit.</summary>
public sealed class WaitTaskRunner : IDisposable
{
    private readonly ICommandSink _sink;
    private readonly HashSet<TaskHandle> _handles = new(ReferenceEqualityComparer.Instance);
    private readonly CancellationTokenSource _stop = new();
    private readonly FanOutProgress _progress;
    private readonly ResultWriter _writer;

    /// <summary>Prepares a wait that writes to <paramref name="sink"/>.</summary>
    public WaitTaskRunner(ICommandSink sink, bool errorOnFailure = false, TimeProvider? timeProvider = null)
    {
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _progress = new FanOutProgress(sink, timeProvider ?? TimeProvider.System);
        _writer = new ResultWriter(sink, _progress, errorOnFailure);
    }

    /// <summary>Collects a handle (ProcessRecord); a handle given twice is waited for once.</summary>
    public void Add(TaskHandle handle)
    {
        if (_handles.Add(handle ?? throw new ArgumentNullException(nameof(handle))))
        {
            _progress.Added();
        }
    }

    /// <summary>
    /// Writes each handle's result as it completes (EndProcessing). When <paramref name="timeout"/> passes
    /// first, each unfinished task gets a WaitTimedOut error (it keeps running; wait for it again later).
    /// </summary>
    public void Complete(TimeSpan? timeout)
    {
        _progress.InputComplete();
        var results = new ResultStream(ordered: false);
        var written = new HashSet<TaskHandle>(ReferenceEqualityComparer.Instance);

        // A result carries the very spec its task was submitted with, so it finds its handle without a search.
        var handleOf = new Dictionary<TaskSpec, TaskHandle>(ReferenceEqualityComparer.Instance);
        foreach (TaskHandle handle in _handles)
        {
            // The same task piped through two handles is still one task: one result.
            if (handleOf.TryAdd(handle.Submitted.Spec, handle))
            {
                results.Add(handle.Submitted.Completion);
            }
        }

        results.CompleteAdding();
        using var limit = new CancellationTokenSource();
        if (timeout is { } span)
        {
            limit.CancelAfter(span);
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, _stop.Token);
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

            foreach (TaskHandle handle in handleOf.Values.Where(h => !written.Contains(h)).OrderBy(h => h.Id))
            {
                _sink.WriteError(ErrorRecords.StillRunning(handle, timeout!.Value));
            }
        }

        _progress.Close();

        void Write(TaskResult result)
        {
            TaskHandle handle = handleOf[result.Spec];
            written.Add(handle);
            _writer.Write(result, handle.Pool);
        }
    }

    /// <summary>Ctrl+C: stops waiting (the tasks keep running).</summary>
    public void Stop() => _stop.Cancel();

    /// <inheritdoc />
    public void Dispose() => _stop.Dispose();
}
