using System.Collections.Concurrent;

namespace Repartir.Remote;

/// <summary>
/// The attempts one connection has sent to its worker and not yet seen end, with the places they hold: the worker's
/// slots, and a prefetch window of tasks waiting in its queue. A place is reserved before a task is taken for the
/// worker, so placement never sends more than slots + prefetch; an attempt leaves the table once, whichever way it
/// ends first (its result, its deadline, the connection's loss), giving its place back and undoing its hooks. The
/// attempts sent beyond the slots wait, oldest first, and one is taken as started whenever a running one ends.
/// </summary>
internal sealed class InFlightTable(int slots, int prefetch)
{
    private readonly ConcurrentDictionary<long, InFlightAttempt> _attempts = new();
    private readonly Queue<InFlightAttempt> _waiting = new(); // sent beyond the slots, in send order (the worker runs them in that order)
    private int _running;
    private readonly object _idleGate = new();
    private TaskCompletionSource? _idle;
    private int _reserved;

    /// <summary>Attempts in flight: running, or waiting in the worker's queue.</summary>
    internal int Count => _attempts.Count;

    /// <summary>Attempts holding one of the worker's slots.</summary>
    internal int Running => Volatile.Read(ref _running);

    /// <summary>Places (slots and prefetch) neither in flight nor reserved for a task being placed.</summary>
    internal int Free => Math.Max(0, slots + prefetch - Volatile.Read(ref _reserved));

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
            if (reserved >= slots + prefetch)
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

    /// <summary>Records <paramref name="attempt"/>, about to be sent, in its reserved place.</summary>
    internal bool TryAdd(InFlightAttempt attempt) => _attempts.TryAdd(attempt.Attempt.Id.Value, attempt);

    /// <summary>
    /// Called once <paramref name="attempt"/> was sent: true when a slot is free for it on the worker (it runs at once),
    /// false when it waits in the worker's queue (<see cref="TryEnd"/> later hands it the slot a running attempt frees).
    /// </summary>
    internal bool Sent(InFlightAttempt attempt)
    {
        lock (_waiting)
        {
            if (!ReferenceEquals(_attempts.GetValueOrDefault(attempt.Attempt.Id.Value), attempt))
            {
                return false; // it ended already (a result, or the connection's end), before this call
            }

            if (_running < slots)
            {
                _running++;
                attempt.Running = true;
                return true;
            }

            _waiting.Enqueue(attempt);
            return false;
        }
    }

    /// <summary>The attempt in flight for <paramref name="taskId"/>, if any.</summary>
    internal bool TryGet(long taskId, out InFlightAttempt? attempt) => _attempts.TryGetValue(taskId, out attempt);

    /// <summary>
    /// Takes <paramref name="attempt"/> out, unless something else ended it first: its hooks are undone and its place
    /// freed. Only the caller that gets true may conclude the attempt.
    /// </summary>
    /// <param name="attempt">The attempt that ended.</param>
    /// <param name="started">The waiting attempt that now runs in the slot this one freed on the worker, if any: its deadline starts now.</param>
    internal bool TryEnd(InFlightAttempt attempt, out InFlightAttempt? started)
    {
        started = null;
        if (!_attempts.TryRemove(new KeyValuePair<long, InFlightAttempt>(attempt.Attempt.Id.Value, attempt)))
        {
            return false;
        }

        lock (_waiting)
        {
            if (attempt.Running)
            {
                _running--;
                while (_waiting.TryDequeue(out InFlightAttempt? next))
                {
                    if (ReferenceEquals(_attempts.GetValueOrDefault(next.Attempt.Id.Value), next))
                    {
                        _running++;
                        next.Running = true;
                        started = next;
                        break;
                    }
                }
            }
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
