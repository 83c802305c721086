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

    // Not a ConcurrentQueue: its TryPeek marks the segment "preserved for observation", after which dequeued slots
    // are never cleared, so every result taken in order stayed reachable (with its output) until the segment went.
    private readonly Queue<Task<TaskResult>> _inAddedOrder = new();

    // Released once per completion (and by CompleteAdding); takers re-check after every wake-up, so
    // surplus permits only cost a loop turn. Never disposed: no wait handle is ever created from it.
    private readonly SemaphoreSlim _changed = new(0);

    // Released once per completion and once per take, for an adder waiting for room (same rules as _changed).
    private readonly SemaphoreSlim _progress = new(0);
    private int _pending;
    private int _unfinished;
    private long _heldBytes;
    private long _completedCount;
    private long _completedBytes;
    private volatile bool _addingCompleted;

    /// <summary>Creates a stream that yields in completion order, or in added order when <paramref name="ordered"/>.</summary>
    public ResultStream(bool ordered) => _ordered = ordered;

    /// <summary>Results added and not yet taken.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Results added whose task has not completed yet.</summary>
    public int Unfinished => Volatile.Read(ref _unfinished);

    /// <summary>The output bytes held by results that are complete and not yet taken.</summary>
    public long HeldBytes => Interlocked.Read(ref _heldBytes);

    /// <summary>Whether another result may be added within <paramref name="limits"/>.</summary>
    public bool HasRoom(StreamLimits limits)
    {
        int unfinished = Unfinished;
        long held = HeldBytes;
        if (Pending >= limits.MaxPending || unfinished >= limits.MaxUnfinished || held > limits.MaxHeldBytes)
        {
            return false;
        }

        // Past what keeps every place busy, count what the unfinished tasks will likely add, at the average output
        // of those complete so far: tasks that each write 16 MiB may not all finish behind a slow one. Before any
        // is complete that is unknown, so no more than that.
        long completed = Volatile.Read(ref _completedCount);
        return unfinished < limits.Parallelism
            || (completed > 0 && held + (unfinished * (Interlocked.Read(ref _completedBytes) / completed)) <= limits.MaxHeldBytes);
    }

    /// <summary>
    /// Waits until <see cref="HasRoom"/>. Only completions and takes make room, so the taker must be another thread
    /// or task; a single thread that adds and takes checks <see cref="HasRoom"/> and takes instead.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask WaitForRoomAsync(StreamLimits limits, CancellationToken cancellationToken)
    {
        while (!HasRoom(limits))
        {
            await _progress.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Adds the result of one submitted task.</summary>
    public void Add(Task<TaskResult> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Interlocked.Increment(ref _pending);
        Interlocked.Increment(ref _unfinished);
        if (_ordered)
        {
            lock (_inAddedOrder)
            {
                _inAddedOrder.Enqueue(result);
            }
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
            lock (_inAddedOrder)
            {
                result = _inAddedOrder.TryPeek(out Task<TaskResult>? head) && head.IsCompleted ? _inAddedOrder.Dequeue().Result : null;
            }
        }
        else
        {
            _completed.TryDequeue(out result);
        }

        if (result is null)
        {
            return false;
        }

        Interlocked.Add(ref _heldBytes, -OutputBytes(result));
        Interlocked.Decrement(ref _pending);
        _progress.Release();
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

    private static long OutputBytes(TaskResult result) => (long)result.StdoutBytes.Length + result.StderrBytes.Length;

    private void OnCompleted(TaskResult result)
    {
        long bytes = OutputBytes(result);
        Interlocked.Add(ref _completedBytes, bytes);
        Interlocked.Increment(ref _completedCount);
        Interlocked.Add(ref _heldBytes, bytes);
        Interlocked.Decrement(ref _unfinished);
        if (!_ordered)
        {
            _completed.Enqueue(result);
        }

        _changed.Release();
        _progress.Release();
    }
}

/// <summary>How far whoever adds to a <see cref="ResultStream"/> may run ahead of whoever takes from it.</summary>
/// <param name="MaxPending">Results added and not yet taken.</param>
/// <param name="Parallelism">
/// Tasks that may be unfinished whatever their output: enough to keep every place to run one busy, with its next
/// one ready.
/// </param>
/// <param name="MaxUnfinished">Tasks added and not yet complete.</param>
/// <param name="MaxHeldBytes">
/// Output held in complete results not yet taken, and past <paramref name="Parallelism"/> what the unfinished are
/// likely to add: in input order, one slow task holds back every result behind it, each with its output.
/// </param>
public readonly record struct StreamLimits(int MaxPending, int Parallelism, int MaxUnfinished, long MaxHeldBytes)
{
    /// <summary>The output a stream holds before its adder waits: 64 MiB.</summary>
    public const long DefaultMaxHeldBytes = 64L << 20;
}
