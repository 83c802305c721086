namespace Repartir.Scheduling;

/// <summary>
/// The Chase–Lev work-stealing deque: its owner pushes and pops at the bottom (LIFO, for locality),
/// thieves take from the top (FIFO, the oldest and usually largest piece of work). Lock-free; grows
/// as needed. Only the owning worker may call <see cref="Push"/> and <see cref="TryPop"/>.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
internal sealed class WorkStealingDeque<T>
    where T : class
{
    private const int InitialCapacity = 64;
    private T?[] _array = new T?[InitialCapacity];
    private long _top;
    private long _bottom;

    /// <summary>An estimate, exact when no other thread is touching the deque.</summary>
    internal bool IsEmpty => Volatile.Read(ref _bottom) <= Volatile.Read(ref _top);

    /// <summary>An estimate of the number of elements.</summary>
    internal long Count => Math.Max(0, Volatile.Read(ref _bottom) - Volatile.Read(ref _top));

    internal void Push(T item)
    {
        long bottom = _bottom;
        long top = Volatile.Read(ref _top);
        T?[] array = _array;
        if (bottom - top >= array.Length - 1)
        {
            array = Grow(array, top, bottom);
        }

        array[bottom & (array.Length - 1)] = item;
        Volatile.Write(ref _bottom, bottom + 1);
    }

    internal bool TryPop(out T? item)
    {
        long bottom = _bottom - 1;
        T?[] array = _array;
        Interlocked.Exchange(ref _bottom, bottom); // a full fence: the store must be visible before top is read
        long top = Volatile.Read(ref _top);
        if (top > bottom)
        {
            _bottom = top;
            item = null;
            return false;
        }

        int index = (int)(bottom & (array.Length - 1));
        item = array[index];
        if (top == bottom)
        {
            // The last element: race the thieves for it.
            bool won = Interlocked.CompareExchange(ref _top, top + 1, top) == top;
            Volatile.Write(ref _bottom, top + 1);
            if (!won)
            {
                item = null;
                return false;
            }
        }
        else
        {
            array[index] = null; // no thief can reach this slot: it is below top
        }

        return true;
    }

    internal bool TrySteal(out T? item)
    {
        while (true)
        {
            long top = Volatile.Read(ref _top);
            long bottom = Volatile.Read(ref _bottom);
            if (top >= bottom)
            {
                item = null;
                return false;
            }

            T?[] array = Volatile.Read(ref _array);
            item = array[top & (array.Length - 1)];
            if (Interlocked.CompareExchange(ref _top, top + 1, top) == top)
            {
                return item is not null;
            }

            // Lost the race to another thief or the owner; look again.
        }
    }

    private T?[] Grow(T?[] old, long top, long bottom)
    {
        var grown = new T?[old.Length * 2];
        for (long i = top; i < bottom; i++)
        {
            grown[i & (grown.Length - 1)] = old[i & (old.Length - 1)];
        }

        Volatile.Write(ref _array, grown);
        return grown;
    }
}
