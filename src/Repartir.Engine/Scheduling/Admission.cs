namespace Repartir.Scheduling;

/// <summary>
/// The bound on a pool's queue (<see cref="PoolOptions.MaxQueue"/>): a task submitted from outside takes a slot
/// while it waits to run and gives it back when a worker takes it. Without a bound every task is admitted.
/// </summary>
internal sealed class Admission(int? maxQueue)
{
    private readonly SemaphoreSlim? _slots = maxQueue is { } max ? new SemaphoreSlim(max, max) : null;

    /// <summary>Whether there is a bound at all.</summary>
    internal bool IsBounded => _slots is not null;

    /// <summary>Takes a slot for <paramref name="item"/> if one is free now.</summary>
    internal bool TryEnter(WorkItem item)
    {
        if (_slots is null || _slots.Wait(0, CancellationToken.None))
        {
            item.HoldsQueueSlot = _slots is not null;
            return true;
        }

        return false;
    }

    /// <summary>Waits for a slot for <paramref name="item"/>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    internal async Task EnterAsync(WorkItem item, CancellationToken cancellationToken)
    {
        if (_slots is not null)
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            item.HoldsQueueSlot = true;
        }
    }

    /// <summary>Gives back the slot <paramref name="item"/> held while it waited, if it held one.</summary>
    internal void Leave(WorkItem item)
    {
        if (item.HoldsQueueSlot)
        {
            item.HoldsQueueSlot = false;
            _slots!.Release();
        }
    }
}
