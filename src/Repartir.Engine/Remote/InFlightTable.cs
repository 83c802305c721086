using System.Collections.Concurrent;

namespace Repartir.Remote;

/// <summary>
/// The attempts one connection has sent to its worker and not yet seen end, with the slots they hold. A slot is
/// reserved before a task is taken for the worker, so placement never sends more than the worker's slots; an
/// attempt leaves the table once, whichever way it ends first (its result, its deadline, the connection's loss),
/// giving its slot back and undoing its hooks.
/// </summary>
internal sealed class InFlightTable(int slots)
{
    private readonly ConcurrentDictionary<long, InFlightAttempt> _attempts = new();
    private readonly object _idleGate = new();
    private TaskCompletionSource? _idle;
    private int _reserved;

    /// <summary>Attempts in flight.</summary>
    internal int Count => _attempts.Count;

    /// <summary>Slots neither in flight nor reserved for a task being placed.</summary>
    internal int Free => Math.Max(0, slots - Volatile.Read(ref _reserved));

    /// <summary>The attempts in flight now (a snapshot).</summary>
    internal ICollection<InFlightAttempt> Attempts => _attempts.Values;

    /// <summary>The task ids in flight now (a snapshot).</summary>
    internal ICollection<long> TaskIds => _attempts.Keys;

    /// <summary>Reserves a slot for a task about to be taken; false when every slot is taken.</summary>
    internal bool TryReserve()
    {
        while (true)
        {
            int reserved = Volatile.Read(ref _reserved);
            if (reserved >= slots)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _reserved, reserved + 1, reserved) == reserved)
            {
                return true;
            }
        }
    }

    /// <summary>Gives back a reserved slot that was not used (no task to take, or the connection went).</summary>
    internal void Release() => Interlocked.Decrement(ref _reserved);

    /// <summary>Records <paramref name="attempt"/>, sent or about to be, in its reserved slot.</summary>
    internal bool TryAdd(InFlightAttempt attempt) => _attempts.TryAdd(attempt.Attempt.Id.Value, attempt);

    /// <summary>The attempt in flight for <paramref name="taskId"/>, if any.</summary>
    internal bool TryGet(long taskId, out InFlightAttempt? attempt) => _attempts.TryGetValue(taskId, out attempt);

    /// <summary>
    /// Takes <paramref name="attempt"/> out, unless something else ended it first: its hooks are undone and its slot
    /// freed. Only the caller that gets true may conclude the attempt.
    /// </summary>
    internal bool TryEnd(InFlightAttempt attempt)
    {
        if (!_attempts.TryRemove(new KeyValuePair<long, InFlightAttempt>(attempt.Attempt.Id.Value, attempt)))
        {
            return false;
        }

        lock (_idleGate)
        {
            if (_attempts.IsEmpty && _idle is { } idle)
            {
                _idle = null;
                idle.TrySetResult();
            }
        }

        attempt.Disarm();
        Release();
        return true;
    }

    /// <summary>Completes once no attempt is in flight (awaited when new tasks are no longer placed here).</summary>
    internal Task WhenIdle
    {
        get
        {
            lock (_idleGate)
            {
                if (_attempts.IsEmpty)
                {
                    return Task.CompletedTask;
                }

                _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _idle.Task;
            }
        }
    }
}
