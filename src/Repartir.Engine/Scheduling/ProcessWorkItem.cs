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

    internal ProcessWorkItem(Pool pool, TaskId id, TaskSpec spec, CancellationToken cancellationToken)
        : base(pool, spec.Priority)
    {
        Id = id;
        Spec = spec;
        _cancellationToken = cancellationToken;
    }

    internal TaskId Id { get; }

    internal TaskSpec Spec { get; }

    /// <summary>The attempt the next run will be (1-based).</summary>
    internal int Attempt { get; private set; } = 1;

    internal Task<TaskResult> Completion => _completion.Task;

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

    protected override void Execute(PoolWorker worker)
    {
        TaskResult result = RunAttempt(worker);
        if (Spec.Retry.ShouldRetry(result, Attempt) && !_cancellationToken.IsCancellationRequested && Pool.AcceptsRetries)
        {
            Attempt++;
            Requeue();
            Pool.ScheduleRetry(this, Spec.Retry.DelayBefore(Attempt - 1), result);
            return;
        }

        MarkFinished();
        Complete(result);
    }

    protected override void OnAbandoned(FailureKind reason, string message) =>
        Complete(ResultWithoutProcess(reason, message, attempt: Attempt - 1, worker: string.Empty));

    private TaskResult RunAttempt(PoolWorker worker)
    {
        var slot = new ExecutionSlot(Id, Attempt, worker.Name);
        IExecutor? executor = Pool.ExecutorFor(Spec.Backend);
        if (executor is null)
        {
            return ResultWithoutProcess(FailureKind.Rejected, $"This pool has no {Spec.Backend} backend.", Attempt, worker.Name);
        }

        CancellationToken poolToken = Pool.ForcedShutdownToken;
        using CancellationTokenSource? linked = _cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken, poolToken)
            : null;
        ValueTask<TaskResult> pending = executor.ExecuteAsync(Spec, slot, linked?.Token ?? poolToken);
        return pending.IsCompleted ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    private TaskResult ResultWithoutProcess(FailureKind failure, string message, int attempt, string worker) =>
        TaskResult.NotRun(Id, Spec, failure, message, attempt, Environment.MachineName, worker);

    private void Complete(TaskResult result)
    {
        _registration.Dispose();

        // The pool's counters change before the result is published, so whoever sees the result sees them settled.
        Pool.OnTaskCompleted(result);
        ReportDone();
        _completion.TrySetResult(result);
    }
}
