using Repartir.Cmdlets.Naming;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Workers;
using Repartir.Scheduling;

namespace Repartir.Cmdlets.Pools;

/// <summary>The behaviour of New-, Get- and Remove-RepartirPool, free of PowerShell.</summary>
public static class PoolCommands
{
    /// <summary>
    /// New-RepartirPool: creates, registers and writes the pool. With workers it first waits for their first
    /// connection attempts (at most the connect timeout) and warns about those that cannot be reached yet; a stop
    /// (Ctrl+C) during that wait removes the pool again.
    /// </summary>
    /// <exception cref="TerminatingCommandException">The name is taken or a setting (a worker address included) is invalid.</exception>
    public static void New(PoolRegistry registry, PoolOptions options, ICommandSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        string workers = options.Workers.Count > 0 ? $" and {options.Workers.Count} pool workers" : string.Empty;
        if (!sink.ShouldProcess(options.Name, $"Create a Repartir pool with {options.CpuWorkers} CPU workers{workers}"))
        {
            return;
        }

        PoolInfo? pool;
        try
        {
            pool = registry.Create(options);
        }
        catch (ArgumentException e)
        {
            throw new TerminatingCommandException(ErrorRecords.BadPoolSettings(options.Name, e));
        }

        if (pool is null)
        {
            throw new TerminatingCommandException(ErrorRecords.PoolNameTaken(options.Name));
        }

        if (!PoolWorkerCommands.WarnAboutUnreachable([.. pool.Pool.RemoteWorkers.Select(c => new PoolWorkerInfo(pool, c))], sink, cancellationToken))
        {
            registry.Remove(pool);
            pool.ShutdownAsync(ShutdownMode.Forced, CancellationToken.None).GetAwaiter().GetResult();
            return;
        }

        sink.WriteObject(pool);
    }

    /// <summary>Get-RepartirPool: every pool, or those matching the names (a literal name that matches nothing is an error).</summary>
    public static void Get(PoolRegistry registry, IReadOnlyList<string>? names, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        foreach (PoolInfo pool in Resolve(registry, names, sink))
        {
            sink.WriteObject(pool);
        }
    }

    /// <summary>
    /// Remove-RepartirPool: shuts the pools down (graceful: queued and running work finishes; forced: queued tasks
    /// come back Cancelled and running process trees are killed) and unregisters them. A stop (Ctrl+C) during a
    /// graceful wait turns it into a forced shutdown and ends the command.
    /// </summary>
    public static void Remove(PoolRegistry registry, IEnumerable<PoolInfo> pools, bool force, ICommandSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(pools);
        ArgumentNullException.ThrowIfNull(sink);
        foreach (PoolInfo pool in pools)
        {
            string action = force ? "Remove the pool, cancelling queued tasks and killing running ones" : "Remove the pool after its queued and running tasks finish";
            if (cancellationToken.IsCancellationRequested || !sink.ShouldProcess(pool.Name, action))
            {
                continue;
            }

            sink.WriteVerbose($"Shutting down pool '{pool.Name}' ({(force ? "forced" : "graceful")}, {pool.Outstanding} tasks outstanding).");
            registry.Remove(pool);
            pool.ShutdownAsync(force ? ShutdownMode.Forced : ShutdownMode.Graceful, cancellationToken).GetAwaiter().GetResult();
        }
    }

    /// <summary>The pools <paramref name="names"/> select (all when null); errors for literal names with no pool.</summary>
    public static IReadOnlyList<PoolInfo> Resolve(PoolRegistry registry, IReadOnlyList<string>? names, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(sink);
        return NameSelection.Select(registry.All.ToArray(), p => p.Name, names, ErrorRecords.NoSuchPool, sink);
    }
}
