using Repartir.Cmdlets.Pools;
using Repartir.Remote;

namespace Repartir.Cmdlets.Workers;

/// <summary>
/// A worker daemon a pool places tasks on (Get-RepartirPoolWorker), as the pool sees it: live figures read from the
/// engine each time, every value of a plain type. Its <see cref="Pool"/> and <see cref="Endpoint"/> bind to
/// Remove-RepartirPoolWorker by property name.
/// </summary>
public sealed class PoolWorkerInfo
{
    internal PoolWorkerInfo(PoolInfo pool, WorkerClient client)
    {
        PoolInfo = pool;
        Client = client;
    }

    /// <summary>The pool's name.</summary>
    public string Pool => PoolInfo.Name;

    /// <summary>The worker's address as it was given (HOST:PORT).</summary>
    public string Endpoint => Client.Address;

    /// <summary>The worker's name from its hello; empty before it was first reached.</summary>
    public string Name => Client.Name ?? string.Empty;

    /// <summary>Online, Suspected (silent for two heartbeats: no new tasks), Offline (being reconnected) or Draining (finishing what it has, taking nothing new).</summary>
    public string State => Client.StateName;

    /// <summary>Tasks it runs at once (0 before it was first reached).</summary>
    public int Slots => Client.Slots;

    /// <summary>The GPUs the worker announced for Gpu tasks (0 before it was reached, or when it has none).</summary>
    public int Gpus => Client.GpuCount;

    /// <summary>Slots running a task there now, for every coordinator it serves (from its last heartbeat); null while not connected.</summary>
    public int? SlotsUsed => Client.WorkerRunning;

    /// <summary>The worker machine's one-minute load average (from its last heartbeat); null while not connected or unknown.</summary>
    public double? Load => Client.Load;

    /// <summary>Tasks of this pool running on it now.</summary>
    public int Running => Client.Running;

    /// <summary>The pool's tasks sent ahead to it, waiting in its queue for a slot.</summary>
    public int Waiting => Client.Waiting;

    /// <summary>Tasks it returned a result for.</summary>
    public long Completed => Client.Completed;

    /// <summary>Of those, results that were not a success.</summary>
    public long Failed => Client.Failed;

    /// <summary>Attempts lost with it (run again elsewhere, or returned as WorkerLost).</summary>
    public long Lost => Client.Lost;

    /// <summary>The round trip of its last heartbeat.</summary>
    public TimeSpan? Latency => Client.HeartbeatLatency;

    /// <summary>How long the worker process has been running, while connected.</summary>
    public TimeSpan? Uptime => Client.Uptime;

    /// <summary>When it was last heard from.</summary>
    public DateTimeOffset? LastHeard => Client.LastHeard;

    /// <summary>Why it is Offline, when it is.</summary>
    public string? LastError => Client.LastError;

    internal WorkerClient Client { get; }

    internal PoolInfo PoolInfo { get; }

    /// <inheritdoc />
    public override string ToString() => string.IsNullOrEmpty(Name) ? Endpoint : $"{Name} ({Endpoint})";
}
