using System.Collections.Concurrent;

namespace Repartir.Remote;

/// <summary>
/// One coordinator's connection to a worker: the tasks it has here (running, waiting for a slot, or with a result
/// still being sent), and the back-pressure that stops reading its submits while it has too many of them or too
/// much output waiting for it to read.
/// </summary>
internal sealed class WorkerConnection(Connection connection)
{
    private readonly ConcurrentDictionary<long, RunningTask> _running = new();
    private readonly ConcurrentDictionary<Task, byte> _sending = new();

    private readonly SemaphoreSlim _changed = new(0);
    private int _tasks;
    private long _heldBytes;
    private volatile bool _throttled;

    public long HeartbeatSequence;

    public Connection Connection { get; } = connection;

    public long LastEcho { get; set; } = -1;

    /// <summary>The coordinator's hello, once the handshake is done.</summary>
    public Wire.Hello? Peer { get; set; }

    /// <summary>Whether the peer is a read-only monitor rather than a coordinator.</summary>
    public bool IsMonitor => Peer is { IsMonitor: true };

    /// <summary>Its tasks that have a slot, with when they got it.</summary>
    public IEnumerable<RunningTask> Started => _running.Values.Where(task => task.StartedAt is not null);

    /// <summary>Registers a task as running here; null when one with its id already is.</summary>
    public RunningTask? Start(Wire.Submit submit)
    {
        long taskId = submit.TaskId;
        var running = new RunningTask(taskId, submit.Attempt, submit.Spec.DisplayName);
        if (_running.TryAdd(taskId, running))
        {
            return running;
        }

        running.Dispose();
        return null;
    }

    public void Finish(long taskId)
    {
        if (_running.TryRemove(taskId, out RunningTask? running))
        {
            running.Dispose();
        }
    }

    /// <summary>The coordinator's Cancel: its result comes back Cancelled.</summary>
    public void Cancel(long taskId)
    {
        if (_running.TryGetValue(taskId, out RunningTask? running))
        {
            running.Cancel(byCoordinator: true);
        }
    }

    /// <summary>The session ended: every task still running is killed, and counts as lost with the worker.</summary>
    public void CancelAll()
    {
        foreach (RunningTask running in _running.Values)
        {
            running.Cancel(byCoordinator: false);
        }
    }

    public void Track(Task running)
    {
        _sending[running] = 0;
        _ = running.ContinueWith(t => _sending.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public Task WhenResultsSentAsync() => Task.WhenAll(_sending.Keys);

    /// <summary>A submit was read: one more task here until <see cref="Ended"/>.</summary>
    public void Admit() => Interlocked.Increment(ref _tasks);

    /// <summary>A task's result was sent (or could not be): one task fewer.</summary>
    public void Ended()
    {
        Interlocked.Decrement(ref _tasks);
        Changed();
    }

    /// <summary>Output held for this connection to read grows (or, negative, shrinks) by <paramref name="bytes"/>.</summary>
    public void Holding(long bytes)
    {
        Interlocked.Add(ref _heldBytes, bytes);
        if (bytes < 0)
        {
            Changed();
        }
    }

    /// <summary>Completes once this connection has fewer than <paramref name="maxTasks"/> tasks here and less than <paramref name="maxHeldBytes"/> of output waiting.</summary>
    public async Task WaitForRoomAsync(int maxTasks, long maxHeldBytes, CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _tasks) >= maxTasks || Interlocked.Read(ref _heldBytes) >= maxHeldBytes)
        {
            _throttled = true;
            try
            {
                await _changed.WaitAsync(cancellationToken).ConfigureAwait(false); // a change after the check left a count: no wake-up is lost
            }
            finally
            {
                _throttled = false;
            }
        }
    }

    /// <summary>Output of its finished tasks waiting for it to read.</summary>
    public long HeldBytes => Interlocked.Read(ref _heldBytes);

    /// <summary>True while its messages are left unread for back-pressure.</summary>
    public bool IsThrottled => _throttled;

    private void Changed()
    {
        if (_changed.CurrentCount == 0)
        {
            _changed.Release();
        }
    }
}
