using System.Collections.Concurrent;
using Repartir.Tasks;

namespace Repartir.Scheduling;

/// <summary>
/// The scheduler's shared queues and its park–wake protocol. Work submitted from outside a pool's threads waits
/// here, one queue per priority and per route (who may take it: this machine's workers, the pool's backends such
/// as remote workers, or whoever is free first); work forked by running work goes on the forking worker's own deque
/// instead (<see cref="PoolWorker"/>). Idle workers park on one semaphore and are woken one at a time as work arrives.
/// A backend takes its work through <see cref="IAttemptSource"/>.
/// </summary>
internal sealed class WorkQueues : IAttemptSource
{
    internal const int PriorityLevels = 3;

    private readonly ConcurrentQueue<WorkItem>[] _anywhere = NewQueues();
    private readonly ConcurrentQueue<WorkItem>[] _localOnly = NewQueues();
    private readonly ConcurrentQueue<WorkItem>[] _backendOnly = NewQueues();
    private readonly ConcurrentQueue<WorkItem>[] _gpu = NewQueues();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Admission _admission;
    private readonly TimeProvider _time;
    private PoolWorker[] _workers = [];
    private Action _workForBackends = static () => { };
    private int _sleepers;
    private volatile bool _stopping;

    internal WorkQueues(Admission admission, TimeProvider time, Gpu.GpuDeviceSlots? localGpus = null)
    {
        _admission = admission;
        _time = time;
        LocalGpus = localGpus ?? new Gpu.GpuDeviceSlots([]);
    }

    /// <summary>This machine's GPUs that the pool's workers place Gpu tasks on (none: only remote workers with GPUs run them).</summary>
    internal Gpu.GpuDeviceSlots LocalGpus { get; }

    /// <summary>True while Gpu tasks wait to be placed.</summary>
    public bool HasGpuWork
    {
        get
        {
            foreach (ConcurrentQueue<WorkItem> queue in _gpu)
            {
                if (!queue.IsEmpty)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>The pool's worker threads; empty for a pool that only has backends.</summary>
    internal PoolWorker[] Workers => _workers;

    /// <summary>Set once the workers should exit as soon as they find no work.</summary>
    internal bool IsStopping => _stopping;

    /// <summary>Tasks waiting in the shared queues and on the workers' deques.</summary>
    internal long Count
    {
        get
        {
            long queued = 0;
            foreach (ConcurrentQueue<WorkItem> queue in AllQueues())
            {
                queued += queue.Count;
            }

            foreach (PoolWorker worker in _workers)
            {
                queued += worker.LocalCount;
            }

            return queued;
        }
    }

    /// <summary>Connects the pool's workers, and what to tell its backends when work they may take arrives (cheap, coalesced).</summary>
    internal void Attach(PoolWorker[] workers, Action workForBackends)
    {
        _workers = workers;
        _workForBackends = workForBackends;
    }

    /// <summary>
    /// Queues <paramref name="item"/>: on <paramref name="worker"/>'s own deque when a worker of this pool forked it,
    /// otherwise on the shared queue of its route and priority; then wakes whoever may take it.
    /// </summary>
    internal void Enqueue(WorkItem item, PoolWorker? worker)
    {
        WorkRoute route = item.Route;
        bool localGpu = route == WorkRoute.Gpu && LocalGpus.Count > 0 && _workers.Length > 0;
        if (worker is not null && route is not (WorkRoute.Remote or WorkRoute.Gpu))
        {
            worker.PushLocal(item);
            Interlocked.MemoryBarrier(); // the push must be visible before the sleepers are read
        }
        else
        {
            ConcurrentQueue<WorkItem>[] queues = route switch
            {
                WorkRoute.Remote => _backendOnly,
                WorkRoute.Anywhere => _anywhere,
                WorkRoute.Gpu => _gpu,
                _ => _localOnly,
            };
            if (route == WorkRoute.Remote || (route == WorkRoute.Anywhere && _workers.Length == 0) || (route == WorkRoute.Gpu && !localGpu))
            {
                item.QueuedAt = _time.GetTimestamp(); // only a backend can take it: its wait for one is bounded
            }

            queues[(int)item.Priority].Enqueue(item); // ConcurrentQueue.Enqueue is a full fence
            if (route != WorkRoute.Local)
            {
                _workForBackends();
            }
        }

        if ((route is not (WorkRoute.Remote or WorkRoute.Gpu) || localGpu) && Volatile.Read(ref _sleepers) > 0)
        {
            WakeOne();
        }
    }

    /// <summary>Takes shared work a worker thread may run, at <paramref name="priority"/>.</summary>
    /// <remarks>A Gpu task only with one of this machine's GPUs free, which it reserves for the task on <paramref name="worker"/>.</remarks>
    internal bool TryTakeForWorker(PoolWorker worker, int priority, out WorkItem? item)
    {
        if (_localOnly[priority].TryDequeue(out item) || _anywhere[priority].TryDequeue(out item))
        {
            return true;
        }

        if (LocalGpus.Count > 0 && !_gpu[priority].IsEmpty && LocalGpus.TryAcquire(out string device))
        {
            if (_gpu[priority].TryDequeue(out item))
            {
                worker.ReservedGpu = device;
                return true;
            }

            LocalGpus.Release(device);
        }

        return false;
    }

    /// <inheritdoc />
    public TaskAttempt? TryTake(bool gpu)
    {
        for (int priority = 0; priority < PriorityLevels; priority++)
        {
            while ((gpu && _gpu[priority].TryDequeue(out WorkItem? item)) || _backendOnly[priority].TryDequeue(out item) || _anywhere[priority].TryDequeue(out item))
            {
                _admission.Leave(item);
                if (item.TryStart())
                {
                    return ((ProcessWorkItem)item).StartAttempt(); // only process tasks are routed to backends
                }
            }
        }

        return null;
    }

    /// <inheritdoc />
    public void AbandonUnplaced(Func<long, bool> waitedTooLong, string message, bool gpuOnly)
    {
        bool gpu = LocalGpus.Count == 0 || _workers.Length == 0; // else this machine's workers will take them
        ConcurrentQueue<WorkItem>[][] all = gpuOnly ? (gpu ? [_gpu] : [])
            : _workers.Length == 0 ? [_backendOnly, _anywhere, _gpu]
            : gpu ? [_backendOnly, _gpu] : [_backendOnly];
        foreach (ConcurrentQueue<WorkItem>[] queues in all)
        {
            foreach (ConcurrentQueue<WorkItem> queue in queues)
            {
                // Oldest first: a queue's head has waited longest.
                while (queue.TryPeek(out WorkItem? head) && waitedTooLong(head.QueuedAt) && queue.TryDequeue(out WorkItem? item))
                {
                    if (!ReferenceEquals(item, head) && !waitedTooLong(item.QueuedAt))
                    {
                        queue.Enqueue(item); // a backend came back and took the head meanwhile: this one may still run
                        break;
                    }

                    _admission.Leave(item);
                    item.TryAbandon(FailureKind.NoWorker, message);
                }
            }
        }
    }

    /// <summary>Gives up every queued task that only a backend may run (the pool has none left).</summary>
    internal void AbandonBackendOnly(FailureKind reason, string message)
    {
        Abandon(_backendOnly, reason, message);
        if (LocalGpus.Count == 0 || _workers.Length == 0)
        {
            Abandon(_gpu, reason, message);
        }
    }

    /// <summary>Gives up every task in the shared queues (a forced shutdown).</summary>
    internal void AbandonAll(FailureKind reason, string message)
    {
        Abandon(_anywhere, reason, message);
        Abandon(_localOnly, reason, message);
        Abandon(_backendOnly, reason, message);
        Abandon(_gpu, reason, message);
    }

    /// <summary>Blocks the calling worker until there may be work (or the pool stops).</summary>
    internal void Park()
    {
        Interlocked.Increment(ref _sleepers); // a full fence: pairs with the one in WakeOne's callers
        if (_stopping || AnyWorkVisible())
        {
            if (TryLeaveSleepers())
            {
                return;
            }

            // A waker already counted us out and released a permit: take it.
        }

        _wake.Wait();
    }

    /// <summary>Called by a worker that found work: if more is visible, another sleeper should look too.</summary>
    internal void WakeAnotherIfWorkRemains()
    {
        if (Volatile.Read(ref _sleepers) > 0 && AnyWorkVisible())
        {
            WakeOne();
        }
    }

    /// <summary>Tells the workers to exit once they find no work, and wakes every one of them.</summary>
    internal void StopWorkers()
    {
        _stopping = true;
        if (_workers.Length > 0)
        {
            _wake.Release(_workers.Length);
        }
    }

    private static ConcurrentQueue<WorkItem>[] NewQueues() => [.. Enumerable.Range(0, PriorityLevels).Select(_ => new ConcurrentQueue<WorkItem>())];

    private IEnumerable<ConcurrentQueue<WorkItem>> AllQueues() => _anywhere.Concat(_localOnly).Concat(_backendOnly).Concat(_gpu);

    private void Abandon(ConcurrentQueue<WorkItem>[] queues, FailureKind reason, string message)
    {
        foreach (ConcurrentQueue<WorkItem> queue in queues)
        {
            while (queue.TryDequeue(out WorkItem? item))
            {
                _admission.Leave(item);
                item.TryAbandon(reason, message);
            }
        }
    }

    private void WakeOne()
    {
        while (true)
        {
            int sleepers = Volatile.Read(ref _sleepers);
            if (sleepers <= 0)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _sleepers, sleepers - 1, sleepers) == sleepers)
            {
                _wake.Release();
                return;
            }
        }
    }

    private bool TryLeaveSleepers()
    {
        while (true)
        {
            int sleepers = Volatile.Read(ref _sleepers);
            if (sleepers <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _sleepers, sleepers - 1, sleepers) == sleepers)
            {
                return true;
            }
        }
    }

    private bool AnyWorkVisible()
    {
        // Plain loops: this runs every time a worker is about to park, so no enumerator allocations.
        for (int priority = 0; priority < PriorityLevels; priority++)
        {
            if (!_localOnly[priority].IsEmpty || !_anywhere[priority].IsEmpty)
            {
                return true;
            }
        }

        foreach (PoolWorker worker in _workers)
        {
            if (worker.HasLocalWork)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The scheduler as a backend sees it: where the backend takes its next attempt, and where it gives up the tasks
/// nothing could place. With <see cref="TaskAttempt"/>, the whole of what a backend knows of scheduling.
/// </summary>
internal interface IAttemptSource
{
    /// <summary>The highest-priority queued task a backend may run, as its next attempt (already started); null when there is none. A Gpu task only when <paramref name="gpu"/> says the backend has a GPU free.</summary>
    TaskAttempt? TryTake(bool gpu);

    /// <summary>True while Gpu tasks wait to be placed.</summary>
    bool HasGpuWork { get; }

    /// <summary>
    /// Gives up, as <see cref="FailureKind.NoWorker"/>, on the queued tasks that only a backend may run and whose wait
    /// <paramref name="waitedTooLong"/> (given when each was queued) says is over. Called while no backend place is
    /// usable, so nothing else takes from these queues but a backend coming back meanwhile.
    /// </summary>
    void AbandonUnplaced(Func<long, bool> waitedTooLong, string message, bool gpuOnly);
}
