using Repartir.Execution;
using Repartir.Remote;
using Repartir.Remote.Wire;
using Repartir.Scheduling;

namespace Repartir.Monitoring;

/// <summary>Takes a <see cref="ClusterSnapshot"/> of a pool: a coordinator's (its own tasks) or a monitor's (its workers' figures).</summary>
public static class SnapshotCapture
{
    /// <summary>The name of this machine's row.</summary>
    public const string LocalAddress = "local";

    /// <summary>What <paramref name="pool"/> and its workers are doing now.</summary>
    public static ClusterSnapshot Capture(Pool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return pool.Options.Remote.Observe ? Observed(pool) : Coordinated(pool);
    }

    /// <summary>A monitor's view: every figure is the workers' own, for all their coordinators.</summary>
    private static ClusterSnapshot Observed(Pool pool)
    {
        IReadOnlyList<WorkerClient> clients = pool.RemoteWorkers;
        var rows = new List<WorkerRow>(clients.Count);
        var longest = new List<RunningTaskRow>();
        long pending = 0, running = 0, completed = 0, failed = 0;
        double throughput = 0;
        foreach (WorkerClient client in clients)
        {
            // Only a connected worker's figures are current: an Offline one's last status would read as work still going on.
            WorkerStatus? status = client.State == RemoteWorkerState.Offline ? null : client.LastStatus;
            string name = client.Name ?? string.Empty;
            rows.Add(new WorkerRow(
                client.Address,
                name,
                status is { State: "Draining" } ? "Draining" : client.StateName,
                status is { Load: >= 0 } ? status.Load : client.Load,
                status?.Running ?? client.WorkerRunning,
                client.Slots,
                status?.Running ?? 0,
                status?.Completed ?? 0,
                status?.Failed ?? 0,
                client.HeartbeatLatency,
                client.State == RemoteWorkerState.Offline ? null : status?.Uptime ?? client.Uptime,
                client.State == RemoteWorkerState.Offline ? client.LastError : null));
            if (status is null)
            {
                continue;
            }

            pending += status.Waiting;
            running += status.Running;
            completed += status.Completed;
            failed += status.Failed;
            throughput += status.Throughput;
            foreach (RunningTaskStatus task in status.LongestRunning ?? [])
            {
                longest.Add(new RunningTaskRow(name, task.Name, task.Coordinator, task.Attempt, task.Elapsed));
            }
        }

        string source = clients.Count == 1 ? $"worker {clients[0].Address}" : $"{clients.Count} workers";
        return new ClusterSnapshot(
            pool.Time.GetUtcNow(),
            source,
            clients.Count(c => c.State == RemoteWorkerState.Online),
            clients.Count,
            pending,
            running,
            completed,
            failed,
            throughput,
            CompletionRate.TimeLeft(pending + running, throughput),
            rows,
            Longest(longest));
    }

    /// <summary>A coordinator's view: the pool's own tasks, here and on each worker.</summary>
    private static ClusterSnapshot Coordinated(Pool pool)
    {
        PoolStatistics statistics = pool.Statistics;
        IReadOnlyList<WorkerClient> clients = pool.RemoteWorkers;
        TimeProvider time = pool.Time;
        long now = time.GetTimestamp();
        var rows = new List<WorkerRow>(clients.Count + 1);
        var longest = new List<RunningTaskRow>();
        if (pool.Workers.Length > 0)
        {
            // This machine's share is what the pool counts less what its workers report for it.
            var local = pool.Workers.Select(w => w.CurrentTask).OfType<RunningAttempt>().ToList();
            long remoteCompleted = clients.Sum(c => c.Completed), remoteFailed = clients.Sum(c => c.Failed);
            rows.Add(new WorkerRow(
                LocalAddress,
                Environment.MachineName,
                pool.State == PoolState.Running ? "Online" : "Draining",
                SystemLoad.OneMinute() is >= 0 and var load ? load : null,
                local.Count,
                pool.Workers.Length,
                local.Count,
                Math.Max(0, statistics.Completed - remoteCompleted),
                Math.Max(0, statistics.Failed - remoteFailed),
                Latency: null,
                time.GetUtcNow() - pool.CreatedAt,
                Problem: null));
            longest.AddRange(local.Select(a => Row(LocalAddress, a, time, now)));
        }

        foreach (WorkerClient client in clients)
        {
            rows.Add(new WorkerRow(
                client.Address,
                client.Name ?? string.Empty,
                client.StateName,
                client.Load,
                client.WorkerRunning,
                client.Slots,
                client.Running,
                client.Completed,
                client.Failed,
                client.HeartbeatLatency,
                client.Uptime,
                client.State == RemoteWorkerState.Offline ? client.LastError : null));
            longest.AddRange(client.RunningAttempts.Select(a => Row(client.Name ?? client.Address, a, time, now)));
        }

        return new ClusterSnapshot(
            time.GetUtcNow(),
            $"pool '{pool.Name}'",
            rows.Count(r => r.Status == "Online"),
            rows.Count,
            statistics.Queued,
            statistics.Running,
            statistics.Completed,
            statistics.Failed,
            pool.Throughput,
            pool.EstimatedTimeLeft,
            rows,
            Longest(longest));
    }

    private static RunningTaskRow Row(string worker, RunningAttempt running, TimeProvider time, long now) =>
        new(worker, running.Attempt.Spec.DisplayName, Environment.MachineName, running.Attempt.Number, time.GetElapsedTime(running.Since, now));

    private static List<RunningTaskRow> Longest(List<RunningTaskRow> tasks) =>
        tasks.OrderByDescending(t => t.Elapsed).Take(WorkerStatus.MaxLongestRunning).ToList();
}
