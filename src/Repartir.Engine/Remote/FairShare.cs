namespace Repartir.Remote;

/// <summary>
/// A worker's slots shared fairly between its connections: when a slot frees, it goes to the next connection in
/// turn that has a task waiting, not to whichever sent the most. Within one connection, tasks start in the order
/// they were sent, which is what lets a coordinator know which of the tasks it sent ahead starts when a slot frees.
/// A connection that may not start tasks now (it has left too much output unread) keeps its place and is skipped
/// until <see cref="Poke"/> says it may.
/// </summary>
internal sealed class FairShare(int slots, Func<object, bool> mayStart)
{
    private readonly object _gate = new();
    private readonly Dictionary<object, Queue<TaskCompletionSource<IDisposable>>> _waiting = [];
    private readonly LinkedList<object> _turns = new(); // connections with a task waiting, next in turn first
    private int _free = slots;

    /// <summary>Tasks waiting for a slot (those cancelled while waiting may count until their turn comes).</summary>
    internal int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Values.Sum(q => q.Count);
            }
        }
    }

    /// <summary>Completes with a slot (dispose it to give it back) once it is this connection's turn; cancellable while waiting.</summary>
    internal Task<IDisposable> AcquireAsync(object connection, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_free > 0 && _turns.Count == 0 && mayStart(connection))
            {
                _free--;
                return Task.FromResult<IDisposable>(new Slot(this, connection));
            }

            var waiter = new TaskCompletionSource<IDisposable>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_waiting.TryGetValue(connection, out Queue<TaskCompletionSource<IDisposable>>? queue))
            {
                _waiting[connection] = queue = new Queue<TaskCompletionSource<IDisposable>>();
                _turns.AddLast(connection);
            }

            queue.Enqueue(waiter);
            if (cancellationToken.CanBeCanceled)
            {
                // A cancelled waiter stays queued and is skipped when its turn comes: no search through the queues.
                cancellationToken.UnsafeRegister(static state => ((TaskCompletionSource<IDisposable>)state!).TrySetCanceled(), waiter);
            }

            // Free slots with tasks waiting: those ahead in turn may not start now (their output unread), this one may.
            GrantFreeSlots();
            return waiter.Task;
        }
    }

    /// <summary>A connection may start tasks again (its unread output drained): free slots go to whoever waits.</summary>
    internal void Poke()
    {
        lock (_gate)
        {
            GrantFreeSlots();
        }
    }

    /// <summary>Hands free slots to waiting tasks that may start; under the gate.</summary>
    private void GrantFreeSlots()
    {
        while (_free > 0 && TryGrant())
        {
            _free--;
        }
    }

    private void Release(object owner)
    {
        lock (_gate)
        {
            if (_waiting.ContainsKey(owner) && _turns.Find(owner) is { } had)
            {
                // The connection whose task just ended had its turn: the others with tasks waiting go first.
                _turns.Remove(had);
                _turns.AddLast(had);
            }

            if (!TryGrant())
            {
                _free++;
            }
        }
    }

    /// <summary>Hands a slot to the first connection in turn that may start a task and has one waiting; under the gate.</summary>
    private bool TryGrant()
    {
        for (LinkedListNode<object>? turn = _turns.First; turn is not null;)
        {
            LinkedListNode<object>? next = turn.Next;
            object connection = turn.Value;
            if (!mayStart(connection))
            {
                turn = next; // keeps its place
                continue;
            }

            Queue<TaskCompletionSource<IDisposable>> queue = _waiting[connection];
            _turns.Remove(turn);
            while (queue.TryDequeue(out TaskCompletionSource<IDisposable>? waiter))
            {
                if (!waiter.Task.IsCompleted && waiter.TrySetResult(new Slot(this, connection)))
                {
                    if (queue.Count > 0)
                    {
                        _turns.AddLast(turn); // its next task waits for its next turn
                    }
                    else
                    {
                        _waiting.Remove(connection);
                    }

                    return true;
                }
            }

            _waiting.Remove(connection); // only cancelled waiters were left
            turn = next;
        }

        return false;
    }

    private sealed class Slot(FairShare share, object connection) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                share.Release(connection);
            }
        }
    }
}
