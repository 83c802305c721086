using Repartir.Scheduling;

namespace Repartir.Cmdlets.Pools;

/// <summary>
/// A pool as PowerShell sees it: live figures read from the engine pool each time a property is read.
/// Its <see cref="Name"/> binds to <c>-Name</c> of Remove-RepartirPool and Get-RepartirPool by property name.
/// </summary>
public sealed class PoolInfo
{
    internal PoolInfo(Pool pool) => Pool = pool;

    /// <summary>The pool's name.</summary>
    public string Name => Pool.Name;

    /// <summary>Running, Draining or Stopped.</summary>
    public PoolState State => Pool.State;

    /// <summary>Tasks run at once on this machine.</summary>
    public int CpuWorkers => Pool.Options.CpuWorkers;

    /// <summary>Remote worker daemons (Get-RepartirWorker lists them).</summary>
    public int RemoteWorkers => Pool.RemoteWorkers.Count;

    /// <summary>The queue bound, or null for none.</summary>
    public int? MaxQueue => Pool.Options.MaxQueue;

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

    /// <summary>When the pool was created.</summary>
    public DateTimeOffset CreatedAt => Pool.CreatedAt;

    /// <summary>The engine pool, for C# and for scripts that want the full API.</summary>
    public Pool Pool { get; }

    /// <inheritdoc />
    public override string ToString() => Name;
}
