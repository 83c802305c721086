using Repartir.Cmdlets.Pools;
using Repartir.Remote;

namespace Repartir.Cmdlets.Workers;

/// <summary>A remote worker of a pool as PowerShell sees it (Get-RepartirWorker): live figures read from the engine each time.</summary>
public sealed class RemoteWorkerInfo
{
    internal RemoteWorkerInfo(PoolInfo pool, WorkerClient client)
    {
        PoolInfo = pool;
        Client = client;
    }

    /// <summary>The pool's name. Binds to -Pool of Remove-RepartirWorker by property name.</summary>
    public string Pool => PoolInfo.Name;

    /// <summary>The address as it was given (HOST:PORT). Binds to -Address of Remove-RepartirWorker by property name.</summary>
    public string Address => Client.Address;

    /// <summary>The worker's name from its hello; empty before it was first reached.</summary>
    public string Name => Client.Name ?? string.Empty;

    /// <summary>Online, Suspected (silent for two heartbeats: no new tasks) or Offline (being reconnected).</summary>
    public RemoteWorkerState State => Client.State;

    /// <summary>Tasks it runs at once (0 before it was first reached).</summary>
    public int Slots => Client.Slots;

    /// <summary>Tasks of this pool running on it now.</summary>
    public int Running => Client.Running;

    /// <summary>Tasks it returned a result for.</summary>
    public long Completed => Client.Completed;

    /// <summary>Of those, results that were not a success.</summary>
    public long Failed => Client.Failed;

    /// <summary>Attempts lost with it (requeued elsewhere, or returned as WorkerLost).</summary>
    public long Lost => Client.Lost;

    /// <summary>The round trip of its last heartbeat.</summary>
    public TimeSpan? Latency => Client.HeartbeatLatency;

    /// <summary>How long the worker process has been running, while connected.</summary>
    public TimeSpan? Uptime => Client.Uptime;

    /// <summary>When it was last heard from.</summary>
    public DateTimeOffset? LastHeard => Client.LastHeard;

    /// <summary>Why it is Offline, when it is.</summary>
    public string? LastError => Client.LastError;

    /// <summary>The engine's view of the worker, for C# and for scripts that want the full API.</summary>
    public WorkerClient Client { get; }

    internal PoolInfo PoolInfo { get; }

    /// <inheritdoc />
    public override string ToString() => string.IsNullOrEmpty(Name) ? Address : $"{Name} ({Address})";
}
