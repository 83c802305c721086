using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Repartir.Execution;
using Repartir.Remote;
using Repartir.Checkpoints;
using Repartir.Tasks;

namespace Repartir.Scheduling;

/// <summary>
/// A work-stealing pool (Blumofe &amp; Leiserson): <see cref="PoolOptions.CpuWorkers"/> worker threads,
/// each one slot of concurrency with its own deque, injection queues per priority for work submitted
/// from outside, and random-victim stealing; and any number of remote worker daemons, which take tasks
/// from the same queues through <see cref="RemotePlacement"/>. Every submitted task ends in exactly one
/// <see cref="TaskResult"/>; errors are results, never exceptions or silence.
/// </summary>
/// <remarks>
/// Disposing the pool is a forced shutdown: queued tasks come back Cancelled and running process
/// trees are killed; it returns once every worker thread has ended.
/// </remarks>
public sealed class Pool : IAsyncDisposable, IDisposable
{
    private readonly WorkQueues _queues;
    private readonly Admission _admission;
    private readonly RemotePlacement _remote;
    private readonly CancellationTokenSource _forcedShutdown = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IExecutor _cpuExecutor;
    private readonly IExecutor? _kernelExecutor;
    private readonly bool _ownsCpuExecutor;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly object _shutdownGate = new();
    private Task? _shutdown;
    private long _nextId;
    private long _outstanding;
    private long _submitted;
    private long _completed;
    private readonly CompletionRate _completionRate;
    private long _failed;
    private long _rejected;
    private long _retries;
    private volatile int _state;

    /// <summary>Creates and starts a pool.</summary>
    /// <param name="options">Its settings; defaults when null.</param>
    /// <param name="logger">Where it logs; nowhere when null.</param>
    /// <param name="cpuExecutor">The executor for CPU tasks; the local process executor when null.</param>
    /// <param name="timeProvider">The clock for the placement timeout; the system clock when null.</param>
    /// <param name="kernelExecutor">The executor for GPU kernel tasks; this process's <see cref="Gpu.GpuExecutor.Shared"/> when null.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public Pool(PoolOptions? options = null, ILogger? logger = null, IExecutor? cpuExecutor = null, TimeProvider? timeProvider = null, IExecutor? kernelExecutor = null)
    {
        _kernelExecutor = kernelExecutor;
        Options = options ?? new PoolOptions();
        Options.Validate();
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _completionRate = new CompletionRate(_time);
        InProcessExecutor = new Execution.InProcessExecutor(_time);
        _ownsCpuExecutor = cpuExecutor is null;
        _cpuExecutor = cpuExecutor ?? new LocalProcessExecutor(Options.Process);
        foreach (string address in Options.Workers)
        {
            if (!EndPoints.TryParse(address ?? string.Empty, out _, out string? error))
            {
                throw new InvalidSettingException(nameof(PoolOptions.Workers), $"Worker address {error}");
            }
        }

        _admission = new Admission(Options.MaxQueue);
        _queues = new WorkQueues(_admission, _time, new Gpu.GpuDeviceSlots(Options.Gpus ?? Gpu.GpuDeviceSlots.Detect()));
        var workers = new PoolWorker[Options.CpuWorkers];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = new PoolWorker(this, i);
        }

        _remote = new RemotePlacement(_queues, Options, _logger, _time);
        _queues.Attach(workers, _remote.Signal);
        foreach (PoolWorker worker in workers)
        {
            worker.Start();
        }

        foreach (string address in Options.Workers)
        {
            _remote.Add(address);
        }

        CreatedAt = _time.GetUtcNow();
        Telemetry.RepartirTelemetry.Register(this);
        _logger.LogDebug("Pool {Pool} started with {Workers} CPU workers and {Remote} remote workers", Name, Workers.Length, Options.Workers.Count);
    }

    /// <summary>The settings the pool was created with.</summary>
    public PoolOptions Options { get; }

    /// <summary>The pool's name.</summary>
    public string Name => Options.Name;

    /// <summary>When the pool was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>Running, draining (refusing new work while it finishes what it has) or stopped.</summary>
    public PoolState State => (PoolState)_state;

    /// <summary>A snapshot of the pool's counters.</summary>
    public PoolStatistics Statistics
    {
        get
        {
            return new PoolStatistics(
                Submitted: Interlocked.Read(ref _submitted),
                Completed: Interlocked.Read(ref _completed),
                Failed: Interlocked.Read(ref _failed),
                Rejected: Interlocked.Read(ref _rejected),
                Retries: Interlocked.Read(ref _retries),
                Outstanding: Interlocked.Read(ref _outstanding),
                Queued: _queues.Count,
                Steals: Workers.Sum(w => w.Steals),
                Executed: Workers.Sum(w => w.Executed));
        }
    }

    /// <summary>Process tasks completed per second over the last ten seconds (fewer just after the pool was created).</summary>
    public double Throughput => _completionRate.PerSecond;

    /// <summary>
    /// When the tasks accepted and not yet finished should be done at the current <see cref="Throughput"/>; null while
    /// nothing completes (no pace to go by) or nothing is outstanding.
    /// </summary>
    public TimeSpan? EstimatedTimeLeft => CompletionRate.TimeLeft(Statistics.Outstanding, Throughput);

    /// <summary>How many submitted-but-unfinished tasks a streaming caller should allow: enough to keep every worker busy, few enough to bound memory.</summary>
    public int DefaultInFlightWindow => Math.Max(64, (Workers.Length + _remote.KnownSlots) * 64);

    /// <summary>
    /// How far a streaming caller should run ahead of its reader: <see cref="DefaultInFlightWindow"/> results not yet
    /// read; two tasks per place to run one unfinished whatever they write (one running, one ready), more (up to
    /// 16 per place) while the output they are likely to add fits in 64 MiB with what is held; so the tasks behind
    /// a slow one cannot all finish and pile up their output. Read it again as workers connect: their slots count.
    /// </summary>
    public StreamLimits DefaultStreamLimits
    {
        get
        {
            int places = Math.Max(1, Workers.Length + _remote.KnownSlots);
            return new StreamLimits(DefaultInFlightWindow, places * 2, places * 16, StreamLimits.DefaultMaxHeldBytes);
        }
    }

    /// <summary>The pool's remote workers, in the order they were added.</summary>
    public IReadOnlyList<WorkerClient> RemoteWorkers => _remote.Clients;

    internal PoolWorker[] Workers => _queues.Workers;

    /// <summary>The scheduler's queues and park–wake protocol, which this pool's worker threads take their work from.</summary>
    internal WorkQueues Queues => _queues;

    /// <summary>The bound on the queue, whose slots queued items give back when they are taken.</summary>
    internal Admission Admission => _admission;

    /// <summary>The pool's clock (queue waits, the placement timeout).</summary>
    internal TimeProvider Time => _time;

    internal bool AcceptsRetries => !_forcedShutdown.IsCancellationRequested;

    internal CancellationToken ForcedShutdownToken => _forcedShutdown.Token;

    /// <summary>
    /// Submits a process task and returns its result once it has one. Never throws for the task's
    /// own failure: a missing program, a timeout, a cancel, a full queue or a shut-down pool is a result.
    /// </summary>
    /// <param name="spec">What to run.</param>
    /// <param name="cancellationToken">Cancels the task: queued, it comes back Cancelled at once; running, its process tree is killed.</param>
    /// <exception cref="ArgumentException"><paramref name="spec"/> is invalid (the message names the field).</exception>
    public Task<TaskResult> SubmitAsync(TaskSpec spec, CancellationToken cancellationToken = default) =>
        Submit(spec, cancellationToken).Completion;

    /// <summary>Submits a process task and returns at once with its id and the task of its result (see <see cref="SubmitAsync(TaskSpec, CancellationToken)"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="spec"/> is invalid (the message names the field).</exception>
    public SubmittedTask Submit(TaskSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        return AddTask(spec, refusal: null, cancellationToken);
    }

    /// <summary>Gives <paramref name="spec"/> an id and queues it, or completes it at once as Rejected: for <paramref name="refusal"/> (an invalid spec), a pool shutting down, or a backend it lacks.</summary>
    private SubmittedTask AddTask(TaskSpec spec, string? refusal, CancellationToken cancellationToken)
    {
        var item = new ProcessWorkItem(this, new TaskId(Interlocked.Increment(ref _nextId)), spec, cancellationToken);
        Interlocked.Increment(ref _submitted);
        Telemetry.RepartirTelemetry.OnSubmitted(Name, spec.Backend);
        item.TaskActivity = Telemetry.RepartirTelemetry.StartTask(Name, item.Id, spec);
        Interlocked.Increment(ref _outstanding);
        refusal ??= State != PoolState.Running ? $"Pool '{Name}' is shutting down and accepts no new tasks." : null;
        if (refusal is not null)
        {
            item.Reject(refusal);
            return new SubmittedTask(item.Id, spec, item.Completion);
        }

        if (MissingBackend(spec) is { } missing)
        {
            item.Reject(missing);
            return new SubmittedTask(item.Id, spec, item.Completion);
        }

        PoolWorker? worker = PoolWorker.CurrentOf(this);
        if (worker is not null)
        {
            // Nested submissions bypass the bound: a task waiting on a full queue it feeds would deadlock.
            item.ArmCancellation();
            _queues.Enqueue(item, worker);
            return new SubmittedTask(item.Id, spec, item.Completion);
        }

        if (_admission.TryEnter(item))
        {
            item.ArmCancellation();
            _queues.Enqueue(item, null);
            return new SubmittedTask(item.Id, spec, item.Completion);
        }

        if (Options.QueueFullMode == QueueFullMode.Reject)
        {
            item.Reject($"QueueFull: pool '{Name}' already has {Options.MaxQueue} tasks queued (MaxQueue).");
            return new SubmittedTask(item.Id, spec, item.Completion);
        }

        _ = EnqueueWhenRoomAsync(item, cancellationToken); // never throws: its outcome is the item's result
        return new SubmittedTask(item.Id, spec, item.Completion);
    }

    /// <summary>Submits <paramref name="spec"/>, or — when it is invalid — gives it an id and its Rejected result naming the field.</summary>
    internal SubmittedTask SubmitOrReject(TaskSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string? refusal = null;
        try
        {
            spec.Validate();
        }
        catch (ArgumentException e)
        {
            refusal = "Invalid task: " + e.Message;
        }

        return AddTask(spec, refusal, cancellationToken);
    }

    /// <summary>Submits an in-process function (no process is started); for CPU-bound work and for measuring the scheduler.</summary>
    /// <exception cref="InvalidOperationException">The pool is shutting down.</exception>
    public Task<T> SubmitAsync<T>(Func<T> work, TaskPriority priority = TaskPriority.Normal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        PoolWorker? worker = PoolWorker.CurrentOf(this);
        var item = new DelegateWorkItem<T>(this, work, priority) { CountsTowardsDrain = Admit(worker) };
        item.CancelWhen(cancellationToken);
        _queues.Enqueue(item, worker);
        return item.Completion;
    }

    /// <summary>
    /// Forks <paramref name="work"/> onto the pool: from a pool worker it goes on that worker's own
    /// deque (where idle workers steal it), from outside onto the injection queue. Join it with
    /// <see cref="ForkedTask{T}.Join"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The pool is shutting down.</exception>
    public ForkedTask<T> Fork<T>(Func<T> work, TaskPriority priority = TaskPriority.Normal)
    {
        ArgumentNullException.ThrowIfNull(work);
        PoolWorker? worker = PoolWorker.CurrentOf(this);
        var item = new ForkWorkItem<T>(this, work, priority) { CountsTowardsDrain = Admit(worker) };
        _queues.Enqueue(item, worker);
        return new ForkedTask<T>(item);
    }

    /// <summary>
    /// Runs many specs and yields their results as they complete (or in input order when
    /// <paramref name="ordered"/>). At most <paramref name="maxInFlight"/> tasks are submitted and
    /// not yet yielded at once (results waiting to be read, or held back for ordering, count), and the other
    /// <see cref="DefaultStreamLimits"/> bound the unfinished tasks and the output held: memory stays bounded however
    /// long the input is and however slow the task the others wait behind. Ending the
    /// enumeration early cancels what is still queued or running. An invalid spec is one Rejected
    /// result naming the field, and the run goes on.
    /// </summary>
    /// <param name="specs">The tasks, read lazily.</param>
    /// <param name="ordered">Yield in input order instead of completion order.</param>
    /// <param name="maxInFlight">The window of submitted but unfinished tasks; 0 picks 64 per worker.</param>
    /// <param name="journal">
    /// A resumable run's journal: tasks it recorded as succeeded are not run again (their recorded results are
    /// yielded), and new successes are recorded. A task's input identity is its input item's text. The caller disposes it.
    /// </param>
    /// <param name="cancellationToken">Cancels the whole run.</param>
    public IAsyncEnumerable<TaskResult> RunAsync(IAsyncEnumerable<TaskSpec> specs, bool ordered = false, int maxInFlight = 0, RunJournal? journal = null, CancellationToken cancellationToken = default) =>
        StreamedRun.RunAsync(this, specs, ordered, maxInFlight, journal, cancellationToken);

    /// <summary>Adds a remote worker daemon; the pool connects to it (and keeps reconnecting with back-off) and places tasks on it.</summary>
    /// <param name="address"><c>HOST:PORT</c>, <c>[IPv6]:PORT</c>, or a port on loopback.</param>
    /// <exception cref="ArgumentException">The address is malformed, cannot be resolved, or the pool already has it.</exception>
    /// <exception cref="InvalidOperationException">The pool is shutting down.</exception>
    public WorkerClient AddWorker(string address)
    {
        if (State != PoolState.Running)
        {
            throw new InvalidOperationException($"Pool '{Name}' is shutting down and takes no new workers.");
        }

        return _remote.Add(address);
    }

    /// <summary>
    /// Stops using a remote worker. Draining lets its running tasks finish; otherwise they go back to the queue
    /// for other workers. Tasks that only remote workers may run are rejected when the last one is removed.
    /// </summary>
    /// <param name="worker">The worker, one of <see cref="RemoteWorkers"/>.</param>
    /// <param name="drain">Let its running tasks finish first.</param>
    /// <param name="cancellationToken">Ends a drain early: what still runs on the worker goes back to the queue.</param>
    /// <exception cref="InvalidOperationException">It is the pool's last worker of any kind: the pool would have nowhere to run tasks.</exception>
    public async Task RemoveWorkerAsync(WorkerClient worker, bool drain = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(worker);
        if (Workers.Length == 0 && _remote.Clients.Count == 1 && _remote.Clients.Contains(worker))
        {
            throw new InvalidOperationException($"Worker {worker.Address} is the last worker of pool '{Name}', which has no CPU workers: the pool would have nowhere to run tasks. Remove the pool instead.");
        }

        await _remote.RemoveAsync(worker, drain, cancellationToken).ConfigureAwait(false);
        if (_remote.Clients.Count == 0)
        {
            _queues.AbandonBackendOnly(FailureKind.Rejected, $"Pool '{Name}' has no remote workers left.");
        }
    }

    /// <summary>Completes once every remote worker's first connection attempt has succeeded or failed (see <see cref="WorkerClient.LastError"/>).</summary>
    public Task WhenWorkersTriedAsync() => _remote.FirstAttemptsAsync();

    /// <summary>Stops the pool: graceful finishes queued and running work first; forced cancels it.</summary>
    /// <param name="mode">Graceful or forced.</param>
    /// <param name="cancellationToken">Ends a graceful wait early by turning it into a forced shutdown.</param>
    public Task ShutdownAsync(ShutdownMode mode = ShutdownMode.Graceful, CancellationToken cancellationToken = default)
    {
        lock (_shutdownGate)
        {
            if (_state == (int)PoolState.Running)
            {
                _state = (int)PoolState.Draining;
            }

            if (mode == ShutdownMode.Forced)
            {
                CancelEverything();
            }

            _shutdown ??= ShutdownCoreAsync(cancellationToken);
            return _shutdown;
        }
    }

    /// <summary>Forced shutdown; returns when every worker thread has ended.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Forced shutdown; completes when every worker thread has ended.</summary>
    public async ValueTask DisposeAsync() => await ShutdownAsync(ShutdownMode.Forced).ConfigureAwait(false);

    /// <summary>Runs the GPU kernel tasks this machine's workers take (WebGPU, on the chosen adapter).</summary>
    internal IExecutor KernelExecutor => _kernelExecutor ?? Gpu.GpuExecutor.Shared;

    /// <summary>Runs in-process work (script blocks) on the calling worker thread, on the pool's clock.</summary>
    internal IExecutor InProcessExecutor { get; }

    /// <summary>Runs the process tasks this machine's workers take (Gpu and Remote tasks never reach it).</summary>
    internal IExecutor CpuExecutor => _cpuExecutor;

    /// <summary>Puts a task whose attempt was lost with its worker (or never sent) straight back in the queue.</summary>
    internal void RequeueLost(ProcessWorkItem item, TaskResult? failed)
    {
        if (failed is not null)
        {
            Interlocked.Increment(ref _retries);
            Telemetry.RepartirTelemetry.OnRequeued(Name);
            _logger.LogDebug("Task {Id} ({Name}) attempt {Attempt} lost ({Message}); requeued", item.Id, failed.Name, failed.Attempt, failed.FailureMessage);
        }

        _queues.Enqueue(item, null);
        if (_forcedShutdown.IsCancellationRequested)
        {
            item.TryAbandon(FailureKind.Cancelled, "The pool was shut down while the task waited to be placed again.");
        }
    }

    /// <summary>Called once per finished work item that counts towards the drain.</summary>
    internal void OnWorkDone()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0 && _state != (int)PoolState.Running)
        {
            _drained.TrySetResult();
        }
    }

    internal void OnTaskCompleted(TaskResult result)
    {
        Interlocked.Increment(ref _completed);
        _completionRate.Record();
        Telemetry.RepartirTelemetry.OnCompleted(Name, result);
        if (result.Failure == FailureKind.Rejected)
        {
            Interlocked.Increment(ref _rejected);
        }
        else if (!result.Success)
        {
            Interlocked.Increment(ref _failed);
        }
    }

    internal void ScheduleRetry(ProcessWorkItem item, TimeSpan delay, TaskResult failed)
    {
        Interlocked.Increment(ref _retries);
        Telemetry.RepartirTelemetry.OnRetried(Name);
        _logger.LogDebug("Task {Id} ({Name}) attempt {Attempt} failed ({Failure}, exit {Exit}); retrying in {Delay}", item.Id, failed.Name, failed.Attempt, failed.Failure, failed.ExitCode, delay);
        _ = RetryAfterAsync(item, delay);
    }

    /// <summary>Why the pool cannot run <paramref name="spec"/> where it asks to run, or null when it can.</summary>
    private string? MissingBackend(TaskSpec spec) => Options.Remote.Observe
        ? $"Pool '{Name}' observes its workers (a monitor): it runs no tasks."
        : spec.Work is not null
        ? (Workers.Length == 0 ? $"Pool '{Name}' has no CPU workers of its own: in-process work (a script block) runs on them." : null)
        : spec.Kernel is not null
        ? (Workers.Length == 0 ? $"Pool '{Name}' has no CPU workers of its own: a GPU kernel runs on this machine's GPU, from one of them." : null)
        : spec.Backend switch
    {
        Backend.Cpu when Workers.Length == 0 => $"Pool '{Name}' has no CPU workers of its own to run a Cpu task; use Backend Auto or Remote.",
        Backend.Remote when _remote.Clients.Count == 0 => $"Pool '{Name}' has no remote workers to run a Remote task.",
        Backend.Gpu => MissingGpu(),
        _ => null,
    };

    /// <summary>This machine's GPUs that Gpu tasks are placed on (its CPU workers run them, one a device at a time).</summary>
    public IReadOnlyList<string> LocalGpus => Workers.Length > 0 ? _queues.LocalGpus.Devices : [];

    /// <summary>
    /// Why a Gpu task cannot run here, said at once: this machine has no GPU for it, and the pool has no remote worker
    /// or every one of them said in its hello that it has none. A worker not yet reached may still have one: the task
    /// waits for it (up to the placement timeout).
    /// </summary>
    private string? MissingGpu()
    {
        if (LocalGpus.Count > 0)
        {
            return null;
        }

        string here = Workers.Length == 0 ? "it runs nothing on this machine" : "this machine has no GPU it knows of (name them with the pool's Gpus option or REPARTIR_GPUS)";
        IReadOnlyList<WorkerClient> clients = _remote.Clients;
        if (clients.Count == 0)
        {
            return $"Pool '{Name}' has no GPU to run a Gpu task: {here}, and it has no remote workers.";
        }

        return clients.All(c => c.Peer is not null && c.GpuCount == 0)
            ? $"No worker of pool '{Name}' offers a GPU ({string.Join(", ", clients.Select(c => c.Address))} said they have none), and {here}."
            : null;
    }

    private async Task EnqueueWhenRoomAsync(ProcessWorkItem item, CancellationToken cancellationToken)
    {
        try
        {
            using var waitCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _forcedShutdown.Token);
            await _admission.EnterAsync(item, waitCancellation.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            item.TryAbandon(FailureKind.Cancelled, "Cancelled while waiting for room in the queue.");
            return;
        }

        if (State != PoolState.Running)
        {
            _admission.Leave(item);
            item.Reject($"Pool '{Name}' is shutting down and accepts no new tasks.");
            return;
        }

        item.ArmCancellation();
        _queues.Enqueue(item, null);
    }

    private async Task RetryAfterAsync(ProcessWorkItem item, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _forcedShutdown.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            item.TryAbandon(FailureKind.Cancelled, "The pool was shut down while the task waited to be retried.");
            return;
        }

        _queues.Enqueue(item, null);
        if (_forcedShutdown.IsCancellationRequested)
        {
            // Shutdown raced the re-queue; the drain may already have passed this queue.
            item.TryAbandon(FailureKind.Cancelled, "The pool was shut down while the task waited to be retried.");
        }
    }

    private void Force()
    {
        lock (_shutdownGate)
        {
            CancelEverything();
        }
    }

    private void CancelEverything()
    {
        if (_forcedShutdown.IsCancellationRequested)
        {
            return;
        }

        _forcedShutdown.Cancel(); // running process trees are killed; retries waiting out a back-off give up
        _remote.CancelRunning();
        _queues.AbandonAll(FailureKind.Cancelled, "The pool was shut down before the task started.");

        // Work on the workers' own deques was forked by running work; the workers find it abandoned or run it to
        // let that work finish (its processes are cancelled through the forced-shutdown token).
    }

    private async Task ShutdownCoreAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Read(ref _outstanding) == 0)
        {
            _drained.TrySetResult();
        }

        // The callback only forces: were it ShutdownAsync, a token already cancelled would run it here, inside
        // ShutdownAsync's lock and before _shutdown is set, and start a second shutdown beside this one.
        using (cancellationToken.UnsafeRegister(static state => ((Pool)state!).Force(), this))
        {
            await _drained.Task.ConfigureAwait(false);
        }

        _state = (int)PoolState.Stopped;
        _queues.StopWorkers();
        await Task.Run(
            () =>
            {
                foreach (PoolWorker worker in Workers)
                {
                    worker.Join();
                }
            },
            CancellationToken.None).ConfigureAwait(false);
        await _remote.DisposeAsync().ConfigureAwait(false);
        if (_ownsCpuExecutor && _cpuExecutor is IDisposable executor)
        {
            executor.Dispose(); // every task has ended: its watchdog goes too
        }

        Telemetry.RepartirTelemetry.Unregister(this);
        _logger.LogDebug("Pool {Pool} stopped", Name);
    }

    /// <summary>
    /// Admits in-process work. From one of this pool's workers it is always accepted and not counted:
    /// its parent is running, and a worker only exits once it finds no work, so whatever a running item
    /// forks is run before the workers stop — and a shared counter touched by every fork would make all
    /// cores contend on one cache line. From outside, the item is counted before the state is checked,
    /// so a shutdown that starts in between waits for it instead of stopping the workers under it.
    /// </summary>
    /// <returns>Whether the item counts towards the graceful drain.</returns>
    private bool Admit(PoolWorker? worker)
    {
        if (worker is not null)
        {
            return false;
        }

        Interlocked.Increment(ref _outstanding);
        if (State != PoolState.Running)
        {
            OnWorkDone();
            throw new InvalidOperationException($"Pool '{Name}' is shutting down and accepts no new work.");
        }

        return true;
    }
}
