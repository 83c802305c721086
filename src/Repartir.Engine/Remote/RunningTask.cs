namespace Repartir.Remote;

/// <summary>A task running on a worker for one coordinator, who asked for its cancel, and since when it runs (for monitors).</summary>
internal sealed class RunningTask(long taskId, int attempt, string name) : IDisposable
{
    private volatile bool _cancelledByCoordinator;
    private long _startedAt; // a TimeProvider timestamp once it has a slot; 0 while it waits for one

    public long TaskId => taskId;

    public int Attempt => attempt;

    public string Name => name;

    /// <summary>When it got its slot (a <see cref="TimeProvider"/> timestamp); null while it waits for one.</summary>
    public long? StartedAt => Interlocked.Read(ref _startedAt) is var at and not 0 ? at : null;

    public void Started(long timestamp) => Interlocked.Exchange(ref _startedAt, Math.Max(1, timestamp));

    public CancellationTokenSource Cancellation { get; } = new();

    /// <summary>True only when the coordinator sent Cancel for it; a stop or a lost connection kills without asking.</summary>
    public bool CancelledByCoordinator => _cancelledByCoordinator;

    public void Cancel(bool byCoordinator)
    {
        if (byCoordinator)
        {
            _cancelledByCoordinator = true; // before the cancel: whoever sees the kill sees who asked for it
        }

        try
        {
            Cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It finished in the meantime.
        }
    }

    public void Dispose() => Cancellation.Dispose();
}
