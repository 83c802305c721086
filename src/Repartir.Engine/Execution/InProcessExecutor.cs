using Repartir.Tasks;

namespace Repartir.Execution;

/// <summary>
/// Runs <see cref="IInProcessWork"/> tasks on the calling pool thread: the task's timeout and cancel become the work's
/// token, and how it ended becomes a result like a process's (None with exit code 0, WorkFailed, TimedOut, Cancelled).
/// </summary>
internal sealed class InProcessExecutor(TimeProvider time) : IExecutor
{
    /// <inheritdoc />
    public Backend Backend => Backend.Cpu;

    /// <inheritdoc />
    public TaskResult Execute(TaskSpec spec, ExecutionSlot slot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Work is not { } work)
        {
            return TaskResult.NotRun(slot.Id, spec, FailureKind.Rejected, "The in-process executor runs in-process work; this task is a process.", slot.Attempt, Environment.MachineName, slot.Worker);
        }

        TaskResult result = TaskResult.Begun(spec, slot, Backend.Cpu, time.GetUtcNow());
        if (cancellationToken.IsCancellationRequested)
        {
            return result with { Failure = FailureKind.Cancelled, FailureMessage = "Cancelled before it started.", EndTime = result.StartTime };
        }

        using var timeout = spec.Timeout is { } limit ? new CancellationTokenSource(limit, time) : null;
        using var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        InProcessOutcome outcome;
        try
        {
            outcome = work.Run(slot, linked?.Token ?? cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The work's defect fails its task only; the pool thread goes on to the next.
            outcome = new InProcessOutcome(null, $"{e.GetType().Name}: {e.Message}");
        }

        result = result with { Value = outcome.Value, StdoutBytes = outcome.Stdout ?? [], EndTime = time.GetUtcNow() };
        if (timeout is { IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested)
        {
            return result with { Failure = FailureKind.TimedOut, FailureMessage = $"Stopped after its timeout of {spec.Timeout!.Value.TotalSeconds:0.###} s." };
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return result with { Failure = FailureKind.Cancelled, FailureMessage = "Cancelled while it ran; it was stopped." };
        }

        return outcome.Failure is { } failure
            ? result with { Failure = FailureKind.WorkFailed, FailureMessage = failure }
            : result with { ExitCode = 0 };
    }
}
