namespace Repartir.Remote;

/// <summary>
/// What one worker grants its clients, so that no client can take it over or take it down: connections, time,
/// tasks in flight and output waiting to be read. Every limit has a default that a cluster never notices.
/// </summary>
public sealed record WorkerLimits
{
    /// <summary>Open connections, handshakes included; one past it is closed at once and the worker goes on serving.</summary>
    public int MaxConnections { get; init; } = 256;

    /// <summary>
    /// The longest a coordinator may take to deliver its next message, whole (coordinators send a heartbeat every
    /// second or so): a silent socket, and a frame sent a byte at a time or left half-sent, are cut at this point.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Tasks one connection may have here (running, waiting for a slot, or with a result being sent); past it the
    /// worker reads none of its messages until one ends: back-pressure, not a queue. Null: twice the slots, at least 8.
    /// </summary>
    public int? MaxTasksPerConnection { get; init; }

    /// <summary>Output of finished tasks waiting for a connection to read it; past it, that connection's submits wait unread.</summary>
    public long MaxPendingResultBytes { get; init; } = 64L << 20;

    /// <summary>The tasks-per-connection limit for a worker of <paramref name="slots"/> slots.</summary>
    internal int TasksPerConnection(int slots) => MaxTasksPerConnection ?? Math.Max(8, 2 * slots);

    /// <summary>Checks the limits, naming the one out of range.</summary>
    /// <exception cref="InvalidSettingException">A limit is zero, negative or too small to work.</exception>
    public void Validate()
    {
        if (MaxConnections < 1)
        {
            throw new InvalidSettingException(nameof(MaxConnections), $"MaxConnections must be at least 1, not {MaxConnections}.");
        }

        if (IdleTimeout < TimeSpan.FromSeconds(1))
        {
            throw new InvalidSettingException(nameof(IdleTimeout), $"IdleTimeout must be at least a second (coordinators send heartbeats about every second), not {IdleTimeout}.");
        }

        if (MaxTasksPerConnection < 1)
        {
            throw new InvalidSettingException(nameof(MaxTasksPerConnection), $"MaxTasksPerConnection must be at least 1, not {MaxTasksPerConnection}.");
        }

        if (MaxPendingResultBytes < 1)
        {
            throw new InvalidSettingException(nameof(MaxPendingResultBytes), $"MaxPendingResultBytes must be positive, not {MaxPendingResultBytes}.");
        }
    }
}
