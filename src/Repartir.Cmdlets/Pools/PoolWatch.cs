using Repartir.Cmdlets.Output;
using Repartir.Monitoring;

namespace Repartir.Cmdlets.Pools;

/// <summary>Watch-RepartirPool's logic where no view is drawn: which pool, and a snapshot object per interval.</summary>
public static class PoolWatch
{
    /// <summary>The pool to watch when none is named: the session's only pool, else the default pool.</summary>
    /// <exception cref="TerminatingCommandException">The session has several pools and none is the default, or none at all.</exception>
    public static PoolInfo Default(PoolRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        IReadOnlyCollection<PoolInfo> pools = registry.All;
        if (pools.Count == 1)
        {
            return pools.First();
        }

        return registry.TryGet(PoolRegistry.DefaultPoolName, out PoolInfo? pool) && pool is not null
            ? pool
            : throw new TerminatingCommandException(ErrorRecords.NoPoolToWatch(pools.Select(p => p.Name).ToList()));
    }

    /// <summary>Writes <paramref name="pool"/>'s snapshot now and every <paramref name="interval"/>, <paramref name="count"/> times (0: until cancelled).</summary>
    public static void WriteSnapshots(PoolInfo pool, TimeSpan interval, int count, ICommandSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(sink);
        for (int written = 0; count == 0 || written < count; written++)
        {
            if (written > 0 && cancellationToken.WaitHandle.WaitOne(interval))
            {
                return;
            }

            sink.WriteObject(SnapshotCapture.Capture(pool.Pool));
        }
    }
}
