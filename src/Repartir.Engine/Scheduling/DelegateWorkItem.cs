using Repartir.Tasks;

namespace Repartir.Scheduling;

/// <summary>An in-process function submitted with <see cref="Pool.SubmitAsync{T}(Func{T}, TaskPriority, CancellationToken)"/>.</summary>
internal sealed class DelegateWorkItem<T> : WorkItem
{
    private readonly Func<T> _work;
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenRegistration _registration;

    internal DelegateWorkItem(Pool pool, Func<T> work, TaskPriority priority)
        : base(pool, priority)
    {
        _work = work;
    }

    internal Task<T> Completion => _completion.Task;

    internal void CancelWhen(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(
                static state => ((DelegateWorkItem<T>)state!).TryAbandon(FailureKind.Cancelled, "Cancelled before it started."),
                this);
        }
    }

    protected override void Execute(PoolWorker worker)
    {
        _registration.Dispose();
        T value;
        try
        {
            value = _work();
        }
        catch (Exception ex)
        {
            MarkFinished();
            ReportDone();
            _completion.TrySetException(ex);
            return;
        }

        MarkFinished();
        ReportDone();
        _completion.TrySetResult(value);
    }

    protected override void OnAbandoned(FailureKind reason, string message)
    {
        _registration.Dispose();
        ReportDone();
        _completion.TrySetCanceled();
    }

}
