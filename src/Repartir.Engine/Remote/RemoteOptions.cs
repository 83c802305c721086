namespace Repartir.Remote;

/// <summary>How a pool talks to its remote workers: heartbeats, failure detection, reconnection and requeueing.</summary>
public sealed record RemoteOptions
{
    /// <summary>How often the pool sends each worker a heartbeat (the worker answers at once, which gives the latency).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a worker may stay silent before it is Offline: its connection is closed and its running tasks
    /// go to other workers. After two silent intervals it is Suspected and gets no new tasks.
    /// </summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(1) * IntervalsBeforeOffline;

    /// <summary>
    /// Mutual TLS: the pool's client certificate and the authorities a worker's certificate must chain to (it must
    /// also name the host dialled). Null speaks plain TCP, which only a loopback worker gets unless
    /// <see cref="AllowInsecure"/> says otherwise.
    /// </summary>
    public Security.TlsCredentials? Tls { get; init; }

    /// <summary>Speak plain TCP to workers on other hosts: whoever is on the path sees and can change every task and result.</summary>
    public bool AllowInsecure { get; init; }

    /// <summary>
    /// Connect as a read-only monitor (<c>repartir top</c>): the hello says so, workers refuse its tasks and send it their
    /// own figures (<see cref="WorkerClient.LastStatus"/>) every heartbeat, and the pool never places a task on them.
    /// </summary>
    public bool Observe { get; init; }

    /// <summary>How long one connection attempt (TCP connect and handshake) may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The wait before the first reconnection attempt; it doubles after each failure.</summary>
    public TimeSpan ReconnectInitialDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait between two reconnection attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many attempts of one task may be lost with their worker before the task comes back as
    /// <see cref="Tasks.FailureKind.WorkerLost"/>. Losses are requeued at once, independently of the task's retry policy.
    /// </summary>
    public int MaxWorkerLosses { get; init; } = 3;

    /// <summary>
    /// How long past a task's own timeout the pool waits for its worker's result. The worker kills a task that runs
    /// too long and reports it; this bounds the wait for a worker that answers heartbeats but never reports the task:
    /// the pool then gives the attempt up as TimedOut and asks the worker to kill it.
    /// </summary>
    public TimeSpan ResultGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Tasks sent to a worker beyond its slots, to wait in its queue: when a slot frees, its next task is already
    /// there instead of a round trip away. Null picks a quarter of the worker's slots; 0 sends a worker
    /// no more tasks than it has slots. A task's timeout starts when it starts there: the pool's own deadline for its
    /// result (timeout + <see cref="ResultGrace"/>) counts from when a slot freed for it.
    /// </summary>
    /// <remarks>
    /// The default is a quarter of the slots, so none below 4: measured (docs/benchmarks.md), a window lifted an
    /// 8-slot worker on its own cores from 0.869 to 0.900 of the local pool's rate, while on 2 cores shared by
    /// coordinator and worker a window of 2 cost 0.83 → 0.76: there the cores, not the round trip, are the limit.
    /// </remarks>
    public int? Prefetch { get; init; }

    /// <summary>The prefetch window for a worker of <paramref name="slots"/> slots (see <see cref="Prefetch"/>).</summary>
    internal int PrefetchFor(int slots) => Prefetch ?? slots / 4;

    /// <summary>The largest frame the pool accepts from a worker. Results carry output: room for two full 16 MiB streams.</summary>
    public int MaxFrameLength { get; init; } = 40 << 20;

    /// <summary>How many silent heartbeat intervals make a worker Offline when only the interval is given.</summary>
    public const int IntervalsBeforeOffline = 5;

    /// <summary>Settings for a heartbeat every <paramref name="interval"/>: Offline after <see cref="IntervalsBeforeOffline"/> silent intervals, the rest default.</summary>
    public static RemoteOptions WithHeartbeat(TimeSpan interval) => new() { HeartbeatInterval = interval, HeartbeatTimeout = interval * IntervalsBeforeOffline };

    /// <summary>Checks the options, naming the one that is wrong.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (HeartbeatInterval <= TimeSpan.Zero)
        {
            throw new InvalidSettingException(nameof(HeartbeatInterval), $"HeartbeatInterval must be positive, not {HeartbeatInterval}.");
        }

        if (HeartbeatTimeout < HeartbeatInterval * 2)
        {
            throw new InvalidSettingException(nameof(HeartbeatTimeout), $"HeartbeatTimeout must be at least two heartbeat intervals ({HeartbeatInterval * 2}).");
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            throw new InvalidSettingException(nameof(ConnectTimeout), "ConnectTimeout must be positive.");
        }

        if (ReconnectInitialDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectInitialDelay)
        {
            throw new InvalidSettingException(nameof(ReconnectMaxDelay), "Reconnect delays must be positive, the maximum at least the initial one.");
        }

        if (ResultGrace < TimeSpan.Zero)
        {
            throw new InvalidSettingException(nameof(ResultGrace), $"ResultGrace must not be negative, not {ResultGrace}.");
        }

        if (MaxWorkerLosses < 1)
        {
            throw new InvalidSettingException(nameof(MaxWorkerLosses), $"MaxWorkerLosses must be at least 1, not {MaxWorkerLosses}.");
        }

        if (Prefetch < 0)
        {
            throw new InvalidSettingException(nameof(Prefetch), $"Prefetch must be 0 or more, not {Prefetch}.");
        }

        if (MaxFrameLength < 4096)
        {
            throw new InvalidSettingException(nameof(MaxFrameLength), "MaxFrameLength must be at least 4096 bytes.");
        }
    }

    /// <summary>The wait before reconnection attempt <paramref name="failures"/> + 1, with ±20% jitter so that coordinators do not reconnect in step.</summary>
    internal TimeSpan ReconnectDelay(int failures) => Backoff.Jittered(Backoff.Delay(ReconnectInitialDelay, 2, ReconnectMaxDelay, failures));
}
