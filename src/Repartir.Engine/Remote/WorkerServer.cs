using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Repartir.Execution;
using Repartir.Remote.Wire;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Remote;

/// <summary>The settings of a worker daemon.</summary>
public sealed record WorkerOptions
{
    /// <summary>The default port of <c>repartir worker</c>.</summary>
    public const int DefaultPort = 9000;

    /// <summary>Where to listen. Loopback by default: exposing a worker is a decision, not a default.</summary>
    public IPEndPoint Bind { get; init; } = new(IPAddress.Loopback, DefaultPort);

    /// <summary>The worker's name, for people and logs.</summary>
    public string Name { get; init; } = Environment.MachineName;

    /// <summary>How many tasks it runs at once.</summary>
    public int Slots { get; init; } = Environment.ProcessorCount;

    /// <summary>The largest frame it accepts. Results carry output, so the default leaves room for two full 16 MiB streams.</summary>
    public int MaxFrameLength { get; init; } = 40 << 20;

    /// <summary>How often it sends a heartbeat to each coordinator.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Limits for the processes it starts.</summary>
    public ProcessExecutorOptions Process { get; init; } = new();

    /// <summary>
    /// The GPUs it offers Gpu tasks (announced in its hello), one task a device while devices are free; <c>null</c> to
    /// detect them (<see cref="Gpu.GpuDeviceSlots.Detect"/>), empty for none: it then refuses Gpu tasks.
    /// </summary>
    public IReadOnlyList<string>? Gpus { get; init; }

    /// <summary>
    /// Mutual TLS: the worker's certificate and the authorities a coordinator's certificate must chain to. Null
    /// serves plain TCP, which only a loopback address may do unless <see cref="AllowInsecure"/> says otherwise.
    /// </summary>
    public Security.TlsCredentials? Tls { get; init; }

    /// <summary>Serve plain TCP on an address other hosts can reach: anyone who reaches it can run programs as this worker's user.</summary>
    public bool AllowInsecure { get; init; }

    /// <summary>
    /// Tasks this worker runs inside its own process instead of starting their program: for a task it recognises, the
    /// work that stands for it, answering on standard output as the program would (the PowerShell module's workers run
    /// pwsh script-block tasks in their own runspaces); null, or a null answer, starts the program as usual.
    /// </summary>
    public Func<TaskSpec, IInProcessWork?>? InProcess { get; init; }

    /// <summary>Which programs and environment variables tasks may use here.</summary>
    public TaskPolicy Policy { get; init; } = new();

    /// <summary>What each client is granted: connections, time, tasks in flight, output waiting to be read.</summary>
    public WorkerLimits Limits { get; init; } = new();

    /// <summary>How long a new connection has for its TLS handshake and hello; one that takes longer is closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether it serves plain TCP where other hosts can reach it (allowed, and logged at every start).</summary>
    public bool IsInsecure => Tls is null && !IPAddress.IsLoopback(Bind.Address);

    /// <summary>Checks the options, naming the one that is wrong.</summary>
    /// <exception cref="ArgumentException">A value is empty or out of range.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Bind, nameof(Bind));
        Gpu.GpuDeviceSlots.Validate(Gpus, nameof(Gpus));
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new InvalidSettingException(nameof(Name), "The worker name must not be empty.");
        }

        if (Slots is < 1 or > 4096)
        {
            throw new InvalidSettingException(nameof(Slots), $"Slots must be between 1 and 4096, not {Slots}.");
        }

        if (MaxFrameLength < 4096)
        {
            throw new InvalidSettingException(nameof(MaxFrameLength), "MaxFrameLength must be at least 4096 bytes.");
        }

        if (HeartbeatInterval <= TimeSpan.Zero)
        {
            throw new InvalidSettingException(nameof(HeartbeatInterval), "HeartbeatInterval must be positive.");
        }

        ArgumentNullException.ThrowIfNull(Policy, nameof(Policy));
        Policy.Validate();
        ArgumentNullException.ThrowIfNull(Limits, nameof(Limits));
        Limits.Validate();
        if (HandshakeTimeout <= TimeSpan.Zero)
        {
            throw new InvalidSettingException(nameof(HandshakeTimeout), "HandshakeTimeout must be positive.");
        }

        if (IsInsecure && !AllowInsecure)
        {
            throw new InvalidSettingException(
                nameof(Tls),
                $"Refusing to serve plain TCP on {Bind}, which other hosts can reach: anyone who connects could run programs as this user. Give the worker a certificate, key and CA (--cert, --key, --ca; -CertificatePath, -KeyPath, -CaPath), bind a loopback address, or accept the risk with --insecure (-AllowInsecure).");
        }

        ArgumentNullException.ThrowIfNull(Process, nameof(Process));
        Process.Validate();
    }
}

/// <summary>
/// The worker daemon: accepts coordinator connections, runs their tasks through a local <see cref="Pool"/>,
/// and streams results back in completion order. A protocol violation is answered with an error frame and
/// closes that connection only; when a coordinator's connection is lost, its running tasks are killed
/// (the coordinator requeues them elsewhere).
/// </summary>
public sealed class WorkerServer : IAsyncDisposable
{
    private readonly WorkerOptions _options;
    private readonly ILogger _logger;
    private readonly Pool _pool;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<WorkerConnection, byte> _sessions = new();
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _started;
    private long _loadReadAt;
    private double _load;
    private Task _acceptLoop = Task.CompletedTask;
    private IPEndPoint? _boundEndPoint;
    private volatile bool _draining;
    private Security.TlsCredentials? _tls;
    private readonly RefusalLog _refusals;
    private readonly FairShare _slots;
    private readonly Gpu.GpuDeviceSlots _gpus;
    private int _open; // connections accepted and not yet closed, handshakes included

    /// <summary>Creates a worker; <see cref="Start"/> begins listening.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public WorkerServer(WorkerOptions options, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _options.Validate();
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _started = _time.GetUtcNow();
        // The worker's own pool places nothing on GPUs: the worker gives each Gpu task its device (OnGpuAsync).
        _pool = new Pool(new PoolOptions { Name = "worker", CpuWorkers = options.Slots, Process = options.Process, Gpus = [] }, _logger, timeProvider: _time);
        _gpus = new Gpu.GpuDeviceSlots(options.Gpus ?? Gpu.GpuDeviceSlots.Detect());
        _listener = new TcpListener(options.Bind);
        _tls = options.Tls;
        _refusals = new RefusalLog(_time);
        // A connection that has left more output unread than its limit starts no more tasks until it reads: what its
        // running tasks produce is all the worker holds for it.
        _slots = new FairShare(options.Slots, connection => ((WorkerConnection)connection).HeldBytes < options.Limits.MaxPendingResultBytes);
    }

    /// <summary>
    /// Serves new connections with <paramref name="credentials"/> from now on (a certificate rotated without a
    /// restart); connections already established go on as they are. A worker started without TLS cannot take it up.
    /// </summary>
    /// <exception cref="InvalidOperationException">The worker serves plain TCP.</exception>
    public void UseCredentials(Security.TlsCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        if (Volatile.Read(ref _tls) is null)
        {
            throw new InvalidOperationException("This worker serves plain TCP; start it with a certificate to use TLS.");
        }

        Volatile.Write(ref _tls, credentials);
        _logger.LogInformation("Worker {Name} now presents {Subject} (valid until {NotAfter:u}) to new connections", _options.Name, credentials.Certificate.Subject, credentials.Certificate.NotAfter.ToUniversalTime());
    }

    /// <summary>Whether connections are mutual TLS.</summary>
    public bool UsesTls => Volatile.Read(ref _tls) is not null;

    /// <summary>The settings the worker runs with.</summary>
    public WorkerOptions Options => _options;

    /// <summary>When the worker was created.</summary>
    public DateTimeOffset StartedAt => _started;

    /// <summary>A stable id for this worker process, sent in its hello.</summary>
    public string Id { get; } = Guid.NewGuid().ToString("N");

    /// <summary>
    /// Where the worker listens (with the real port when it was bound to port 0). Kept from the moment it
    /// started: a stopped listener reports the configured address again, port 0 included.
    /// </summary>
    public IPEndPoint LocalEndPoint => _boundEndPoint ?? (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Serving, Draining or Stopped.</summary>
    public string State => _stopping.IsCancellationRequested ? "Stopped" : _draining ? "Draining" : "Serving";

    /// <summary>Connected coordinators.</summary>
    public int Connections => _sessions.Count;

    /// <summary>Connections whose messages are left unread for now: too many tasks here, or too much output waiting for them to read.</summary>
    public int ThrottledConnections => _sessions.Keys.Count(c => c.IsThrottled);

    /// <summary>Tasks running here now, for all coordinators.</summary>
    public int Running => (int)Math.Min(int.MaxValue, _pool.Statistics.Running);

    /// <summary>Tasks run here that have their result, since the worker started.</summary>
    public long Completed => _pool.Statistics.Completed;

    /// <summary>Of <see cref="Completed"/>, those that did not succeed.</summary>
    public long Failed => _pool.Statistics.Failed;

    /// <summary>The GPUs it offers Gpu tasks (announced in its hello).</summary>
    public IReadOnlyList<string> Gpus => _gpus.Devices;

    /// <summary>Tasks received and waiting for a slot (connections take turns).</summary>
    public int WaitingTasks => _slots.Waiting;

    /// <summary>Starts listening and accepting connections.</summary>
    /// <exception cref="SocketException">The address cannot be bound (in use, or not local).</exception>
    public void Start()
    {
        _listener.Start();
        _boundEndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _logger.LogInformation("Worker {Name} listening on {Endpoint} with {Slots} slots and {Gpus} ({Transport})", _options.Name, LocalEndPoint, _options.Slots, _gpus.Count == 0 ? "no GPU" : $"GPUs {string.Join(',', _gpus.Devices)}", UsesTls ? "mutual TLS" : "plain TCP");
        if (_options.IsInsecure)
        {
            _logger.LogWarning("Worker {Name} serves plain TCP on {Endpoint}, which other hosts can reach: anyone who connects can run programs as this user", _options.Name, LocalEndPoint);
        }
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>
    /// Stops the worker. Draining stops accepting connections and tasks, lets running tasks finish and
    /// send their results, then says goodbye; otherwise running tasks are killed at once.
    /// </summary>
    /// <param name="drain">Let running tasks finish and report first.</param>
    /// <param name="cancellationToken">Ends a drain early (it throws <see cref="OperationCanceledException"/>); stop again without draining.</param>
    public async Task StopAsync(bool drain, CancellationToken cancellationToken = default)
    {
        _draining = true;
        _listener.Stop();
        foreach (WorkerConnection session in _sessions.Keys)
        {
            // Coordinators stop sending tasks now rather than learning it from rejections; and since sends are in
            // order, they know before the results of the tasks a forced stop kills, which they then run elsewhere.
            await session.Connection.TrySendAsync(Status()).ConfigureAwait(false);
        }

        if (drain)
        {
            _logger.LogInformation("Worker {Name} draining: {Running} tasks running", _options.Name, _pool.Statistics.Outstanding);
            foreach (WorkerConnection session in _sessions.Keys)
            {
                // Every task a coordinator has here runs and reports, those waiting for a slot too; new ones are refused.
                // A coordinator that stops reading would hold the drain for ever: the caller's token ends the wait.
                await session.WhenResultsSentAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                await session.Connection.TrySendAsync(new Goodbye("The worker is shutting down.")).ConfigureAwait(false);
            }

            await _pool.ShutdownAsync(ShutdownMode.Graceful, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _pool.ShutdownAsync(ShutdownMode.Forced, cancellationToken).ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (WorkerConnection session in _sessions.Keys)
        {
            await session.Connection.DisposeAsync().ConfigureAwait(false);
        }

        await _acceptLoop.ConfigureAwait(false);
        _logger.LogInformation("Worker {Name} stopped", _options.Name);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await StopAsync(drain: false).ConfigureAwait(false);
        }

        await _pool.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private Hello MyHello() => new(
        MessageCodec.ProtocolVersion,
        typeof(WorkerServer).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
        _options.Name,
        Id,
        _options.Slots,
        _gpus.Count > 0 ? [nameof(Backend.Cpu), nameof(Backend.Gpu)] : [nameof(Backend.Cpu)],
        _options.MaxFrameLength,
        new Dictionary<string, string>
        {
            ["gpus"] = string.Join(',', _gpus.Devices),
            ["os"] = RuntimeInformation.OSDescription,
            ["architecture"] = RuntimeInformation.OSArchitecture.ToString(),
            ["cores"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            ["memoryBytes"] = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes.ToString(CultureInfo.InvariantCulture),
            ["uptimeMs"] = ((long)(_time.GetUtcNow() - _started).TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
        },
        Hello.WorkerRole);

    /// <summary>The worker's figures; a monitor's also name the longest-running tasks.</summary>
    private WorkerStatus Status(bool forMonitor = false) => new(
        State,
        _options.Slots,
        Running,
        Completed,
        Failed,
        _time.GetUtcNow() - _started,
        WaitingTasks,
        LoadAverage(),
        Coordinators,
        Throughput,
        forMonitor ? LongestRunning() : null);

    /// <summary>Tasks it completed per second over the last ten seconds.</summary>
    public double Throughput => _pool.Throughput;

    /// <summary>Coordinators connected (monitors only observe, and are not counted).</summary>
    public int Coordinators => _sessions.Keys.Count(c => !c.IsMonitor);

    /// <summary>The tasks that have run longest here, longest first, for every coordinator.</summary>
    private List<RunningTaskStatus> LongestRunning()
    {
        long now = _time.GetTimestamp();
        return _sessions.Keys
            .SelectMany(session => session.Started.Select(task => new RunningTaskStatus(task.TaskId, task.Attempt, task.Name, session.Peer?.Name ?? string.Empty, _time.GetElapsedTime(task.StartedAt ?? now, now))))
            .OrderByDescending(task => task.Elapsed)
            .Take(WorkerStatus.MaxLongestRunning)
            .ToList();
    }

    private async Task AcceptLoopAsync()
    {
        var serving = new List<Task>();
        while (!_stopping.IsCancellationRequested && !_draining)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or InvalidOperationException && (_draining || _stopping.IsCancellationRequested))
            {
                break; // a listener stopped between the loop's check and the accept says "not listening" (InvalidOperationException)
            }

            serving.RemoveAll(t => t.IsCompleted);
            if (Interlocked.Increment(ref _open) > _options.Limits.MaxConnections)
            {
                // Closed at once, before any byte: the worker goes on serving the connections it has.
                Interlocked.Decrement(ref _open);
                _refusals.Log(_logger, "connection", $"from {client.Client.RemoteEndPoint}: {_options.Limits.MaxConnections} connections are open already (the limit)");
                client.Dispose();
                continue;
            }

            client.NoDelay = true;
            serving.Add(ServeAsync(client));
        }

        await Task.WhenAll(serving).ConfigureAwait(false);
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            await ServeConnectionAsync(client).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    private async Task ServeConnectionAsync(TcpClient client)
    {
        EndPoint? remote = client.Client.RemoteEndPoint;
        // The stream owns the socket: disposing the connection (a stop) closes it, which also ends a send blocked on a
        // coordinator that stopped reading. A stream from GetStream() would leave that send, and the stop, waiting.
        Stream stream = new NetworkStream(client.Client, ownsSocket: true);
        using var handshakeLimit = new CancellationTokenSource(_options.HandshakeTimeout, _time);
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, handshakeLimit.Token);
        if (Volatile.Read(ref _tls) is { } tls)
        {
            try
            {
                // Before any protocol byte: a peer without a good certificate never sees the hello and its host facts.
                stream = await Security.TlsHandshake.AcceptAsync(stream, tls, handshake.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or OperationCanceledException)
            {
                _refusals.Log(_logger, "connection", $"from {remote}: {(e is OperationCanceledException ? "no TLS handshake within " + _options.HandshakeTimeout : e.Message)}");
                await stream.DisposeAsync().ConfigureAwait(false);
                client.Dispose();
                return;
            }
        }

        var session = new WorkerConnection(new Connection(stream));
        _sessions[session] = 0;
        try
        {
            Hello peer = await session.Connection.HandshakeAsync(MyHello(), handshake.Token).ConfigureAwait(false);
            session.Peer = peer;
            session.Connection.MeteredPeer = peer.Name;
            _logger.LogInformation("{Role} {Peer} ({Remote}) connected", peer.IsMonitor ? "Monitor" : "Coordinator", peer.Name, remote);
            if (peer.IsMonitor)
            {
                await session.Connection.SendAsync(Status(forMonitor: true), _stopping.Token).ConfigureAwait(false); // a first view at once, not an interval later
            }

            using var heartbeats = new CancellationTokenSource();
            Task beating = SendHeartbeatsAsync(session, heartbeats.Token);
            try
            {
                await ReceiveLoopAsync(session).ConfigureAwait(false);
            }
            finally
            {
                await heartbeats.CancelAsync().ConfigureAwait(false);
                await beating.ConfigureAwait(false);
            }
        }
        catch (FrameException e)
        {
            _logger.LogWarning("Closing connection from {Remote}: {Problem}", remote, e.Message);
            await session.Connection.TrySendAsync(new ErrorMessage(e.DeclaredLength >= 0 ? MessageCodec.FrameTooLarge : MessageCodec.BadMessage, e.Message, Fatal: true)).ConfigureAwait(false);
        }
        catch (ProtocolException e)
        {
            _logger.LogWarning("Closing connection from {Remote}: {Code}: {Problem}", remote, e.Code, e.Message);
            if (e.Code != MessageCodec.VersionMismatch)
            {
                // The handshake already told the peer about a version mismatch.
                await session.Connection.TrySendAsync(new ErrorMessage(e.Code, e.Message, Fatal: true)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            _logger.LogInformation("Connection from {Remote} ended: {Reason}", remote, e.Message);
        }
        catch (Exception e)
        {
            // A defect, not the peer's fault: this connection ends, the worker keeps serving the others, and it is said loudly.
            _logger.LogError(e, "Unexpected failure serving {Remote}; closing that connection", remote);
        }
        finally
        {
            session.CancelAll(); // the coordinator is gone: its tasks are killed, it will requeue them
            await session.WhenResultsSentAsync().ConfigureAwait(false);
            await session.Connection.DisposeAsync().ConfigureAwait(false);
            client.Dispose();

            // Registered until closed: a stop racing this end disposes every registered connection, which is what ends
            // a result send blocked on a coordinator that stopped reading. Removed first, this one was missed, and the
            // stop waited for it for ever.
            _sessions.TryRemove(session, out _);
        }
    }

    private async Task ReceiveLoopAsync(WorkerConnection session)
    {
        int maxTasks = _options.Limits.TasksPerConnection(_options.Slots);
        // One deadline for the connection, re-armed per message (a timer change, not two allocations on every submit).
        using var idle = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var receive = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, idle.Token);
        while (true)
        {
            // Back-pressure: with too many tasks here, or too much output waiting for it to read, the coordinator's
            // next messages stay unread (its sends block) until some of that ends. It is not idle meanwhile: we are,
            // so the deadline runs only while we read.
            await session.WaitForRoomAsync(maxTasks, _options.Limits.MaxPendingResultBytes, _stopping.Token).ConfigureAwait(false);
            Message? message;
            idle.CancelAfter(_options.Limits.IdleTimeout);
            try
            {
                message = await session.Connection.ReceiveAsync(receive.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (idle.IsCancellationRequested && !_stopping.IsCancellationRequested)
            {
                throw new ProtocolException(MessageCodec.BadMessage, $"No whole message within {_options.Limits.IdleTimeout.TotalSeconds:0.#} s (the idle timeout): the connection is closed.");
            }

            idle.CancelAfter(Timeout.InfiniteTimeSpan);

            if (message is null)
            {
                return;
            }

            switch (message)
            {
                case Submit submit:
                    session.Admit();
                    session.Track(RunAsync(session, submit));
                    break;
                case Cancel cancel:
                    session.Cancel(cancel.TaskId);
                    break;
                case Heartbeat heartbeat:
                    session.LastEcho = heartbeat.Sequence;
                    await session.Connection.SendAsync(NextHeartbeat(session), _stopping.Token).ConfigureAwait(false);
                    break;
                case Goodbye:
                    return;
                case ErrorMessage error when error.Fatal:
                    _logger.LogWarning("Coordinator reported {Code}: {Text}", error.Code, error.Text);
                    return;
                case ErrorMessage error:
                    _logger.LogWarning("Coordinator reported {Code}: {Text}", error.Code, error.Text);
                    break;
                default:
                    throw new ProtocolException(MessageCodec.BadMessage, $"A worker does not accept {message.GetType().Name} messages.");
            }
        }
    }

    private async Task RunAsync(WorkerConnection session, Submit submit)
    {
        try
        {
            TaskResult outcome = await OutcomeAsync(session, submit).ConfigureAwait(false);
            _logger.LogDebug("Task {TaskId} attempt {Attempt} finished: {Failure} exit {Exit}", submit.TaskId, submit.Attempt, outcome.Failure, outcome.ExitCode);
            long output = OutputOf(outcome); // counted as held since before its slot was given back (OutcomeAsync)
            try
            {
                await session.Connection.SendAsync(new Result(submit.TaskId, submit.Attempt, outcome)).ConfigureAwait(false);
            }
            catch (FrameException e)
            {
                // Output too large for the coordinator's frame limit: send the outcome without it rather than nothing.
                await session.Connection.TrySendAsync(new Result(submit.TaskId, submit.Attempt, outcome.WithoutOutput(e.Message))).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
            {
                _logger.LogDebug("Result of task {TaskId} not delivered: the connection is gone", submit.TaskId);
            }
            finally
            {
                session.Holding(-output);
                _slots.Poke();
            }
        }
        finally
        {
            session.Ended();
        }
    }

    /// <summary>Runs the task when policy, drain and its connection's turn allow; its result, never an exception.</summary>
    private async Task<TaskResult> OutcomeAsync(WorkerConnection session, Submit submit)
    {
        if (_draining)
        {
            // Said before the refusal: a submit can arrive after the stop began and before StopAsync's own status
            // reached this connection, and a coordinator that learned of the drain from the refusal alone placed the
            // task here again (seen: two losses for one stop).
            await session.Connection.TrySendAsync(Status()).ConfigureAwait(false);
            return Refused(submit, "The worker is draining and accepts no new tasks.");
        }

        if (_options.Policy.Refusal(submit.Spec, _options.Name) is { } refusal)
        {
            _refusals.Log(_logger, "task", refusal);
            return Refused(submit, refusal);
        }

        if (submit.Spec.Backend == Backend.Gpu && _gpus.Count == 0)
        {
            return Refused(submit, $"Worker {_options.Name} has no GPU for a Gpu task.");
        }

        if (session.IsMonitor)
        {
            return Refused(submit, $"Worker {_options.Name} runs no tasks for a monitor: a monitor connection only observes.");
        }

        if (session.Start(submit) is not { } running)
        {
            return Refused(submit, $"Task {submit.TaskId} is already running on this worker.");
        }

        try
        {
            // A slot when it is this connection's turn (connections take turns; its own tasks go in the order sent,
            // which a coordinator counts on to know which task it sent ahead starts when a slot frees), then the pool.
            // The coordinator's attempt span continues here: the worker's own task spans become its children.
            using System.Diagnostics.Activity? span = submit.TraceParent is { } parent && System.Diagnostics.ActivityContext.TryParse(parent, null, out System.Diagnostics.ActivityContext context)
                ? Telemetry.RepartirTelemetry.Source.StartActivity("repartir.worker.run", System.Diagnostics.ActivityKind.Server, context)?.SetTag("repartir.worker", _options.Name)
                : null;
            using IDisposable slot = await _slots.AcquireAsync(session, running.Cancellation.Token).ConfigureAwait(false);
            running.Started(_time.GetTimestamp());
            TaskResult outcome = submit.Spec.Backend == Backend.Gpu
                ? await OnGpuAsync(submit.Spec, running.Cancellation.Token).ConfigureAwait(false)
                : await _pool.SubmitAsync(InProcessOrAsSent(submit.Spec), running.Cancellation.Token).ConfigureAwait(false);

            // Held for the connection from now, before the slot goes back: a connection over its limit gets no next slot.
            session.Holding(OutputOf(outcome));
            if (outcome.Failure == FailureKind.Cancelled && !running.CancelledByCoordinator)
            {
                // Killed by this worker's own forced stop (or its session's end), not by a Cancel from the
                // coordinator: the task was lost with the worker, so the coordinator runs it again elsewhere.
                // What the token says cannot tell the two apart: a stop cancels it too, as the session ends.
                outcome = outcome with { Failure = FailureKind.WorkerLost, FailureMessage = $"Worker {_options.Name} was stopped before the task finished." };
            }

            return outcome;
        }
        catch (OperationCanceledException) when (running.Cancellation.IsCancellationRequested)
        {
            // Cancelled while it waited for a slot: it never started.
            return running.CancelledByCoordinator
                ? TaskResult.NotRun(new TaskId(submit.TaskId), submit.Spec, FailureKind.Cancelled, "Cancelled before it started.", submit.Attempt, _options.Name)
                : TaskResult.NotRun(new TaskId(submit.TaskId), submit.Spec, FailureKind.WorkerLost, $"Worker {_options.Name} was stopped before the task started.", submit.Attempt, _options.Name);
        }
        catch (ArgumentException e)
        {
            return Refused(submit, "Invalid task: " + e.Message);
        }
        finally
        {
            session.Finish(submit.TaskId);
        }
    }

    /// <summary>
    /// Runs a Gpu task as a process told its device: a free one while there is one, else the least busy (a coordinator
    /// sends no more Gpu tasks than the worker has GPUs, but several coordinators may share it).
    /// </summary>
    private async Task<TaskResult> OnGpuAsync(TaskSpec spec, CancellationToken cancellationToken)
    {
        string device = _gpus.TryAcquire(out string free) ? free : _gpus.AcquireLeastLoaded();
        try
        {
            TaskSpec placed = spec with { Backend = Backend.Cpu, Environment = Gpu.GpuDeviceSlots.EnvironmentFor(spec.Environment, device) };
            TaskResult outcome = await _pool.SubmitAsync(placed, cancellationToken).ConfigureAwait(false);
            return outcome with { Worker = $"{outcome.Worker}/gpu{device}", Backend = Backend.Gpu };
        }
        finally
        {
            _gpus.Release(device);
        }
    }

    /// <summary>The task as this worker runs it: in its own process when <see cref="WorkerOptions.InProcess"/> takes it, else as sent.</summary>
    private TaskSpec InProcessOrAsSent(TaskSpec spec) => _options.InProcess?.Invoke(spec) is { } work
        ? TaskSpec.ForWork(work, spec.DisplayName) with { Timeout = spec.Timeout, Priority = spec.Priority }
        : spec;

    private static long OutputOf(TaskResult outcome) => outcome.StdoutBytes.LongLength + outcome.StderrBytes.LongLength;

    private TaskResult Refused(Submit submit, string message) =>
        TaskResult.NotRun(new TaskId(submit.TaskId), submit.Spec, FailureKind.Rejected, message, submit.Attempt, _options.Name);

    // A failed send means the connection ended; the receive loop reports why.
    private Task SendHeartbeatsAsync(WorkerConnection session, CancellationToken cancellationToken) => HeartbeatLoop.RunAsync(
        _time,
        _options.HeartbeatInterval,
        async () =>
        {
            await session.Connection.SendAsync(NextHeartbeat(session), cancellationToken).ConfigureAwait(false);
            if (session.IsMonitor)
            {
                // What a monitor is for: the worker's own figures, every interval.
                await session.Connection.SendAsync(Status(forMonitor: true), cancellationToken).ConfigureAwait(false);
            }

            return true;
        },
        cancellationToken);

    private Heartbeat NextHeartbeat(WorkerConnection session)
    {
        PoolStatistics statistics = _pool.Statistics;
        return new Heartbeat(
            Interlocked.Increment(ref session.HeartbeatSequence),
            (int)Math.Min(int.MaxValue, statistics.Running),
            (int)Math.Min(int.MaxValue, statistics.Queued),
            LoadAverage(),
            session.LastEcho);
    }

    /// <summary>The one-minute load average, read at most once a second: every heartbeat carries it, and the kernel updates it every five.</summary>
    private double LoadAverage()
    {
        long now = _time.GetTimestamp();
        if (Interlocked.Read(ref _loadReadAt) is var readAt and not 0 && _time.GetElapsedTime(readAt, now) < TimeSpan.FromSeconds(1))
        {
            return Volatile.Read(ref _load);
        }

        double load = SystemLoad.OneMinute();
        Volatile.Write(ref _load, load);
        Interlocked.Exchange(ref _loadReadAt, now);
        return load;
    }
}
