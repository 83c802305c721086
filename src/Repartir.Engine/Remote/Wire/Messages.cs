using Repartir.Tasks;

namespace Repartir.Remote.Wire;

/// <summary>
/// One protocol message. On the wire each is a MessagePack map whose <c>type</c> key names the message;
/// the other keys are its fields (camelCase). Readers ignore keys they do not know, so fields can be
/// added without a protocol version change.
/// </summary>
public abstract record Message;

/// <summary>
/// The first frame each side sends. A peer whose <see cref="ProtocolVersion"/> differs is answered with
/// an <see cref="ErrorMessage"/> naming both versions, then the connection is closed.
/// </summary>
/// <param name="ProtocolVersion">The wire protocol version (see <see cref="MessageCodec.ProtocolVersion"/>).</param>
/// <param name="SoftwareVersion">The sender's Repartir version, for people.</param>
/// <param name="Name">The sender's name (a worker's <c>--name</c>, or the coordinator's host name).</param>
/// <param name="Id">A stable id for this process of the sender, so a reconnect can be recognised.</param>
/// <param name="Slots">How many tasks the sender runs at once (0 for a coordinator).</param>
/// <param name="Backends">The backends the sender runs (for example <c>Cpu</c>).</param>
/// <param name="MaxFrameLength">The largest frame the sender accepts.</param>
/// <param name="HostFacts">Facts about the sender's machine (os, cores, memory), for people and placement.</param>
/// <param name="Role">What a coordinator-side peer is: <see cref="CoordinatorRole"/>, or <see cref="MonitorRole"/> for an
/// observer (<c>repartir top</c>) that may neither submit nor cancel and is sent the worker's <see cref="WorkerStatus"/>
/// with every heartbeat. A worker's own hello says <see cref="WorkerRole"/>.</param>
public sealed record Hello(
    int ProtocolVersion,
    string SoftwareVersion,
    string Name,
    string Id,
    int Slots,
    IReadOnlyList<string> Backends,
    int MaxFrameLength,
    IReadOnlyDictionary<string, string> HostFacts,
    string Role = Hello.CoordinatorRole) : Message
{
    /// <summary>A peer that submits tasks (the default; a hello without a role is one).</summary>
    public const string CoordinatorRole = "coordinator";

    /// <summary>A read-only observer: it submits and cancels nothing, and is sent the worker's figures every heartbeat.</summary>
    public const string MonitorRole = "monitor";

    /// <summary>A worker daemon.</summary>
    public const string WorkerRole = "worker";

    /// <summary>Whether the peer said it only observes.</summary>
    public bool IsMonitor => string.Equals(Role, MonitorRole, StringComparison.Ordinal);
}

/// <summary>Asks the worker to run one attempt of a task. Retries are the coordinator's business.</summary>
/// <param name="TaskId">The coordinator's id for the task; results and cancels refer to it.</param>
/// <param name="Attempt">Which attempt this is (1-based).</param>
/// <param name="Spec">What to run. Its input object does not travel; the coordinator keeps it.</param>
/// <param name="TraceParent">The coordinator's span for this attempt as a W3C <c>traceparent</c>, so the worker's spans continue its trace; null when nobody traces.</param>
public sealed record Submit(long TaskId, int Attempt, TaskSpec Spec, string? TraceParent = null) : Message;

/// <summary>The outcome of one attempt, correlated by task id; results may arrive in any order.</summary>
/// <param name="TaskId">The task it belongs to.</param>
/// <param name="Attempt">Which attempt it was.</param>
/// <param name="Outcome">How it ended and what it printed. Its spec is a placeholder: the coordinator re-attaches its own.</param>
public sealed record Result(long TaskId, int Attempt, TaskResult Outcome) : Message;

/// <summary>Cancels a task: queued, it comes back Cancelled; running, its process tree is killed.</summary>
/// <param name="TaskId">The task to cancel.</param>
public sealed record Cancel(long TaskId) : Message;

/// <summary>Sent at the negotiated interval by both sides; a worker's carries its load.</summary>
/// <param name="Sequence">Increases by one per heartbeat, so a peer can tell a stall from a gap.</param>
/// <param name="Running">Tasks running on the sender.</param>
/// <param name="Queued">Tasks queued on the sender.</param>
/// <param name="Load">The sender's one-minute load average (−1 when unknown).</param>
/// <param name="Echo">The sequence of the last heartbeat received from the peer, for latency (−1 before any).</param>
public sealed record Heartbeat(long Sequence, int Running, int Queued, double Load, long Echo) : Message;

/// <summary>
/// A worker's own figures, for every coordinator it serves together: sent to each coordinator when it starts to drain,
/// and to a monitor after every heartbeat. Fields after <see cref="Uptime"/> are optional on the wire (0, −1 or empty
/// when absent).
/// </summary>
/// <param name="State">Serving, Draining or Stopped.</param>
/// <param name="Slots">Tasks it runs at once.</param>
/// <param name="Running">Tasks running now.</param>
/// <param name="Completed">Tasks completed since it started.</param>
/// <param name="Failed">Of those, tasks that did not succeed.</param>
/// <param name="Uptime">How long it has been running.</param>
/// <param name="Waiting">Tasks received and waiting for a slot.</param>
/// <param name="Load">The machine's one-minute load average (−1 when unknown).</param>
/// <param name="Coordinators">Coordinators connected (monitors not counted).</param>
/// <param name="Throughput">Tasks it completed per second, over the last ten seconds.</param>
/// <param name="LongestRunning">Its longest-running tasks, longest first (sent to monitors only; at most <see cref="MaxLongestRunning"/>).</param>
public sealed record WorkerStatus(
    string State,
    int Slots,
    int Running,
    long Completed,
    long Failed,
    TimeSpan Uptime,
    int Waiting = 0,
    double Load = -1,
    int Coordinators = 0,
    double Throughput = 0,
    IReadOnlyList<RunningTaskStatus>? LongestRunning = null) : Message
{
    /// <summary>The most running tasks a status names.</summary>
    public const int MaxLongestRunning = 10;
}

/// <summary>A task running on a worker, as its status names it.</summary>
/// <param name="TaskId">The coordinator's id for it.</param>
/// <param name="Attempt">Which attempt it is.</param>
/// <param name="Name">Its display name (the program and arguments unless it was named).</param>
/// <param name="Coordinator">The name of the coordinator that sent it.</param>
/// <param name="Elapsed">How long it has been running (since it got a slot).</param>
public sealed record RunningTaskStatus(long TaskId, int Attempt, string Name, string Coordinator, TimeSpan Elapsed);

/// <summary>A protocol error; the sender closes the connection after it unless <see cref="Fatal"/> is false.</summary>
/// <param name="Code">A stable code, for example <c>VersionMismatch</c>, <c>FrameTooLarge</c>, <c>BadMessage</c>.</param>
/// <param name="Text">What was wrong, for people.</param>
/// <param name="Fatal">Whether the connection closes after it.</param>
public sealed record ErrorMessage(string Code, string Text, bool Fatal) : Message;

/// <summary>The sender is closing the connection on purpose (a drain, a shutdown), not failing.</summary>
/// <param name="Reason">Why, for people.</param>
public sealed record Goodbye(string Reason) : Message;
