using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Tasks;

/// <summary>A task submitted with <c>-NoWait</c>: pipe it to Wait-RepartirTask for its result.</summary>
public sealed class TaskHandle
{
    internal TaskHandle(SubmittedTask submitted, string poolName)
    {
        Submitted = submitted;
        Pool = poolName;
    }

    /// <summary>The task's id within its pool.</summary>
    public TaskId Id => Submitted.Id;

    /// <summary>The task's display name.</summary>
    public string Name => Submitted.Spec.DisplayName;

    /// <summary>The name of the pool it was submitted to.</summary>
    public string Pool { get; }

    /// <summary>The item the task was made from.</summary>
    public object? InputObject => Submitted.Spec.InputObject;

    /// <summary>True once the task has its result.</summary>
    public bool IsCompleted => Submitted.Completion.IsCompleted;

    /// <summary>Pending or Completed.</summary>
    public string Status => IsCompleted ? "Completed" : "Pending";

    /// <summary>The result once there is one; null before.</summary>
    public TaskResult? Result => Submitted.Completion.IsCompleted ? Submitted.Completion.Result : null;

    internal SubmittedTask Submitted { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Pool}#{Id} {Name}";
}
