using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Repartir.Remote;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Telemetry;

/// <summary>
/// The engine's metrics (one <see cref="Meter"/>) and traces (one <see cref="ActivitySource"/>), both named
/// <see cref="Name"/>. Metric names follow OpenTelemetry's conventions (dotted, units given apart), which a Prometheus
/// exporter turns into <c>repartir_tasks_completed_total</c> and the like. Nothing is recorded unless a listener
/// (an exporter, <c>dotnet-counters</c>, a test) is attached: an instrument without one costs a branch.
/// </summary>
public static class RepartirTelemetry
{
    /// <summary>The meter's and the activity source's name: what an exporter subscribes to.</summary>
    public const string Name = "Repartir";

    private static readonly string Version = typeof(RepartirTelemetry).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    private static readonly ConcurrentDictionary<Pool, byte> Pools = new();

    /// <summary>The engine's meter.</summary>
    public static Meter Meter { get; } = new(Name, Version);

    /// <summary>The engine's activity source: a span per task and per attempt.</summary>
    public static ActivitySource Source { get; } = new(Name, Version);

    private static readonly Counter<long> Submitted = Meter.CreateCounter<long>("repartir.tasks.submitted", "{task}", "Tasks submitted to a pool.");
    private static readonly Counter<long> Started = Meter.CreateCounter<long>("repartir.tasks.started", "{attempt}", "Attempts started, on this machine or sent to a worker.");
    private static readonly Counter<long> Completed = Meter.CreateCounter<long>("repartir.tasks.completed", "{task}", "Tasks that have their one result, by outcome.");
    private static readonly Counter<long> Retried = Meter.CreateCounter<long>("repartir.tasks.retried", "{attempt}", "Failed attempts given another try by the retry policy.");
    private static readonly Counter<long> Requeued = Meter.CreateCounter<long>("repartir.tasks.requeued", "{attempt}", "Attempts lost with their worker and queued again.");
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("repartir.task.duration", "s", "How long each task's final attempt ran.");
    private static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>("repartir.task.queue_wait", "s", "From a task's submission to its first attempt's start.");
    private static readonly Counter<long> NetworkIo = Meter.CreateCounter<long>("repartir.worker.network.io", "By", "Bytes sent to and received from each remote worker (or coordinator, on a worker).");

    static RepartirTelemetry()
    {
        Meter.CreateObservableGauge("repartir.pool.queued", () => Each(pool => pool.Statistics.Queued), "{task}", "Tasks waiting in each pool's queues.");
        Meter.CreateObservableGauge("repartir.pool.running", () => Each(pool => pool.Statistics.Running), "{task}", "Tasks of each pool started and not finished.");
        Meter.CreateObservableCounter("repartir.pool.steals", () => Each(pool => pool.Statistics.Steals), "{steal}", "Work items taken from another worker's deque.");
        Meter.CreateObservableGauge("repartir.pool.workers", WorkersByState, "{worker}", "Each pool's workers by state: this machine's CPU workers, and its remote workers Online, Suspected, Offline or Draining.");
    }

    /// <summary>Lists <paramref name="pool"/> for the observable gauges while it runs.</summary>
    internal static void Register(Pool pool) => Pools.TryAdd(pool, 0);

    /// <summary>Takes <paramref name="pool"/> off the gauges.</summary>
    internal static void Unregister(Pool pool) => Pools.TryRemove(pool, out _);

    internal static void OnSubmitted(string pool, Backend backend)
    {
        if (Submitted.Enabled)
        {
            Submitted.Add(1, new KeyValuePair<string, object?>("repartir.pool", pool), new KeyValuePair<string, object?>("repartir.backend", backend.ToString()));
        }
    }

    internal static void OnStarted(string pool, TimeSpan? waited)
    {
        if (Started.Enabled)
        {
            Started.Add(1, new KeyValuePair<string, object?>("repartir.pool", pool));
        }

        if (waited is { } wait && QueueWait.Enabled)
        {
            QueueWait.Record(wait.TotalSeconds, new KeyValuePair<string, object?>("repartir.pool", pool));
        }
    }

    internal static void OnCompleted(string pool, TaskResult result)
    {
        if (Completed.Enabled)
        {
            Completed.Add(1, new KeyValuePair<string, object?>("repartir.pool", pool), new KeyValuePair<string, object?>("repartir.outcome", Outcome(result)));
        }

        if (Duration.Enabled && result.Attempt > 0)
        {
            Duration.Record(result.Duration.TotalSeconds, new KeyValuePair<string, object?>("repartir.pool", pool), new KeyValuePair<string, object?>("repartir.outcome", Outcome(result)));
        }
    }

    internal static void OnRetried(string pool) => Retried.Add(1, new KeyValuePair<string, object?>("repartir.pool", pool));

    internal static void OnRequeued(string pool) => Requeued.Add(1, new KeyValuePair<string, object?>("repartir.pool", pool));

    /// <summary>Counts <paramref name="bytes"/> to or from <paramref name="peer"/>.</summary>
    internal static void OnNetworkIo(string peer, bool transmit, long bytes)
    {
        if (NetworkIo.Enabled)
        {
            NetworkIo.Add(bytes, new KeyValuePair<string, object?>("repartir.worker", peer), new KeyValuePair<string, object?>("network.io.direction", transmit ? "transmit" : "receive"));
        }
    }

    /// <summary>A task's span, from its submission to its one result, under the caller's current activity; null when nobody listens.</summary>
    internal static Activity? StartTask(string pool, TaskId id, TaskSpec spec)
    {
        Activity? caller = Activity.Current;
        Activity? activity = Source.StartActivity("repartir.task", ActivityKind.Internal);
        Activity.Current = caller; // the span lives until the result; the caller's next submission is not its child
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("repartir.pool", pool);
            activity.SetTag("repartir.task.id", id.Value);
            activity.SetTag("repartir.task.name", spec.DisplayName.Length <= 256 ? spec.DisplayName : spec.DisplayName[..256]);
            activity.SetTag("repartir.backend", spec.Backend.ToString());
        }

        return activity;
    }

    /// <summary>An attempt's span, a child of its task's: where it waited and ran.</summary>
    internal static Activity? StartAttempt(Activity? task, int number, TimeSpan? queueWait)
    {
        if (task is null)
        {
            return null;
        }

        Activity? caller = Activity.Current;
        Activity? activity = Source.StartActivity("repartir.attempt", ActivityKind.Internal, task.Context);
        Activity.Current = caller;
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("repartir.attempt", number);
            if (queueWait is { } wait)
            {
                activity.SetTag("repartir.queue_wait_s", wait.TotalSeconds);
            }
        }

        return activity;
    }

    /// <summary>Ends an attempt's or a task's span with what became of it.</summary>
    internal static void Stop(Activity? activity, TaskResult? result, string? ending = null)
    {
        if (activity is null)
        {
            return;
        }

        if (result is not null)
        {
            activity.SetTag("repartir.outcome", ending ?? Outcome(result));
            activity.SetTag("repartir.worker", result.Worker);
            activity.SetTag("host.name", result.Host);
            if (!result.Success)
            {
                activity.SetStatus(ActivityStatusCode.Error, result.FailureMessage ?? Outcome(result));
            }
        }
        else if (ending is not null)
        {
            activity.SetTag("repartir.outcome", ending);
        }

        activity.Stop();
    }

    /// <summary>success, or the failure in snake case (non_zero_exit for an exit code other than 0): a small, fixed set of values.</summary>
    internal static string Outcome(TaskResult result) => result.Failure switch
    {
        FailureKind.None => result.ExitCode == 0 ? "success" : "non_zero_exit",
        FailureKind.NotFound => "not_found",
        FailureKind.NotExecutable => "not_executable",
        FailureKind.TimedOut => "timed_out",
        FailureKind.Cancelled => "cancelled",
        FailureKind.SpawnFailed => "spawn_failed",
        FailureKind.Rejected => "rejected",
        FailureKind.Signaled => "signaled",
        FailureKind.WorkerLost => "worker_lost",
        FailureKind.NoWorker => "no_worker",
        _ => "gpu_failed",
    };

    private static IEnumerable<Measurement<long>> Each(Func<Pool, long> value) =>
        Pools.Keys.Select(pool => new Measurement<long>(value(pool), new KeyValuePair<string, object?>("repartir.pool", pool.Name)));

    private static IEnumerable<Measurement<long>> WorkersByState()
    {
        foreach (Pool pool in Pools.Keys)
        {
            var tag = new KeyValuePair<string, object?>("repartir.pool", pool.Name);
            yield return new Measurement<long>(pool.Workers.Length, tag, new KeyValuePair<string, object?>("repartir.worker.state", "Local"));
            IReadOnlyList<WorkerClient> remote = pool.RemoteWorkers;
            foreach (string state in new[] { "Online", "Suspected", "Offline", "Draining" })
            {
                yield return new Measurement<long>(remote.Count(w => w.StateName == state), tag, new KeyValuePair<string, object?>("repartir.worker.state", state));
            }
        }
    }
}
