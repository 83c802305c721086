using System.Management.Automation;
using Repartir.Cmdlets.Naming;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Remote;

namespace Repartir.Cmdlets.Workers;

/// <summary>The behaviour of Add-, Get- and Remove-RepartirWorker (a pool's remote workers), free of PowerShell.</summary>
public static class RemoteWorkerCommands
{
    /// <summary>
    /// Add-RepartirWorker: adds each address to the pool, waits for the first connection attempts and writes
    /// the workers; one that cannot be reached yet gets a warning (the pool keeps trying with back-off).
    /// </summary>
    public static void Add(PoolInfo pool, IEnumerable<string> addresses, ICommandSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentNullException.ThrowIfNull(sink);
        var added = new List<RemoteWorkerInfo>();
        foreach (string address in addresses)
        {
            if (!sink.ShouldProcess(address, $"Add a remote worker to pool '{pool.Name}'"))
            {
                continue;
            }

            try
            {
                added.Add(new RemoteWorkerInfo(pool, pool.Pool.AddWorker(address)));
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                sink.WriteError(new CommandError(ErrorRecords.InvalidWorkerAddress, ErrorCategory.InvalidArgument, e, address));
            }
        }

        WarnAboutUnreachable(added, sink, cancellationToken);
        foreach (RemoteWorkerInfo worker in added)
        {
            sink.WriteObject(worker);
        }
    }

    /// <summary>Waits for the first connection attempt of each worker and warns about those that failed.</summary>
    public static void WarnAboutUnreachable(IReadOnlyList<RemoteWorkerInfo> workers, ICommandSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentNullException.ThrowIfNull(sink);
        try
        {
            Task.WhenAll(workers.Select(w => w.Client.FirstAttempt)).Wait(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        foreach (RemoteWorkerInfo worker in workers.Where(w => w.State == RemoteWorkerState.Offline))
        {
            sink.WriteWarning($"Worker {worker.Address} cannot be reached yet ({worker.LastError}); pool '{worker.Pool}' keeps trying with back-off and places tasks on it once it answers.");
        }
    }

    /// <summary>Get-RepartirWorker: the remote workers of the pools, those whose address or name matches a pattern when any are given.</summary>
    public static void Get(IEnumerable<PoolInfo> pools, IReadOnlyList<string>? addresses, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(pools);
        ArgumentNullException.ThrowIfNull(sink);
        PoolInfo[] searched = [.. pools];
        foreach (RemoteWorkerInfo worker in Select(searched, addresses, sink))
        {
            sink.WriteObject(worker);
        }
    }

    /// <summary>The workers of <paramref name="pool"/> at <paramref name="addresses"/> (wildcards allowed); errors for literal ones it lacks.</summary>
    public static IReadOnlyList<RemoteWorkerInfo> Resolve(PoolInfo pool, IReadOnlyList<string> addresses, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(sink);
        return Select([pool], addresses, sink);
    }

    /// <summary>
    /// Remove-RepartirWorker: the pool stops using each worker. By default its running tasks finish first;
    /// with <paramref name="force"/> they go back to the queue for the other workers at once.
    /// </summary>
    public static void Remove(IEnumerable<RemoteWorkerInfo> workers, bool force, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentNullException.ThrowIfNull(sink);
        foreach (RemoteWorkerInfo worker in workers)
        {
            string action = force ? $"Remove from pool '{worker.Pool}', requeueing its running tasks" : $"Remove from pool '{worker.Pool}' after its running tasks finish";
            if (!sink.ShouldProcess(worker.ToString(), action))
            {
                continue;
            }

            sink.WriteVerbose($"Removing worker {worker} from pool '{worker.Pool}' ({worker.Running} tasks running, {(force ? "requeued" : "finishing first")}).");
            try
            {
                worker.PoolInfo.Pool.RemoveWorkerAsync(worker.Client, drain: !force).GetAwaiter().GetResult();
            }
            catch (InvalidOperationException e)
            {
                sink.WriteError(new CommandError(ErrorRecords.LastWorker, ErrorCategory.InvalidOperation, e, worker));
            }
        }
    }

    // A worker goes by its address and by the name it gave in its hello. A miss names the pools searched.
    private static IReadOnlyList<RemoteWorkerInfo> Select(PoolInfo[] searched, IReadOnlyList<string>? patterns, ICommandSink sink)
    {
        RemoteWorkerInfo[] all = [.. searched.SelectMany(p => p.Pool.RemoteWorkers.Select(c => new RemoteWorkerInfo(p, c)))];
        string[] poolNames = [.. searched.Select(p => p.Name)];
        return NameSelection.Select(
            all,
            w => [w.Address, w.Name],
            patterns,
            address => new CommandError(ErrorRecords.RemoteWorkerNotFound, ErrorCategory.ObjectNotFound, new RemoteWorkerNotFoundException(address, poolNames), address),
            sink);
    }
}
