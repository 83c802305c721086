using Repartir.Cmdlets.Output;
using Repartir.Scheduling;

namespace Repartir.Cmdlets.Pools;

/// <summary>
/// A pool as PowerShell sees it: live figures read from the engine pool each time a property is read, every value
/// of a plain type. Its <see cref="Name"/> binds to <c>-Name</c> of Remove-RepartirPool and Get-RepartirPool, and
/// to <c>-Pool</c> of the task and pool-worker cmdlets, by property name.
/// </summary>
public sealed class PoolInfo
{
    private readonly Pool? _pool;
    private readonly string? _missingName;

    internal PoolInfo(Pool pool) => _pool = pool;

    private PoolInfo(string missingName) => _missingName = missingName;

    /// <summary>The pool's name.</summary>
    public string Name => _pool?.Name ?? _missingName!;

    /// <summary>Running, Draining or Stopped.</summary>
    public string State => Pool.State.ToString();

    /// <summary>Tasks run at once on this machine.</summary>
    public int CpuWorkers => Pool.Options.CpuWorkers;

    /// <summary>Workers on other machines (Get-RepartirPoolWorker lists them).</summary>
    public int PoolWorkers => Pool.RemoteWorkers.Count;

    /// <summary>The queue bound, or null for none.</summary>
    public int? MaxQueue => Pool.Options.MaxQueue;

    /// <summary>How long a task waits for a worker while none can take it, before it fails as NoWorker; null for ever.</summary>
    public TimeSpan? PlacementTimeout => Pool.Options.PlacementTimeout == Timeout.InfiniteTimeSpan ? null : Pool.Options.PlacementTimeout;

    /// <summary>Tasks waiting to start.</summary>
    public long Queued => Pool.Statistics.Queued;

    /// <summary>Tasks accepted and not yet finished (queued, running or waiting to retry).</summary>
    public long Outstanding => Pool.Statistics.Outstanding;

    /// <summary>Tasks submitted.</summary>
    public long Submitted => Pool.Statistics.Submitted;

    /// <summary>Tasks with a result.</summary>
    public long Completed => Pool.Statistics.Completed;

    /// <summary>Completed tasks that did not succeed.</summary>
    public long Failed => Pool.Statistics.Failed;

    /// <summary>Work items taken from another worker's deque.</summary>
    public long Steals => Pool.Statistics.Steals;

    /// <summary>This machine's GPUs that the pool's Gpu tasks run on (empty: only remote workers with GPUs run them).</summary>
    public IReadOnlyList<string> Gpus => Pool.LocalGpus;

    /// <summary>Tasks running now, here and on its workers.</summary>
    public long Running => Pool.Statistics.Running;

    /// <summary>Tasks completed per second over the last ten seconds.</summary>
    public double Throughput => Math.Round(Pool.Throughput, 3);

    /// <summary>When the outstanding tasks should be done at that pace; null without a pace or without work.</summary>
    public TimeSpan? EstimatedTimeLeft => Pool.EstimatedTimeLeft;

    /// <summary>When the pool was created.</summary>
    public DateTimeOffset CreatedAt => Pool.CreatedAt;

    /// <summary>The runspaces of this pool's script tasks, per set of modules and functions: kept while the pool lives, so later calls reuse warm runspaces.</summary>
    internal Scripts.RunspaceSets Runspaces { get; } = new();

    /// <summary>Shuts the engine pool down, then closes its script runspaces.</summary>
    internal async Task ShutdownAsync(ShutdownMode mode, CancellationToken cancellationToken)
    {
        try
        {
            await Pool.ShutdownAsync(mode, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Runspaces.Dispose();
        }
    }

    /// <summary>The engine pool.</summary>
    internal Pool Pool => _pool ?? throw new InvalidOperationException($"No Repartir pool is named '{_missingName}'.");

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>What <c>-Pool</c> holds for a name that matched no pool, so the command can report it with the name as target.</summary>
    internal static PoolInfo NotFound(string name) => new(name);

    /// <summary>This pool, or — for a name that matched no pool — the terminating PoolNotFound error.</summary>
    /// <exception cref="TerminatingCommandException">No pool has the name.</exception>
    internal PoolInfo Resolve() => _pool is not null ? this : throw new TerminatingCommandException(ErrorRecords.NoSuchPool(_missingName!));
}
