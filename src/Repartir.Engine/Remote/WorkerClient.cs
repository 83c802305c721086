using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Repartir.Remote.Wire;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Remote;

/// <summary>What an attempt to place a task on a worker did.</summary>
internal enum Placement
{
    /// <summary>A task was sent.</summary>
    Placed,

    /// <summary>The worker had a free slot but the pool had no remote-capable work.</summary>
    NoWork,

    /// <summary>The worker had no free slot (or went away).</summary>
    NoSlot,
}

/// <summary>How a pool sees one of its remote workers.</summary>
public enum RemoteWorkerState
{
    /// <summary>Not connected: never reached yet, lost, or refusing the handshake (see <see cref="WorkerClient.LastError"/>). The pool keeps trying with back-off.</summary>
    Offline = 0,

    /// <summary>Connected and answering heartbeats; it gets tasks.</summary>
    Online = 1,

    /// <summary>Connected but silent for two heartbeat intervals; it gets no new tasks until it is heard again.</summary>
    Suspected = 2,
}

/// <summary>
/// One remote worker daemon as a pool sees it: the connection (made again with back-off whenever it is
/// lost), the tasks in flight on it, heartbeats and the counters people read. A worker that is lost takes
/// no results with it: its in-flight tasks go back to the pool's queue with their attempt number raised.
/// </summary>
public sealed class WorkerClient
{
    private readonly RemotePlacement _placement;
    private readonly RemoteOptions _options;
    private readonly Hello _myHello;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private Task _loop = Task.CompletedTask;
    private WorkerSession? _session;
    private volatile bool _accepting = true;
    private volatile int _state;
    private long _completed;
    private long _failed;
    private long _lost;
    private int _connects;
    private long _latencyTicks = -1;
    private long _lastHeardTicks;

    internal WorkerClient(string address, IPEndPoint endPoint, RemotePlacement placement, RemoteOptions options, Hello myHello, ILogger logger, TimeProvider time)
    {
        _time = time;
        Address = address;
        EndPoint = endPoint;
        _placement = placement;
        _options = options;
        _myHello = myHello;
        _logger = logger;
    }

    /// <summary>The address as it was given (<c>HOST:PORT</c>); it is resolved again before each connection attempt.</summary>
    public string Address { get; }

    /// <summary>The address the last connection attempt used.</summary>
    public IPEndPoint EndPoint { get; private set; }

    /// <summary>Online, Suspected or Offline.</summary>
    public RemoteWorkerState State => (RemoteWorkerState)_state;

    /// <summary>The worker's name from its hello; null before it was first reached.</summary>
    public string? Name => Peer?.Name;

    /// <summary>The worker process's id from its hello (it changes when the worker restarts).</summary>
    public string? WorkerId => Peer?.Id;

    /// <summary>How many tasks the worker runs at once (0 before it was first reached).</summary>
    public int Slots => Peer?.Slots ?? 0;

    /// <summary>Tasks of this pool running on the worker now (in its slots).</summary>
    public int Running => _session?.InFlight.Running ?? 0;

    /// <summary>Tasks of this pool sent ahead, waiting in the worker's queue for a slot (<see cref="RemoteOptions.Prefetch"/>).</summary>
    public int Waiting => _session is { } session ? Math.Max(0, session.InFlight.Count - session.InFlight.Running) : 0;

    /// <summary>This pool's attempts running on the worker now (waiting ones excluded), with when each began there.</summary>
    internal IEnumerable<RunningAttempt> RunningAttempts => _session is { } session
        ? session.InFlight.Attempts.Where(a => a.Running && a.RunningSince != 0).Select(a => new RunningAttempt(a.Attempt, a.RunningSince))
        : [];

    /// <summary>Tasks of this pool on the worker, running or waiting.</summary>
    internal int InFlight => _session?.InFlight.Count ?? 0;

    /// <summary>Tasks the worker returned a result for.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Of those, results that were not a success.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Attempts that were in flight on the worker when it was lost (each went back to the queue, or came back WorkerLost).</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>How many times a connection was made (1 + reconnections).</summary>
    public int Connects => Volatile.Read(ref _connects);

    /// <summary>The round trip of the last answered heartbeat; null before one was answered.</summary>
    public TimeSpan? HeartbeatLatency => Interlocked.Read(ref _latencyTicks) is var ticks and >= 0 ? TimeSpan.FromTicks(ticks) : null;

    /// <summary>When the worker was last heard (any message); null before it was reached.</summary>
    public DateTimeOffset? LastHeard => Interlocked.Read(ref _lastHeardTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>How long the worker process has been running, while it is connected; null otherwise.</summary>
    public TimeSpan? Uptime => _session is { } session && session.Peer.HostFacts.TryGetValue("uptimeMs", out string? text)
        && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long milliseconds)
            ? TimeSpan.FromMilliseconds(milliseconds) + _time.GetElapsedTime(session.ConnectedAt)
            : null;

    /// <summary>Why the worker is Offline, when it is: the connection error, a refused handshake, missed heartbeats.</summary>
    public string? LastError { get; private set; }

    /// <summary>The worker's hello from the last connection (name, version, slots, host facts).</summary>
    public Hello? Peer { get; private set; }

    /// <summary>Online, Suspected, Offline, or Draining (Online and finishing what it has), for people and metrics.</summary>
    public string StateName => State == RemoteWorkerState.Online && _session is { Draining: true } ? "Draining" : State.ToString();

    /// <summary>True while the worker can take new tasks (Online, serving, and still used by the pool), busy or not; never for a monitor.</summary>
    internal bool IsUsable => _accepting && !_options.Observe && State == RemoteWorkerState.Online && _session is { Draining: false };

    /// <summary>Slots free for a new task: none unless the worker is Online and serving (and none for a monitor).</summary>
    internal int FreeSlots => IsUsable && _session is { } session ? session.InFlight.Free : 0;

    /// <summary>The worker's own figures for all its coordinators, from its last status (every heartbeat to a monitor; on a drain to a pool); null before one came.</summary>
    public WorkerStatus? LastStatus => _session?.LastStatus;

    /// <summary>Tasks running on the worker now, for all its coordinators, from its last heartbeat; null while not connected.</summary>
    public int? WorkerRunning => _session is { LastHeartbeat: { } beat } ? beat.Running : null;

    /// <summary>Tasks waiting for a slot on the worker, for all its coordinators, from its last heartbeat; null while not connected.</summary>
    public int? WorkerQueued => _session is { LastHeartbeat: { } beat } ? beat.Queued : null;

    /// <summary>The worker machine's one-minute load average from its last heartbeat; null when unknown or not connected.</summary>
    public double? Load => _session is { LastHeartbeat: { Load: >= 0 } beat } ? beat.Load : null;

    /// <summary>The GPUs the worker announced in its hello (its <c>Gpu</c> backend and the <c>gpus</c> host fact); 0 before it said hello.</summary>
    public int GpuCount => GpusOf(Peer);

    /// <summary>GPUs free for a Gpu task: the worker's GPUs less the Gpu tasks sent to it and not yet finished.</summary>
    internal int FreeGpus => _session is { } session ? FreeGpuSlots(session) : 0;

    /// <summary>Completes once the first connection attempt has succeeded or failed (then see <see cref="State"/> and <see cref="LastError"/>).</summary>
    public Task FirstAttempt => _firstAttempt.Task;

    internal void Start() => _loop = Task.Run(RunAsync);

    /// <summary>
    /// Takes the pool's next remote-capable task and sends it here, if a slot is free. The slot is reserved
    /// before the task is taken, so the placement loop and a result freeing a slot can never both fill it.
    /// A send that fails ends the connection and requeues the task as lost; a task too large for the worker fails
    /// alone, as Rejected.
    /// </summary>
    internal async Task<Placement> TryPlaceNextAsync()
    {
        WorkerSession? session = _session;
        if (session is null || !_accepting || State != RemoteWorkerState.Online || session.Draining || !session.InFlight.TryReserve())
        {
            return Placement.NoSlot;
        }

        // Counting the Gpu tasks in flight walks the table: only when a Gpu task waits, and only on a worker with GPUs.
        TaskAttempt? work = _placement.TakeWork(gpu: session.Gpus > 0 && _placement.HasGpuWork && FreeGpuSlots(session) > 0);
        if (work is null)
        {
            session.InFlight.Release();
            return Placement.NoWork;
        }

        var attempt = new InFlightAttempt(work);
        bool added;
        lock (_gate)
        {
            added = session.Open && session.InFlight.TryAdd(attempt);
        }

        if (!added)
        {
            session.InFlight.Release();
            work.Return(); // the worker went away in the meantime
            return Placement.NoSlot;
        }

        try
        {
            // The worker runs a Gpu task as a process on a device of its own, and any other as a process.
            Backend runAs = work.Spec.Backend == Backend.Gpu ? Backend.Gpu : Backend.Cpu;
            await session.Connection.SendAsync(new Submit(work.Id.Value, work.Number, work.Spec with { Backend = runAs }, work.TraceParent), session.Ending.Token).ConfigureAwait(false);
        }
        catch (FrameException e)
        {
            // Nothing was sent: this task is too large for the worker, and the connection is as good as before.
            if (End(session, attempt))
            {
                work.Complete(NotRunHere(session, work, FailureKind.Rejected, $"The task cannot be sent to worker {session.Peer.Name}: {e.Message}"));
            }

            return Placement.Placed;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            EndSession(session, "Sending a task failed: " + e.Message);
            return Placement.Placed;
        }

        attempt.ArmCancel(() => CancelOnWorker(session, work));
        if (session.InFlight.Sent(attempt))
        {
            attempt.StartDeadline(_time.GetTimestamp(), () => ResultDeadline(session, attempt)); // it runs at once; otherwise it waits in the worker's queue
        }

        return Placement.Placed;
    }

    /// <summary>
    /// Takes <paramref name="attempt"/> out of the session's table (false when something else ended it first). The
    /// attempt that then gets the slot it freed on the worker starts its result deadline now.
    /// </summary>
    private bool End(WorkerSession session, InFlightAttempt attempt)
    {
        if (!session.InFlight.TryEnd(attempt, out InFlightAttempt? started))
        {
            return false;
        }

        started?.StartDeadline(_time.GetTimestamp(), () => ResultDeadline(session, started));
        return true;
    }

    /// <summary>
    /// Stops using the worker: with <paramref name="drain"/> its running tasks finish first (until
    /// <paramref name="cancellationToken"/> ends the wait); whatever still runs then goes back to the queue.
    /// </summary>
    internal async Task StopAsync(bool drain, CancellationToken cancellationToken)
    {
        _accepting = false;
        if (drain && _session is { } draining)
        {
            try
            {
                await draining.InFlight.WhenIdle.WaitAsync(cancellationToken).ConfigureAwait(false); // completes too when the connection ends
            }
            catch (OperationCanceledException)
            {
                drain = false; // stopped while draining: the rest runs elsewhere
            }
        }

        if (drain && _session is { } session)
        {
            await session.Connection.TrySendAsync(new Goodbye("The pool no longer uses this worker.")).ConfigureAwait(false);
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_session is { } current)
        {
            EndSession(current, "The worker was removed from the pool.");
        }

        await _loop.ConfigureAwait(false);
    }

    /// <summary>Asks the worker to cancel every task of this pool it runs (a forced shutdown); their results come back Cancelled.</summary>
    internal void CancelRunning()
    {
        if (_session is { } session)
        {
            foreach (long taskId in session.InFlight.TaskIds)
            {
                _ = session.Connection.TrySendAsync(new Cancel(taskId));
            }
        }
    }

    /// <summary>
    /// The worker enforces a task's timeout itself and reports it; past the timeout and <see cref="RemoteOptions.ResultGrace"/>
    /// the pool stops waiting for a worker that answers heartbeats but never the task, and gives the attempt up as TimedOut.
    /// </summary>
    private ITimer? ResultDeadline(WorkerSession session, InFlightAttempt attempt) => attempt.Attempt.Spec.Timeout is { } timeout
        ? _time.CreateTimer(static state => { var (client, session, attempt) = ((WorkerClient, WorkerSession, InFlightAttempt))state!; client.OnResultOverdue(session, attempt); }, (this, session, attempt), timeout + _options.ResultGrace, Timeout.InfiniteTimeSpan)
        : null;

    private void OnResultOverdue(WorkerSession session, InFlightAttempt attempt)
    {
        if (!End(session, attempt))
        {
            return; // its result came first
        }

        TaskAttempt work = attempt.Attempt;
        _ = session.Connection.TrySendAsync(new Cancel(work.Id.Value)); // should it still run there, it is killed
        Interlocked.Increment(ref _completed);
        Interlocked.Increment(ref _failed);
        string message = $"Worker {session.Peer.Name} returned no result within the task's timeout ({work.Spec.Timeout!.Value.TotalSeconds:0.###} s) and {_options.ResultGrace.TotalSeconds:0.###} s more; the pool gave up on it and asked the worker to kill it.";
        _logger.LogWarning("Task {Id} ({Name}): {Message}", work.Id, work.Spec.DisplayName, message);
        work.Complete(NotRunHere(session, work, FailureKind.TimedOut, message));
    }

    /// <summary>The outcome of an attempt this worker was given but did not report on.</summary>
    /// <summary>The GPUs a worker's hello announces: the count of its <c>gpus</c> host fact, when it offers the Gpu backend.</summary>
    internal static int GpusOf(Hello? hello) =>
        hello is null || !hello.Backends.Contains(nameof(Backend.Gpu), StringComparer.Ordinal) ? 0
        : hello.HostFacts.TryGetValue("gpus", out string? devices) && devices.Length > 0 ? devices.Split(',').Length
        : 1;

    private static int FreeGpuSlots(WorkerSession session) =>
        session.Gpus == 0 ? 0 : session.Gpus - session.InFlight.Attempts.Count(a => a.Attempt.Spec.Backend == Backend.Gpu);

    private TaskResult NotRunHere(WorkerSession session, TaskAttempt work, FailureKind failure, string message) =>
        TaskResult.NotRun(work.Id, work.Spec, failure, message, work.Number, EndPoint.ToString(), session.Peer.Name) with { Backend = Backend.Remote };

    private CancellationTokenRegistration CancelOnWorker(WorkerSession session, TaskAttempt work)
    {
        if (!work.CancellationToken.CanBeCanceled)
        {
            return default;
        }

        return work.CancellationToken.UnsafeRegister(
            static state =>
            {
                var (session, taskId) = ((WorkerSession, long))state!;
                _ = session.Connection.TrySendAsync(new Cancel(taskId));
            },
            (session, work.Id.Value));
    }

    private async Task RunAsync()
    {
        int failures = 0;
        while (!_stop.IsCancellationRequested)
        {
            WorkerSession? session = null;
            try
            {
                session = await ConnectAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is IOException or SocketException or ProtocolException or OperationCanceledException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
            {
                LastError = e is OperationCanceledException ? $"No answer within {_options.ConnectTimeout.TotalSeconds:0.#} s." : e.Message;
                LogUnreachable(e, LastError, failures);
            }
            finally
            {
                _firstAttempt.TrySetResult();
            }

            if (session is not null)
            {
                failures = 0;
                EndSession(session, await ServeAsync(session).ConfigureAwait(false));
            }

            try
            {
                await Task.Delay(_options.ReconnectDelay(failures++), _time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void LogUnreachable(Exception e, string reason, int failures)
    {
        if (e is ProtocolException)
        {
            _logger.LogError("Worker {Address} refused the connection: {Reason}", Address, reason);
        }
        else if (failures == 0)
        {
            _logger.LogWarning("Worker {Address} cannot be reached: {Reason}; retrying with back-off", Address, reason);
        }
        else
        {
            _logger.LogDebug("Worker {Address} still unreachable (attempt {Attempt}): {Reason}", Address, failures + 1, reason);
        }
    }

    private async Task<WorkerSession> ConnectAsync()
    {
        if (EndPoints.TryParse(Address, out IPEndPoint? resolved, out _) && resolved is not null)
        {
            EndPoint = resolved;
        }

        using var limit = new CancellationTokenSource(_options.ConnectTimeout, _time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, limit.Token);
        if (_options.Tls is null && !_options.AllowInsecure && !IPAddress.IsLoopback(EndPoint.Address))
        {
            throw new System.Security.Authentication.AuthenticationException(
                $"Refusing plain TCP to {Address} ({EndPoint.Address}), which is not this machine: give the pool a certificate, key and CA (-CertificatePath, -KeyPath, -CaPath; --cert, --key, --ca), or accept the risk with -AllowInsecure (--insecure).");
        }

        var client = new TcpClient(EndPoint.AddressFamily) { NoDelay = true };
        Connection? connection = null;
        try
        {
            await client.ConnectAsync(EndPoint, timeout.Token).ConfigureAwait(false);
            Stream stream = client.GetStream();
            if (_options.Tls is { } tls)
            {
                stream = await Security.TlsHandshake.ConnectAsync(stream, EndPoints.HostOf(Address), tls, timeout.Token).ConfigureAwait(false);
            }

            connection = new Connection(stream);
            Hello peer = await HandshakeAsync(connection, timeout.Token).ConfigureAwait(false);
            connection.MeteredPeer = Address;
            if (peer.Slots < 1)
            {
                // Placement divides by a worker's slots and fills them; a worker with none can take nothing.
                string text = $"Worker {peer.Name} announced {peer.Slots} slots; a worker needs at least one.";
                await connection.TrySendAsync(new ErrorMessage(MessageCodec.BadMessage, text, Fatal: true)).ConfigureAwait(false);
                throw new ProtocolException(MessageCodec.BadMessage, text);
            }

            var session = new WorkerSession(connection, client, peer, _time.GetTimestamp(), new HeartbeatMonitor(_time, _options.HeartbeatInterval, _options.HeartbeatTimeout), _options.PrefetchFor(peer.Slots));
            lock (_gate)
            {
                _session = session;
                Peer = peer;
                LastError = null;
                Interlocked.Exchange(ref _lastHeardTicks, _time.GetUtcNow().UtcTicks);
                _state = (int)RemoteWorkerState.Online;
            }

            int connects = Interlocked.Increment(ref _connects);
            _logger.LogInformation("Worker {Name} ({Address}) online with {Slots} slots{Again}", peer.Name, Address, peer.Slots, connects > 1 ? " again" : string.Empty);
            _placement.Signal();
            return session;
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The protocol's hello. Over TLS 1.3 a worker checks the pool's certificate after the pool's side of the TLS
    /// handshake is done, so a refusal shows only here, as the connection closing: said as what it most likely is.
    /// </summary>
    private async Task<Hello> HandshakeAsync(Connection connection, CancellationToken cancellationToken)
    {
        try
        {
            return await connection.HandshakeAsync(_myHello, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (_options.Tls is not null && (e is IOException || e is ProtocolException { Code: MessageCodec.BadMessage } && e.Message.Contains("closed", StringComparison.Ordinal)))
        {
            throw new System.Security.Authentication.AuthenticationException($"The worker closed the connection after the TLS handshake: it refused this pool's certificate (it must chain to the worker's CA), or it is not a Repartir worker. ({e.Message})", e);
        }
        catch (ProtocolException e) when (_options.Tls is null && e.Message.Contains("closed", StringComparison.Ordinal))
        {
            throw new ProtocolException(e.Code, e.Message + " If the worker requires TLS, give the pool a certificate, key and CA.");
        }
    }

    /// <summary>Reads the worker's messages until the connection ends; returns why it ended.</summary>
    private async Task<string> ServeAsync(WorkerSession session)
    {
        Task heartbeats = SendHeartbeatsAsync(session);
        try
        {
            while (await session.Connection.ReceiveAsync(session.Ending.Token).ConfigureAwait(false) is { } message)
            {
                OnHeard(session);
                if (Handle(session, message) is { } end)
                {
                    return end;
                }

                if (message is Result)
                {
                    // The freed slot is this worker's, and while work was queued every other worker was full:
                    // handing it the next task here is least-loaded placement without a trip through the placement
                    // loop. Not awaited: the next result is read while the task is sent (sends are serialised anyway).
                    _ = TryPlaceNextAsync();
                }
            }

            return "The worker closed the connection.";
        }
        catch (Exception e) when (e is IOException or SocketException or ProtocolException or OperationCanceledException or ObjectDisposedException)
        {
            if (e is ProtocolException protocol)
            {
                await session.Connection.TrySendAsync(new ErrorMessage(protocol.Code, protocol.Message, Fatal: true)).ConfigureAwait(false);
            }

            return session.EndReason ?? e.Message;
        }
        finally
        {
            await session.Ending.CancelAsync().ConfigureAwait(false);
            await heartbeats.ConfigureAwait(false);
        }
    }

    /// <summary>Acts on one message; returns why the connection ends when it does, otherwise null.</summary>
    private string? Handle(WorkerSession session, Message message)
    {
        switch (message)
        {
            case Result result:
                OnResult(session, result);
                return null;
            case Heartbeat heartbeat:
                if (heartbeat.Echo >= 0 && heartbeat.Echo == Interlocked.Read(ref session.PendingEcho))
                {
                    Interlocked.Exchange(ref _latencyTicks, _time.GetElapsedTime(Interlocked.Read(ref session.PendingEchoSentAt)).Ticks);
                    Interlocked.Exchange(ref session.PendingEcho, -1);
                }

                session.LastWorkerSequence = heartbeat.Sequence;
                session.LastHeartbeat = heartbeat;
                return null;
            case WorkerStatus status:
                session.LastStatus = status;
                if (status.State == "Draining" && !session.Draining)
                {
                    session.Draining = true;
                    _logger.LogInformation("Worker {Name} is draining: no new tasks go to it", session.Peer.Name);
                }

                return null;
            case Goodbye goodbye:
                return "The worker said goodbye: " + goodbye.Reason;
            case ErrorMessage error:
                _logger.LogWarning("Worker {Name} reported {Code}: {Text}", session.Peer.Name, error.Code, error.Text);
                return error.Fatal ? $"{error.Code}: {error.Text}" : null;
            default:
                throw new ProtocolException(MessageCodec.BadMessage, $"A pool does not accept {message.GetType().Name} messages.");
        }
    }

    private void OnResult(WorkerSession session, Result result)
    {
        if (!session.InFlight.TryGet(result.TaskId, out InFlightAttempt? attempt) || attempt!.Number != result.Attempt || !End(session, attempt))
        {
            // Not in flight (any more: given up past its deadline), or for another attempt: refused, the task stays where it is.
            _logger.LogDebug("Worker {Name} sent a result for task {TaskId} attempt {Attempt}, which is not in flight there; ignored", session.Peer.Name, result.TaskId, result.Attempt);
            return;
        }

        TaskAttempt work = attempt.Attempt;
        TaskResult outcome = result.Outcome with
        {
            Id = work.Id,
            Spec = work.Spec,
            Name = work.Spec.DisplayName,
            Backend = work.Spec.Backend == Backend.Gpu ? Backend.Gpu : Backend.Remote,
            Worker = $"{session.Peer.Name}/{result.Outcome.Worker}",
        };
        if (outcome.Failure is FailureKind.Rejected or FailureKind.WorkerLost)
        {
            if (outcome.Failure == FailureKind.WorkerLost)
            {
                // The worker was stopped and gave the task up: it is going away, so the task (and any other) must not
                // be placed on it again before its connection ends (that ran such a task a second time, Losses 2).
                session.Draining = true;
            }

            // The worker is draining or cannot take it, or was stopped before the task finished: another worker can.
            Interlocked.Increment(ref _lost);
            work.Lose(outcome);
            return;
        }

        Interlocked.Increment(ref _completed);
        if (!outcome.Success)
        {
            Interlocked.Increment(ref _failed);
        }

        work.Complete(outcome);
    }

    private void OnHeard(WorkerSession session)
    {
        session.Monitor.Heard();
        Interlocked.Exchange(ref _lastHeardTicks, _time.GetUtcNow().UtcTicks);
        if (Interlocked.CompareExchange(ref _state, (int)RemoteWorkerState.Online, (int)RemoteWorkerState.Suspected) == (int)RemoteWorkerState.Suspected)
        {
            _logger.LogInformation("Worker {Name} answers again", session.Peer.Name);
            _placement.Signal();
        }
    }

    private async Task SendHeartbeatsAsync(WorkerSession session)
    {
        Exception? failure = await HeartbeatLoop.RunAsync(_time, _options.HeartbeatInterval, () => BeatAsync(session), session.Ending.Token).ConfigureAwait(false);
        if (failure is not null && !session.Ending.IsCancellationRequested)
        {
            EndSession(session, "Sending a heartbeat failed: " + failure.Message);
        }
    }

    /// <summary>One heartbeat: judge the worker's silence first (ending the connection when it is lost), then send.</summary>
    private async ValueTask<bool> BeatAsync(WorkerSession session)
    {
        (Liveness verdict, TimeSpan silence) = session.Monitor.Check();
        if (verdict == Liveness.Lost)
        {
            EndSession(session, $"No heartbeat for {silence.TotalSeconds:0.0} s (timeout {_options.HeartbeatTimeout.TotalSeconds:0.#} s).");
            return false;
        }

        if (verdict == Liveness.Suspected
            && Interlocked.CompareExchange(ref _state, (int)RemoteWorkerState.Suspected, (int)RemoteWorkerState.Online) == (int)RemoteWorkerState.Online)
        {
            _logger.LogWarning("Worker {Name} suspected: silent for {Silence:0.0} s", session.Peer.Name, silence.TotalSeconds);
        }

        long sequence = Interlocked.Increment(ref session.HeartbeatSequence);
        if (Interlocked.Read(ref session.PendingEcho) < 0)
        {
            Interlocked.Exchange(ref session.PendingEchoSentAt, _time.GetTimestamp());
            Interlocked.Exchange(ref session.PendingEcho, sequence);
        }

        // A send that does not finish within the timeout is a lost worker too (its socket buffers are full).
        using var sendLimit = new CancellationTokenSource(_options.HeartbeatTimeout, _time);
        using var sending = CancellationTokenSource.CreateLinkedTokenSource(session.Ending.Token, sendLimit.Token);
        await session.Connection.SendAsync(new Heartbeat(sequence, session.InFlight.Count, 0, -1, session.LastWorkerSequence), sending.Token).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Ends a connection once: the worker goes Offline, the socket is closed (which ends the receive loop)
    /// and every task in flight on it goes back to the queue as a lost attempt.
    /// </summary>
    private void EndSession(WorkerSession session, string reason)
    {
        lock (_gate)
        {
            if (!session.Open)
            {
                return;
            }

            session.Open = false;
            session.EndReason = reason;
            if (ReferenceEquals(_session, session))
            {
                _session = null;
                _state = (int)RemoteWorkerState.Offline;
                LastError = reason;
            }
        }

        session.Ending.Cancel();
        session.Close();
        int lost = 0;
        string message = $"Worker {session.Peer.Name} ({Address}) was lost: {reason}";
        foreach (InFlightAttempt attempt in session.InFlight.Attempts)
        {
            if (End(session, attempt))
            {
                lost++;
                Interlocked.Increment(ref _lost);
                attempt.Attempt.Lose(NotRunHere(session, attempt.Attempt, FailureKind.WorkerLost, message));
            }
        }

        if (_stop.IsCancellationRequested && lost == 0)
        {
            _logger.LogDebug("Worker {Name} ({Address}) disconnected: {Reason}", session.Peer.Name, Address, reason);
        }
        else
        {
            _logger.LogWarning("Worker {Name} ({Address}) offline: {Reason}; {Lost} running tasks requeued", session.Peer.Name, Address, reason, lost);
        }
    }
}
