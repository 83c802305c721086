using System.Net.Sockets;
using Repartir.Remote.Wire;

namespace Repartir.Remote;

/// <summary>One connection of a <see cref="WorkerClient"/> to its worker: the stream, who answered, the failure detector, and the attempts in flight on it.</summary>
internal sealed class WorkerSession(Connection connection, TcpClient client, Hello peer, long connectedAt, HeartbeatMonitor monitor, int prefetch)
{
    public long HeartbeatSequence;
    public long PendingEcho = -1;
    public long PendingEchoSentAt;

    public volatile bool Draining;

    public Connection Connection { get; } = connection;

    public Hello Peer { get; } = peer;

    /// <summary>The GPUs the worker announced in this connection's hello, read once.</summary>
    public int Gpus { get; } = WorkerClient.GpusOf(peer);

    /// <summary>When the handshake completed (a <see cref="TimeProvider"/> timestamp).</summary>
    public long ConnectedAt { get; } = connectedAt;

    /// <summary>The failure detector: every message heard resets it.</summary>
    public HeartbeatMonitor Monitor { get; } = monitor;

    /// <summary>The attempts sent on this connection and not yet ended, in the worker's slots and its prefetch window.</summary>
    public InFlightTable InFlight { get; } = new(peer.Slots, prefetch);

    public CancellationTokenSource Ending { get; } = new();

    public bool Open { get; set; } = true;

    /// <summary>Why the connection was ended from this side (a missed heartbeat, a failed send), once it was.</summary>
    public string? EndReason { get; set; }

    public long LastWorkerSequence { get; set; } = -1;

    /// <summary>The worker's last heartbeat: its running, queued and load.</summary>
    public Heartbeat? LastHeartbeat { get; set; }

    /// <summary>The worker's last status: its own totals (and, to a monitor, its longest-running tasks).</summary>
    public WorkerStatus? LastStatus { get; set; }

    public void Close()
    {
        // Closing the socket ends a receive that is waiting; the connection's buffers go with it.
        client.Dispose();
        _ = Connection.DisposeAsync().AsTask();
    }
}
