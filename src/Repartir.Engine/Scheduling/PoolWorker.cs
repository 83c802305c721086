using Repartir.Tasks;

namespace Repartir.Scheduling;

/// <summary>
/// One worker thread of a pool: one slot of concurrency with its own deque per priority. It looks
/// for work highest priority first — its own deque, then the shared injection queue, then a steal
/// from a randomly chosen victim — and parks when there is none.
/// </summary>
internal sealed class PoolWorker
{
    // Per thread, not per process: each worker thread records which worker (and so which pool) it is.
    [ThreadStatic]
    private static PoolWorker? t_current;

    private readonly Pool _pool;
    private readonly WorkQueues _queues;
    private readonly Admission _admission;
    private readonly WorkStealingDeque<WorkItem>[] _deques;
    private readonly Thread _thread;
    private readonly Random _random;
    private long _steals;
    private long _executed;

    internal PoolWorker(Pool pool, int index)
    {
        _pool = pool;
        _queues = pool.Queues;
        _admission = pool.Admission;
        Name = "cpu-" + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _deques = new WorkStealingDeque<WorkItem>[WorkQueues.PriorityLevels];
        for (int i = 0; i < _deques.Length; i++)
        {
            _deques[i] = new WorkStealingDeque<WorkItem>();
        }

        _random = new Random(unchecked((index + 1) * 7919));
        _thread = new Thread(RunLoop)
        {
            IsBackground = true,
            Name = $"repartir {pool.Name} {Name}",
        };
    }

    internal string Name { get; }

    internal bool IsThreadAlive => _thread.IsAlive;

    internal long Steals => Volatile.Read(ref _steals);

    internal long Executed => Volatile.Read(ref _executed);

    internal bool HasLocalWork
    {
        get
        {
            foreach (WorkStealingDeque<WorkItem> deque in _deques)
            {
                if (!deque.IsEmpty)
                {
                    return true;
                }
            }

            return false;
        }
    }

    internal long LocalCount => _deques.Sum(d => d.Count);

    /// <summary>The worker of <paramref name="pool"/> running on this thread, if any.</summary>
    internal static PoolWorker? CurrentOf(Pool pool) => t_current is { } current && ReferenceEquals(current._pool, pool) ? current : null;

    internal void Start() => _thread.Start();

    internal void Join() => _thread.Join();

    internal void PushLocal(WorkItem item) => _deques[(int)item.Priority].Push(item);

    internal bool TrySteal(int priority, out WorkItem? item) => _deques[priority].TrySteal(out item);

    /// <summary>Runs other work until <paramref name="awaited"/> is finished: the helping half of fork-join.</summary>
    internal void HelpUntil(WorkItem awaited)
    {
        var spinner = default(SpinWait);
        while (!awaited.IsFinished)
        {
            WorkItem? item = FindWork(includeInjected: false);
            if (item is not null)
            {
                RunItem(item);
                spinner = default;
            }
            else
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }
    }

    private void RunLoop()
    {
        t_current = this;
        try
        {
            while (true)
            {
                WorkItem? item = FindWork(includeInjected: true);
                if (item is null)
                {
                    if (_queues.IsStopping)
                    {
                        return;
                    }

                    _queues.Park();
                    continue;
                }

                _queues.WakeAnotherIfWorkRemains();
                RunItem(item);
            }
        }
        finally
        {
            t_current = null;
        }
    }

    /// <summary>The process task this worker runs now and when it began (a <see cref="TimeProvider"/> timestamp), for monitors; null between tasks.</summary>
    internal RunningAttempt? CurrentTask
    {
        get => Volatile.Read(ref _currentTask);
        set => Volatile.Write(ref _currentTask, value);
    }

    private RunningAttempt? _currentTask;

    /// <summary>The local GPU reserved for the Gpu task this worker took; given back once the task has run (or was not run).</summary>
    internal string? ReservedGpu { get; set; }

    private void RunItem(WorkItem item)
    {
        _admission.Leave(item);
        try
        {
            item.Run(this);
        }
        finally
        {
            if (ReservedGpu is { } device)
            {
                ReservedGpu = null;
                _queues.LocalGpus.Release(device);
            }
        }

        _executed++;
    }

    private WorkItem? FindWork(bool includeInjected)
    {
        for (int priority = 0; priority < WorkQueues.PriorityLevels; priority++)
        {
            if (_deques[priority].TryPop(out WorkItem? item)
                || (includeInjected && _queues.TryTakeForWorker(this, priority, out item))
                || TryStealFromOthers(priority, out item))
            {
                return item;
            }
        }

        return null;
    }

    private bool TryStealFromOthers(int priority, out WorkItem? item)
    {
        PoolWorker[] workers = _queues.Workers;
        int count = workers.Length;
        if (count > 1)
        {
            int start = _random.Next(count);
            for (int i = 0; i < count; i++)
            {
                PoolWorker victim = workers[(start + i) % count];
                if (!ReferenceEquals(victim, this) && victim.TrySteal(priority, out item))
                {
                    _steals++;
                    return true;
                }
            }
        }

        item = null;
        return false;
    }
}
