namespace Repartir.Remote;

/// <summary>What a coordinator concludes from a worker's silence.</summary>
internal enum Liveness
{
    /// <summary>Heard within two heartbeat intervals.</summary>
    Alive,

    /// <summary>Silent for two intervals or more: no new tasks go to it.</summary>
    Suspected,

    /// <summary>Silent past the heartbeat timeout: the connection is ended and its tasks run elsewhere.</summary>
    Lost,
}

/// <summary>
/// The failure detector of one connection: every message heard resets it, and the silence since the last one says
/// whether the peer is alive. Time comes from a <see cref="TimeProvider"/>, so a test can let a minute of silence
/// pass in a microsecond, and a busy machine cannot make a healthy worker look dead in a test.
/// </summary>
internal sealed class HeartbeatMonitor(TimeProvider time, TimeSpan interval, TimeSpan timeout)
{
    private long _lastHeard = time.GetTimestamp();

    /// <summary>How long since the peer was last heard.</summary>
    internal TimeSpan Silence => time.GetElapsedTime(Interlocked.Read(ref _lastHeard));

    /// <summary>The peer said something (any message counts).</summary>
    internal void Heard() => Interlocked.Exchange(ref _lastHeard, time.GetTimestamp());

    /// <summary>The verdict now, with the silence it is based on.</summary>
    internal (Liveness Verdict, TimeSpan Silence) Check()
    {
        TimeSpan silence = Silence;
        Liveness verdict = silence >= timeout ? Liveness.Lost
            : silence >= interval * 2 ? Liveness.Suspected
            : Liveness.Alive;
        return (verdict, silence);
    }
}
