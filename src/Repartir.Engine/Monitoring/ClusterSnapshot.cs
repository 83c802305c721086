namespace Repartir.Monitoring;

/// <summary>
/// What a cluster is doing at one moment, as a monitor shows it: the totals, one row per place tasks run, and the
/// tasks that have run longest. A coordinator's pool (Watch-RepartirPool) counts its own tasks; a monitor's
/// (<c>repartir top</c>) counts everything its workers run, for every coordinator, and sees only the work already on
/// them: a coordinator's own backlog is not theirs to report.
/// </summary>
/// <param name="Time">When it was taken.</param>
/// <param name="Source">What was watched: <c>pool 'farm'</c>, or the workers a monitor observes.</param>
/// <param name="WorkersActive">Places that can run tasks now (Online; this machine counts when it has CPU workers).</param>
/// <param name="WorkersTotal">Places known, whatever their state.</param>
/// <param name="Pending">Tasks waiting to run.</param>
/// <param name="Running">Tasks running.</param>
/// <param name="Completed">Tasks that have their result.</param>
/// <param name="Failed">Of those, results that were not a success.</param>
/// <param name="Throughput">Tasks completed per second over the last ten seconds.</param>
/// <param name="EstimatedTimeLeft">When the pending and running tasks should be done at that pace; null without a pace or without work.</param>
/// <param name="Workers">One row per place: this machine first (when it runs tasks), then each remote worker in the order given.</param>
/// <param name="LongestRunning">The tasks that have run longest, longest first (at most ten).</param>
public sealed record ClusterSnapshot(
    DateTimeOffset Time,
    string Source,
    int WorkersActive,
    int WorkersTotal,
    long Pending,
    long Running,
    long Completed,
    long Failed,
    double Throughput,
    TimeSpan? EstimatedTimeLeft,
    IReadOnlyList<WorkerRow> Workers,
    IReadOnlyList<RunningTaskRow> LongestRunning);

/// <summary>One place tasks run, in a <see cref="ClusterSnapshot"/>.</summary>
/// <param name="Address">HOST:PORT of a remote worker; <c>local</c> for this machine's CPU workers.</param>
/// <param name="Name">Its name (a worker's hello; this machine's host name); empty before it was reached.</param>
/// <param name="Status">Online, Suspected, Offline or Draining.</param>
/// <param name="Load">The machine's one-minute load average; null when unknown.</param>
/// <param name="SlotsUsed">Slots running a task, for every coordinator (as the worker last said); null when unknown.</param>
/// <param name="Slots">Tasks it runs at once (0 before it was reached).</param>
/// <param name="Running">Tasks running there (the pool's own, or, to a monitor, everyone's).</param>
/// <param name="Completed">Tasks completed there (as <paramref name="Running"/>).</param>
/// <param name="Failed">Of those, results that were not a success.</param>
/// <param name="Latency">The round trip of its last heartbeat; null for this machine or before one.</param>
/// <param name="Uptime">How long the worker process (or this pool) has run; null while not connected.</param>
/// <param name="Problem">Why it is Offline, when it is.</param>
public sealed record WorkerRow(
    string Address,
    string Name,
    string Status,
    double? Load,
    int? SlotsUsed,
    int Slots,
    long Running,
    long Completed,
    long Failed,
    TimeSpan? Latency,
    TimeSpan? Uptime,
    string? Problem);

/// <summary>A task running now, in a <see cref="ClusterSnapshot"/>.</summary>
/// <param name="Worker">Where it runs (a worker's name, or <c>local</c>).</param>
/// <param name="Name">Its display name.</param>
/// <param name="Coordinator">Who submitted it (to a monitor; this machine for a pool's own view).</param>
/// <param name="Attempt">Which attempt it is.</param>
/// <param name="Elapsed">How long it has run.</param>
public sealed record RunningTaskRow(string Worker, string Name, string Coordinator, int Attempt, TimeSpan Elapsed);
