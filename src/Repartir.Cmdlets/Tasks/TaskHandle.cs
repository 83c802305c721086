using Repartir.Scheduling;

namespace Repartir.Cmdlets.Tasks;

/// <summary>A task submitted with <c>-NoWait</c>: pipe it to Wait-RepartirTask for its result.</summary>
public sealed class TaskHandle
{
    private TaskResultInfo? _result;

    internal TaskHandle(SubmittedTask submitted, string poolName)
    {
        Submitted = submitted;
        Pool = poolName;
    }

    /// <summary>The task's id within its pool.</summary>
    public long Id => Submitted.Id.Value;

    /// <summary>The task's display name.</summary>
    public string Name => Submitted.Spec.DisplayName;

    /// <summary>The name of the pool it was submitted to.</summary>
    public string Pool { get; }

    /// <summary>The item the task was made from.</summary>
    public object? InputObject => Submitted.Spec.InputObject;

    /// <summary>Pending or Completed.</summary>
    public string Status => Submitted.Completion.IsCompleted ? "Completed" : "Pending";

    /// <summary>The result once there is one; null before.</summary>
    public TaskResultInfo? Result => Submitted.Completion.IsCompleted ? _result ??= new TaskResultInfo(Submitted.Completion.Result, Pool) : null;

    internal SubmittedTask Submitted { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Pool}#{Id} {Name}";
}
