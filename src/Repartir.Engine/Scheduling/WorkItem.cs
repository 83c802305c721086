using Repartir.Tasks;

namespace Repartir.Scheduling;

/// <summary>Which of a pool's workers may take a work item from the shared queues.</summary>
internal enum WorkRoute
{
    /// <summary>Only this machine's CPU workers (in-process work, Cpu tasks).</summary>
    Local = 0,

    /// <summary>Only remote workers (Remote tasks).</summary>
    Remote = 1,

    /// <summary>Whichever worker is free first (Auto tasks).</summary>
    Anywhere = 2,

    /// <summary>A node with a free GPU: this machine's workers while one of its GPUs is free, or a remote worker that has one (Gpu tasks).</summary>
    Gpu = 3,
}

/// <summary>
/// One unit the scheduler queues. Its state moves Queued → Running → Done once, or Queued →
/// Abandoned when it is cancelled or shut down before it starts; the compare-and-swap on that
/// state is what guarantees each item produces exactly one outcome.
/// </summary>
internal abstract class WorkItem
{
    private const int Queued = 0;
    private const int Running = 1;
    private const int Finished = 2;

    private int _state;

    protected WorkItem(Pool pool, TaskPriority priority)
    {
        Pool = pool;
        Priority = priority;
    }

    internal TaskPriority Priority { get; }

    protected Pool Pool { get; }

    /// <summary>
    /// True when the pool counts the item as outstanding (everything except in-process work forked by a
    /// running item, see <c>Pool.Admit</c>); its end is reported with <see cref="ReportDone"/>.
    /// </summary>
    internal bool CountsTowardsDrain { get; init; } = true;

    /// <summary>True when the item came through the pool's bounded injection queue (and holds one of its slots).</summary>
    internal bool HoldsQueueSlot { get; set; }

    /// <summary>When the item was last queued for a remote worker (the pool's <see cref="TimeProvider"/> timestamp); see <c>Pool.AbandonUnplaced</c>.</summary>
    internal long QueuedAt { get; set; }

    internal bool IsFinished => Volatile.Read(ref _state) == Finished;

    /// <summary>Which workers may take the item.</summary>
    internal virtual WorkRoute Route => WorkRoute.Local;

    /// <summary>Runs the item on <paramref name="worker"/>'s thread, unless it was already taken or abandoned.</summary>
    internal void Run(PoolWorker worker)
    {
        if (Interlocked.CompareExchange(ref _state, Running, Queued) == Queued)
        {
            Execute(worker);
        }
    }

    /// <summary>Marks the item running without running it here (a remote worker will); false when it was already taken or abandoned.</summary>
    internal bool TryStart() => Interlocked.CompareExchange(ref _state, Running, Queued) == Queued;

    /// <summary>Gives the item up before it starts; false when it already started or ended.</summary>
    internal bool TryAbandon(FailureKind reason, string message)
    {
        if (Interlocked.CompareExchange(ref _state, Finished, Queued) != Queued)
        {
            return false;
        }

        OnAbandoned(reason, message);
        return true;
    }

    /// <summary>Puts a running item back to Queued (for a retry); only the worker that has it may call this.</summary>
    protected void Requeue() => Volatile.Write(ref _state, Queued);

    /// <summary>Marks the item done; called by <see cref="Execute"/> when it produced its outcome.</summary>
    protected void MarkFinished() => Volatile.Write(ref _state, Finished);

    /// <summary>Tells the pool this item has ended, when it counts towards the drain.</summary>
    protected void ReportDone()
    {
        if (CountsTowardsDrain)
        {
            Pool.OnWorkDone();
        }
    }

    protected abstract void Execute(PoolWorker worker);

    protected abstract void OnAbandoned(FailureKind reason, string message);
}
