using Repartir.Tasks;

namespace Repartir.Scheduling;

/// <summary>A task the pool has accepted: its id at once, its result later.</summary>
/// <param name="Id">The task's id.</param>
/// <param name="Spec">What it runs.</param>
/// <param name="Completion">Completes with the task's one result; never faults.</param>
public sealed record SubmittedTask(TaskId Id, TaskSpec Spec, Task<TaskResult> Completion);
