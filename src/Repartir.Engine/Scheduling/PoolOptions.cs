using Repartir.Execution;
using Repartir.Remote;

namespace Repartir.Scheduling;

/// <summary>What a submit does when the pool's queue is full.</summary>
public enum QueueFullMode
{
    /// <summary>Back-pressure: the submit waits (asynchronously) for room.</summary>
    Wait = 0,

    /// <summary>The task comes back at once as Rejected with a QueueFull message.</summary>
    Reject = 1,
}

/// <summary>How a pool stops.</summary>
public enum ShutdownMode
{
    /// <summary>Refuse new work, finish everything queued and running, then stop.</summary>
    Graceful = 0,

    /// <summary>Refuse new work, return queued tasks as Cancelled, kill running process trees, then stop.</summary>
    Forced = 1,
}

/// <summary>A pool's life cycle.</summary>
public enum PoolState
{
    /// <summary>Accepting and running work.</summary>
    Running = 0,

    /// <summary>Shutting down: no new work; finishing (or cancelling) what it has.</summary>
    Draining = 1,

    /// <summary>Stopped: every worker thread has ended.</summary>
    Stopped = 2,
}

/// <summary>The settings of a <see cref="Pool"/>.</summary>
public sealed record PoolOptions
{
    /// <summary>The pool's name, for people, logs and thread names.</summary>
    public string Name { get; init; } = "default";

    /// <summary>
    /// How many tasks run at once on this machine: the number of worker threads. Default: the processor count.
    /// May be 0 when the pool has remote <see cref="Workers"/>; it then runs no in-process work and no Cpu-only tasks.
    /// </summary>
    public int CpuWorkers { get; init; } = Environment.ProcessorCount;

    /// <summary>Remote worker daemons (<c>HOST:PORT</c>) the pool places tasks on, next to its CPU workers.</summary>
    public IReadOnlyList<string> Workers { get; init; } = [];

    /// <summary>Heartbeats, failure detection and reconnection for the remote <see cref="Workers"/>.</summary>
    public RemoteOptions Remote { get; init; } = new();

    /// <summary>The default <see cref="PlacementTimeout"/>: long enough for a worker to restart, short enough that a scheduled job ends.</summary>
    public static readonly TimeSpan DefaultPlacementTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a task may wait for a place to run while no worker that may run it is usable — the pool has no CPU
    /// workers of its own (or the task is Remote-only) and every remote worker is unreachable, offline or draining.
    /// Past it, the task comes back as <see cref="Tasks.FailureKind.NoWorker"/>. Waiting for busy workers is never
    /// limited. <see cref="Timeout.InfiniteTimeSpan"/> waits for ever.
    /// </summary>
    public TimeSpan PlacementTimeout { get; init; } = DefaultPlacementTimeout;

    /// <summary>The most tasks submitted from outside that may wait in the queue; <c>null</c> for no limit.</summary>
    public int? MaxQueue { get; init; }

    /// <summary>What a submit does when <see cref="MaxQueue"/> is reached.</summary>
    public QueueFullMode QueueFullMode { get; init; } = QueueFullMode.Wait;

    /// <summary>
    /// This machine's GPUs that Gpu tasks run on, one task a device while devices are free (told in
    /// <c>CUDA_VISIBLE_DEVICES</c> and <c>REPARTIR_GPU</c>); <c>null</c> to detect them
    /// (<see cref="Gpu.GpuDeviceSlots.Detect"/>), empty for none: then only remote workers with GPUs run Gpu tasks.
    /// </summary>
    public IReadOnlyList<string>? Gpus { get; init; }

    /// <summary>Limits for the processes the pool starts.</summary>
    public ProcessExecutorOptions Process { get; init; } = new();

    /// <summary>Checks the options, naming the one that is wrong.</summary>
    /// <exception cref="ArgumentException">A value is empty or out of range.</exception>
    public void Validate()
    {
        Gpu.GpuDeviceSlots.Validate(Gpus, nameof(Gpus));
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new InvalidSettingException(nameof(Name), "The pool name must not be empty.");
        }

        ArgumentNullException.ThrowIfNull(Workers, nameof(Workers));
        if (CpuWorkers is < 0 or > 4096 || (CpuWorkers == 0 && Workers.Count == 0))
        {
            throw new InvalidSettingException(nameof(CpuWorkers), $"CpuWorkers must be between 1 and 4096, not {CpuWorkers} (0 is allowed only when the pool has remote workers).");
        }

        ArgumentNullException.ThrowIfNull(Remote, nameof(Remote));
        Remote.Validate();

        if (PlacementTimeout <= TimeSpan.Zero && PlacementTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new InvalidSettingException(nameof(PlacementTimeout), $"PlacementTimeout must be positive (or infinite), not {PlacementTimeout}.");
        }

        if (MaxQueue is < 1)
        {
            throw new InvalidSettingException(nameof(MaxQueue), $"MaxQueue must be at least 1 (or null for no limit), not {MaxQueue}.");
        }

        if (!Enum.IsDefined(QueueFullMode))
        {
            throw new InvalidSettingException(nameof(QueueFullMode), "Unknown queue-full mode.");
        }

        ArgumentNullException.ThrowIfNull(Process, nameof(Process));
        Process.Validate();
    }
}

/// <summary>A snapshot of a pool's counters.</summary>
/// <param name="Submitted">Process tasks submitted.</param>
/// <param name="Completed">Process tasks that have their result.</param>
/// <param name="Failed">Completed process tasks that did not succeed (rejections excluded).</param>
/// <param name="Rejected">Process tasks the pool refused.</param>
/// <param name="Retries">Retries scheduled.</param>
/// <param name="Outstanding">Process tasks, and in-process work submitted from outside the pool, accepted and not yet finished (queued, running or waiting to retry).</param>
/// <param name="Queued">Work items waiting in a queue or deque.</param>
/// <param name="Steals">Work items taken from another worker's deque.</param>
/// <param name="Executed">Work items the workers have run (process attempts, delegates and forks).</param>
public readonly record struct PoolStatistics(
    long Submitted,
    long Completed,
    long Failed,
    long Rejected,
    long Retries,
    long Outstanding,
    long Queued,
    long Steals,
    long Executed)
{
    /// <summary>Work accepted and no longer waiting in a queue: running (or between attempts); never negative, though the two counts are read apart.</summary>
    public long Running => Math.Max(0, Outstanding - Queued);
}
