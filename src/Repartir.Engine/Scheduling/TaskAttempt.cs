using Repartir.Tasks;

namespace Repartir.Scheduling;

/// <summary>
/// One run of a task, as every backend sees it: what to run, and the three ways a run can end. The scheduler
/// hands it out already started; the backend that took it runs it and concludes it exactly once. That is all a
/// backend knows of the scheduler: what happens next — a retry after its back-off, a rerun elsewhere, the task's
/// one result — is decided behind <see cref="Complete"/> and <see cref="Lose"/>, in one place.
/// </summary>
public sealed class TaskAttempt
{
    private readonly ProcessWorkItem _item;
    private int _concluded;

    internal TaskAttempt(ProcessWorkItem item, System.Diagnostics.Activity? activity = null)
    {
        _item = item;
        Activity = activity;
        Number = item.Attempt;
    }

    /// <summary>The task's id, the same for every attempt.</summary>
    public TaskId Id => _item.Id;

    /// <summary>What to run.</summary>
    public TaskSpec Spec => _item.Spec;

    /// <summary>Which attempt of the task's retry policy this is (1 = the first); a rerun after a loss keeps it.</summary>
    public int Number { get; }

    /// <summary>This attempt's span, a child of its task's; null when nobody traces.</summary>
    internal System.Diagnostics.Activity? Activity { get; }

    /// <summary>The attempt's span as a W3C <c>traceparent</c>, for a worker to continue the trace; null when nobody traces.</summary>
    public string? TraceParent => Activity?.Id;

    /// <summary>The caller's cancellation of the task: a backend forwards it to wherever the run is.</summary>
    public CancellationToken CancellationToken => _item.CancellationToken;

    /// <summary>The run ended where it ran, or was refused there: <paramref name="result"/> is its outcome.</summary>
    public void Complete(TaskResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (TryConclude())
        {
            Telemetry.RepartirTelemetry.Stop(Activity, result);
            _item.Conclude(result, lostWithWorker: false);
        }
    }

    /// <summary>The run was lost with the machine it ran on (or refused by one that is going away): it runs again elsewhere.</summary>
    public void Lose(TaskResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (TryConclude())
        {
            Telemetry.RepartirTelemetry.Stop(Activity, result, "lost");
            _item.Conclude(result, lostWithWorker: true);
        }
    }

    /// <summary>The run never started (the backend went away before sending it): the task goes back to the queue as if never taken.</summary>
    public void Return()
    {
        if (TryConclude())
        {
            Telemetry.RepartirTelemetry.Stop(Activity, null, "returned");
            _item.Return();
        }
    }

    /// <summary>The first conclusion stands; any later one is ignored, so a race between a result and a lost connection cannot end a run twice.</summary>
    private bool TryConclude() => Interlocked.Exchange(ref _concluded, 1) == 0;
}
