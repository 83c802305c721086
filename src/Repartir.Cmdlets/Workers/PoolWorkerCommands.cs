using Repartir.Cmdlets.Naming;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;

namespace Repartir.Cmdlets.Workers;

/// <summary>The behaviour of Add-, Get- and Remove-RepartirPoolWorker (the workers a pool places tasks on), free of PowerShell.</summary>
public static class PoolWorkerCommands
{
    /// <summary>
    /// Add-RepartirPoolWorker: adds each address to the pool, waits for the first connection attempts and writes
    /// the workers; one that cannot be reached yet gets a warning (the pool keeps trying with back-off).
    /// </summary>
    public static void Add(PoolInfo pool, IEnumerable<string> endpoints, ICommandSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(sink);
        var added = new List<PoolWorkerInfo>();
        foreach (string endpoint in endpoints)
        {
            if (!sink.ShouldProcess(endpoint, $"Add a worker to pool '{pool.Name}'"))
            {
                continue;
            }

            try
            {
                added.Add(new PoolWorkerInfo(pool, pool.Pool.AddWorker(endpoint)));
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                sink.WriteError(ErrorRecords.BadWorkerAddress(endpoint, e));
            }
        }

        if (WarnAboutUnreachable(added, sink, cancellationToken))
        {
            foreach (PoolWorkerInfo worker in added)
            {
                sink.WriteObject(worker);
            }
        }
    }

    /// <summary>
    /// Waits for the first connection attempt of each worker and warns about those that failed. False when the wait
    /// was stopped (Ctrl+C): the command then ends without a word.
    /// </summary>
    public static bool WarnAboutUnreachable(IReadOnlyList<PoolWorkerInfo> workers, ICommandSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentNullException.ThrowIfNull(sink);
        try
        {
            Task.WhenAll(workers.Select(w => w.Client.FirstAttempt)).Wait(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        foreach (PoolWorkerInfo worker in workers.Where(w => w.State == nameof(Remote.RemoteWorkerState.Offline)))
        {
            sink.WriteWarning($"Worker {worker.Endpoint} cannot be reached yet ({worker.LastError}); pool '{worker.Pool}' keeps trying with back-off and places tasks on it once it answers.");
        }

        return true;
    }

    /// <summary>Get-RepartirPoolWorker: the workers of the pools, those whose address or name matches a pattern when any are given.</summary>
    public static void Get(IEnumerable<PoolInfo> pools, IReadOnlyList<string>? endpoints, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(pools);
        ArgumentNullException.ThrowIfNull(sink);
        foreach (PoolWorkerInfo worker in Select([.. pools], endpoints, sink))
        {
            sink.WriteObject(worker);
        }
    }

    /// <summary>The workers of <paramref name="pool"/> at <paramref name="endpoints"/> (wildcards allowed); errors for literal ones it lacks.</summary>
    public static IReadOnlyList<PoolWorkerInfo> Resolve(PoolInfo pool, IReadOnlyList<string> endpoints, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(sink);
        return Select([pool], endpoints, sink);
    }

    /// <summary>
    /// Remove-RepartirPoolWorker: the pool stops using each worker. By default its running tasks finish first;
    /// with <paramref name="force"/>, or when a stop (Ctrl+C) ends the wait, they go back to the queue for the
    /// other workers at once.
    /// </summary>
    public static void Remove(IEnumerable<PoolWorkerInfo> workers, bool force, ICommandSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentNullException.ThrowIfNull(sink);
        foreach (PoolWorkerInfo worker in workers)
        {
            string action = force ? $"Remove from pool '{worker.Pool}', running its tasks elsewhere" : $"Remove from pool '{worker.Pool}' after its running tasks finish";
            if (cancellationToken.IsCancellationRequested || !sink.ShouldProcess(worker.ToString(), action))
            {
                continue;
            }

            sink.WriteVerbose($"Removing worker {worker} from pool '{worker.Pool}' ({worker.Running} tasks running, {(force ? "run elsewhere" : "finishing first")}).");
            try
            {
                worker.PoolInfo.Pool.RemoveWorkerAsync(worker.Client, drain: !force, cancellationToken).GetAwaiter().GetResult();
            }
            catch (InvalidOperationException e)
            {
                sink.WriteError(ErrorRecords.OnlyWorkerLeft(worker, e));
            }
        }
    }

    // A worker goes by its address and by the name it gave in its hello. A miss names the pools searched.
    private static IReadOnlyList<PoolWorkerInfo> Select(PoolInfo[] searched, IReadOnlyList<string>? patterns, ICommandSink sink)
    {
        PoolWorkerInfo[] all = [.. searched.SelectMany(p => p.Pool.RemoteWorkers.Select(c => new PoolWorkerInfo(p, c)))];
        string[] poolNames = [.. searched.Select(p => p.Name)];
        return NameSelection.Select(all, w => [w.Endpoint, w.Name], patterns, endpoint => ErrorRecords.NoSuchPoolWorker(endpoint, poolNames), sink);
    }
}
