using Repartir.Execution;
using Repartir.Tasks;

namespace Repartir.Scheduling;

/// <summary>
/// A submitted <see cref="TaskSpec"/> on its way to exactly one <see cref="TaskResult"/>: it runs an
/// attempt, and either completes or, when its retry policy says so, goes back to the queue after a
/// back-off (holding no worker while it waits).
/// </summary>
internal sealed class ProcessWorkItem : WorkItem
{
    private readonly TaskCompletionSource<TaskResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationToken _cancellationToken;
    private CancellationTokenRegistration _registration;
    private int _losses;
    private int _started;
    private readonly long _submittedAt;

    internal ProcessWorkItem(Pool pool, TaskId id, TaskSpec spec, CancellationToken cancellationToken)
        : base(pool, spec.Priority)
    {
        Id = id;
        Spec = spec;
        _cancellationToken = cancellationToken;
        _submittedAt = pool.Time.GetTimestamp();
    }

    internal TaskId Id { get; }

    /// <summary>The task's span (submission to result), when someone traces.</summary>
    internal System.Diagnostics.Activity? TaskActivity { get; set; }

    internal TaskSpec Spec { get; }

    /// <summary>The attempt the next run will be (1-based).</summary>
    internal int Attempt { get; private set; } = 1;

    internal Task<TaskResult> Completion => _completion.Task;

    /// <summary>The caller's cancellation of this task.</summary>
    internal CancellationToken CancellationToken => _cancellationToken;

    internal override WorkRoute Route => Spec.Kernel is not null || Spec.Work is not null ? WorkRoute.Local : Spec.Backend switch
    {
        Backend.Remote => WorkRoute.Remote,
        Backend.Auto => WorkRoute.Anywhere,
        Backend.Gpu => WorkRoute.Gpu,
        _ => WorkRoute.Local,
    };

    /// <summary>Arms cancellation: a cancel while queued completes the task at once as Cancelled.</summary>
    internal void ArmCancellation()
    {
        if (_cancellationToken.CanBeCanceled)
        {
            _registration = _cancellationToken.UnsafeRegister(
                static state => ((ProcessWorkItem)state!).TryAbandon(FailureKind.Cancelled, "Cancelled before it started."),
                this);
        }
    }

    /// <summary>Completes the task without running it (rejection at submit time).</summary>
    internal void Reject(string message)
    {
        if (!TryAbandon(FailureKind.Rejected, message))
        {
            throw new InvalidOperationException("A task can only be rejected before it is queued.");
        }
    }

    /// <summary>The next run of the task, for a backend to run and conclude; the item must be marked running (<see cref="WorkItem.TryStart"/>).</summary>
    internal TaskAttempt StartAttempt()
    {
        // The queue wait is the first attempt's: a retry or a rerun after a loss waited for other reasons.
        bool first = Interlocked.Exchange(ref _started, 1) == 0;
        TimeSpan? waited = first ? Pool.Time.GetElapsedTime(_submittedAt) : null;
        Telemetry.RepartirTelemetry.OnStarted(Pool.Name, waited);
        return new(this, Telemetry.RepartirTelemetry.StartAttempt(TaskActivity, Attempt, waited));
    }

    /// <summary>Puts back an item that was taken but never run (<see cref="TaskAttempt.Return"/>).</summary>
    internal void Return()
    {
        Requeue();
        Pool.RequeueLost(this, failed: null);
    }

    protected override void Execute(PoolWorker worker)
    {
        TaskAttempt attempt = StartAttempt();
        worker.CurrentTask = new RunningAttempt(attempt, Pool.Time.GetTimestamp());
        try
        {
            Run(worker, attempt);
        }
        finally
        {
            worker.CurrentTask = null;
        }
    }

    private void Run(PoolWorker worker, TaskAttempt attempt)
    {
        CancellationToken poolToken = Pool.ForcedShutdownToken;
        using CancellationTokenSource? linked = _cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken, poolToken)
            : null;
        if (Spec.Work is not null)
        {
            // In-process work (a script block): on this worker thread, which it holds as a process task would.
            attempt.Complete(Pool.InProcessExecutor.Execute(Spec, new ExecutionSlot(Id, attempt.Number, worker.Name), linked?.Token ?? poolToken));
            return;
        }

        if (Spec.Kernel is not null)
        {
            // A GPU kernel: this machine's WebGPU executor, on this worker thread (the slot waits for the device).
            attempt.Complete(Pool.KernelExecutor.Execute(Spec, new ExecutionSlot(Id, attempt.Number, worker.Name), linked?.Token ?? poolToken));
            return;
        }

        if (worker.ReservedGpu is { } device)
        {
            // A Gpu task on this machine: its own device while devices are free (the worker reserved it when it took the task).
            TaskSpec placed = Spec with { Environment = Gpu.GpuDeviceSlots.EnvironmentFor(Spec.Environment, device) };
            TaskResult ran = Pool.CpuExecutor.Execute(placed, new ExecutionSlot(Id, attempt.Number, $"{worker.Name}/gpu{device}"), linked?.Token ?? poolToken);
            attempt.Complete(ran with { Spec = Spec, Backend = Backend.Gpu });
            return;
        }

        attempt.Complete(Pool.CpuExecutor.Execute(Spec, new ExecutionSlot(Id, attempt.Number, worker.Name), linked?.Token ?? poolToken));
    }

    /// <summary>
    /// The one place the end of a run is decided. A run lost with its worker goes back to the queue at once, counted
    /// in <see cref="TaskResult.Losses"/> and leaving <see cref="Attempt"/> alone, until
    /// <see cref="Remote.RemoteOptions.MaxWorkerLosses"/>; then <paramref name="result"/> (WorkerLost) is the task's
    /// result, and its retry policy never sees it. Any other outcome is the retry policy's: another attempt after
    /// the back-off, or the result.
    /// </summary>
    internal void Conclude(TaskResult result, bool lostWithWorker)
    {
        if (lostWithWorker)
        {
            if (_cancellationToken.IsCancellationRequested)
            {
                Finish(ResultWithoutProcess(FailureKind.Cancelled, "Cancelled; its worker was lost before it confirmed the cancel.", Attempt, result.Worker));
            }
            else if (++_losses < Pool.Options.Remote.MaxWorkerLosses && Pool.AcceptsRetries)
            {
                Requeue();
                Pool.RequeueLost(this, result);
            }
            else
            {
                Finish(result);
            }

            return;
        }

        if (Spec.Retry.ShouldRetry(result, Attempt) && !_cancellationToken.IsCancellationRequested && Pool.AcceptsRetries)
        {
            Attempt++;
            Requeue();
            Pool.ScheduleRetry(this, Spec.Retry.DelayBefore(Attempt - 1), result);
            return;
        }

        Finish(result);
    }

    private void Finish(TaskResult result)
    {
        MarkFinished();
        Complete(result);
    }

    protected override void OnAbandoned(FailureKind reason, string message) =>
        Complete(ResultWithoutProcess(reason, message, attempt: Attempt - 1, worker: string.Empty));

    private TaskResult ResultWithoutProcess(FailureKind failure, string message, int attempt, string worker) =>
        TaskResult.NotRun(Id, Spec, failure, message, attempt, Environment.MachineName, worker);

    private void Complete(TaskResult result)
    {
        _registration.Dispose();
        if (_losses > 0)
        {
            result = result with { Losses = _losses }; // whichever attempt ends the task, its lost runs show
        }

        // The pool's counters change before the result is published, so whoever sees the result sees them settled.
        Pool.OnTaskCompleted(result);
        Telemetry.RepartirTelemetry.Stop(TaskActivity, result);
        ReportDone();
        _completion.TrySetResult(result);
    }
}
