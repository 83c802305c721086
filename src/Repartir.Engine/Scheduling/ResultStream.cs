using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Repartir.Tasks;

namespace Repartir.Scheduling;

/// <summary>
/// Hands out the results of submitted tasks as they complete, or in the order they were added.
/// One thread (or task) adds, one takes; completions may arrive on any thread. The one mechanism
/// behind <see cref="Pool.RunAsync"/> and the cmdlets that stream results.
/// </summary>
public sealed class ResultStream
{
    private readonly bool _ordered;
    private readonly ConcurrentQueue<TaskResult> _completed = new();
    private readonly ConcurrentQueue<Task<TaskResult>> _inAddedOrder = new();

    // Released once per completion (and by CompleteAdding); takers re-check after every wake-up, so
    // surplus permits only cost a loop turn. Never disposed: no wait handle is ever created from it.
    private readonly SemaphoreSlim _changed = new(0);
    private int _pending;
    private volatile bool _addingCompleted;

    /// <summary>Creates a stream that yields in completion order, or in added order when <paramref name="ordered"/>.</summary>
    public ResultStream(bool ordered) => _ordered = ordered;

    /// <summary>Results added and not yet taken.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Adds the result of one submitted task.</summary>
    public void Add(Task<TaskResult> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Interlocked.Increment(ref _pending);
        if (_ordered)
        {
            _inAddedOrder.Enqueue(result);
        }

        result.ContinueWith(
            static (task, state) => ((ResultStream)state!).OnCompleted(task.Result),
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>No more results will be added; a taker waiting on an empty stream gets null.</summary>
    public void CompleteAdding()
    {
        _addingCompleted = true;
        _changed.Release();
    }

    /// <summary>Takes the next result if one is ready, without waiting.</summary>
    public bool TryTake([NotNullWhen(true)] out TaskResult? result)
    {
        if (_ordered)
        {
            result = _inAddedOrder.TryPeek(out Task<TaskResult>? head) && head.IsCompleted && _inAddedOrder.TryDequeue(out _) ? head.Result : null;
        }
        else
        {
            _completed.TryDequeue(out result);
        }

        if (result is null)
        {
            return false;
        }

        Interlocked.Decrement(ref _pending);
        return true;
    }

    /// <summary>Waits for the next result; null once adding is complete and everything was taken.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public TaskResult? Take(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryTake(out TaskResult? result))
            {
                return result;
            }

            if (IsFinished)
            {
                return null;
            }

            _changed.Wait(cancellationToken);
        }
    }

    /// <summary>Waits asynchronously for the next result; null once adding is complete and everything was taken.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<TaskResult?> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryTake(out TaskResult? result))
            {
                return result;
            }

            if (IsFinished)
            {
                return null;
            }

            await _changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private bool IsFinished => _addingCompleted && Pending == 0;

    private void OnCompleted(TaskResult result)
    {
        if (!_ordered)
        {
            _completed.Enqueue(result);
        }

        _changed.Release();
    }
}
