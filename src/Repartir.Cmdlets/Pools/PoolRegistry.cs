using System.Collections.Concurrent;
using Repartir.Cmdlets.Output;
using Repartir.Scheduling;

namespace Repartir.Cmdlets.Pools;

/// <summary>
/// The named pools of this PowerShell process. The engine has no global state; this registry is the
/// module's, so every runspace in the process sees the same pools (as it sees the same machine).
/// </summary>
public sealed class PoolRegistry
{
    /// <summary>The name of the pool Submit-RepartirTask creates on first use when no -Pool is given.</summary>
    public const string DefaultPoolName = "default";

    private readonly ConcurrentDictionary<string, PoolInfo> _pools = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _createGate = new();
    private int _autoNameCounter;

    /// <summary>The registry of this process, shared by the module's cmdlets.</summary>
    public static PoolRegistry Process { get; } = new();

    /// <summary>Every registered pool, by name.</summary>
    public IReadOnlyCollection<PoolInfo> All => _pools.Values.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ToArray();

    /// <summary>Creates and registers a pool; null when one with that name exists.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public PoolInfo? Create(PoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_createGate)
        {
            if (_pools.ContainsKey(options.Name))
            {
                return null;
            }

            var info = new PoolInfo(new Pool(options));
            _pools[options.Name] = info;
            return info;
        }
    }

    /// <summary>A name no registered pool has: <c>pool-1</c>, <c>pool-2</c>, …</summary>
    public string NextAutomaticName()
    {
        while (true)
        {
            string name = "pool-" + Interlocked.Increment(ref _autoNameCounter).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!_pools.ContainsKey(name))
            {
                return name;
            }
        }
    }

    /// <summary>The pool named <paramref name="name"/>, if registered.</summary>
    public bool TryGet(string name, out PoolInfo? pool) => _pools.TryGetValue(name, out pool);

    /// <summary>The default pool, created (with one worker per processor) the first time it is asked for.</summary>
    /// <exception cref="TerminatingCommandException">It cannot be created: a setting from the environment is malformed.</exception>
    public PoolInfo GetOrCreateDefault()
    {
        lock (_createGate)
        {
            if (_pools.TryGetValue(DefaultPoolName, out PoolInfo? existing) && existing.Pool.State == PoolState.Running)
            {
                return existing;
            }

            PoolInfo info;
            try
            {
                info = new PoolInfo(new Pool(new PoolOptions { Name = DefaultPoolName }));
            }
            catch (ArgumentException e)
            {
                // What the environment says about this machine (REPARTIR_GPUS) is malformed: the pool's settings, named.
                throw new TerminatingCommandException(ErrorRecords.BadPoolSettings(DefaultPoolName, e));
            }

            _pools[DefaultPoolName] = info;
            return info;
        }
    }

    /// <summary>Unregisters <paramref name="pool"/> (the caller shuts it down).</summary>
    public bool Remove(PoolInfo pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return ((ICollection<KeyValuePair<string, PoolInfo>>)_pools).Remove(new KeyValuePair<string, PoolInfo>(pool.Name, pool));
    }

    /// <summary>Unregisters every pool and shuts each down at once (queued tasks cancelled, running ones killed), waiting until they have stopped.</summary>
    public void RemoveAll()
    {
        PoolInfo[] pools = [.. _pools.Values];
        foreach (PoolInfo pool in pools)
        {
            Remove(pool);
        }

        Task.WhenAll(pools.Select(p => p.ShutdownAsync(ShutdownMode.Forced, CancellationToken.None))).GetAwaiter().GetResult();
    }
}
