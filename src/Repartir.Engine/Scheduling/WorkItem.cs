using Repartir.Tasks;

namespace Repartir.Scheduling;

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

    protected WorkItem(TaskPriority priority) => Priority = priority;

    internal TaskPriority Priority { get; }

    /// <summary>True when the item came through the pool's bounded injection queue (and holds one of its slots).</summary>
    internal bool HoldsQueueSlot { get; set; }

    internal bool IsFinished => Volatile.Read(ref _state) == Finished;

    /// <summary>Runs the item on <paramref name="worker"/>'s thread, unless it was already taken or abandoned.</summary>
    internal void Run(PoolWorker worker)
    {
        if (Interlocked.CompareExchange(ref _state, Running, Queued) == Queued)
        {
            Execute(worker);
        }
    }

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

    /// <summary>Puts a running item back to Queued (for a retry); only its executing worker may call this.</summary>
    protected void Requeue() => Volatile.Write(ref _state, Queued);

    /// <summary>Marks the item done; called by <see cref="Execute"/> when it produced its outcome.</summary>
    protected void MarkFinished() => Volatile.Write(ref _state, Finished);

    protected abstract void Execute(PoolWorker worker);

    protected abstract void OnAbandoned(FailureKind reason, string message);
}
