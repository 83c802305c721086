using System.Runtime.ExceptionServices;
using Repartir.Tasks;

namespace Repartir.Scheduling;

/// <summary>
/// A piece of in-process work forked onto the pool (see <see cref="Pool.Fork{T}(Func{T}, TaskPriority)"/>).
/// <see cref="Join"/> called on a pool worker does not block the worker: it runs other queued work
/// (its own deque first, then stolen work) until this one is done, so nested fork-join cannot deadlock.
/// </summary>
/// <typeparam name="T">The result type.</typeparam>
public sealed class ForkedTask<T>
{
    private readonly ForkWorkItem<T> _item;

    internal ForkedTask(ForkWorkItem<T> item) => _item = item;

    /// <summary>True once the work has run (or was abandoned at shutdown).</summary>
    public bool IsCompleted => _item.IsFinished;

    /// <summary>Waits for the work and returns its value, rethrowing its exception.</summary>
    /// <exception cref="OperationCanceledException">The pool was shut down before the work ran.</exception>
    public T Join() => _item.Join();
}

/// <summary>The queued half of a <see cref="ForkedTask{T}"/>.</summary>
internal sealed class ForkWorkItem<T> : WorkItem
{
    private readonly Func<T> _work;
    private T? _value;
    private ExceptionDispatchInfo? _error;
    private ManualResetEventSlim? _done;

    internal ForkWorkItem(Pool pool, Func<T> work, TaskPriority priority)
        : base(pool, priority)
    {
        _work = work;
    }

    internal T Join()
    {
        if (!IsFinished)
        {
            PoolWorker? worker = PoolWorker.CurrentOf(Pool);
            if (worker is not null)
            {
                worker.HelpUntil(this);
            }
            else
            {
                WaitFromOutside();
            }
        }

        _error?.Throw();
        return _value!;
    }

    protected override void Execute(PoolWorker worker)
    {
        try
        {
            _value = _work();
        }
        catch (Exception ex)
        {
            _error = ExceptionDispatchInfo.Capture(ex);
        }

        Finish();
    }

    protected override void OnAbandoned(FailureKind reason, string message)
    {
        _error = ExceptionDispatchInfo.Capture(new OperationCanceledException(message));
        Finish();
    }

    private void Finish()
    {
        MarkFinished();
        ReportDone();
        Volatile.Read(ref _done)?.Set();
    }

    private void WaitFromOutside()
    {
        var done = new ManualResetEventSlim(false);
        if (Interlocked.CompareExchange(ref _done, done, null) is { } existing)
        {
            done.Dispose();
            done = existing;
        }

        if (!IsFinished)
        {
            done.Wait();
        }
    }

}
