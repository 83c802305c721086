namespace Repartir.Remote;

/// <summary>A task running on a worker for one coordinator, and who asked for its cancel.</summary>
internal sealed class RunningTask : IDisposable
{
    private volatile bool _cancelledByCoordinator;

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
