using Repartir.Tasks;

namespace Repartir.Execution;

/// <summary>Where and by whom an attempt runs, for provenance on its result.</summary>
/// <param name="Id">The task's id.</param>
/// <param name="Attempt">The attempt number, 1-based.</param>
/// <param name="Worker">The pool worker running it, for example <c>cpu-2</c>.</param>
public readonly record struct ExecutionSlot(TaskId Id, int Attempt, string Worker);

/// <summary>
/// Runs one attempt of a task on this machine and reports it as a <see cref="TaskResult"/>. Synchronous by
/// design: the calling thread is a pool worker, which is one slot of concurrency, and it is busy for as long as
/// the attempt runs. An executor never throws for a task's own failure: a missing program, a timeout or a
/// cancellation is a result.
/// </summary>
public interface IExecutor
{
    /// <summary>The backend this executor serves.</summary>
    Backend Backend { get; }

    /// <summary>Runs one attempt on the calling thread and returns its result once it has ended.</summary>
    TaskResult Execute(TaskSpec spec, ExecutionSlot slot, CancellationToken cancellationToken);
}
