using Repartir.Scheduling;

namespace Repartir.Tests.Scheduling;

public sealed class WorkStealingDequeTests
{
    [Fact]
    public void Owner_pops_newest_first_and_thieves_take_oldest_first()
    {
        var deque = new WorkStealingDeque<string>();
        deque.Push("a");
        deque.Push("b");
        deque.Push("c");

        Assert.True(deque.TrySteal(out string? stolen));
        Assert.Equal("a", stolen);
        Assert.True(deque.TryPop(out string? popped));
        Assert.Equal("c", popped);
        Assert.True(deque.TryPop(out popped));
        Assert.Equal("b", popped);
        Assert.False(deque.TryPop(out _));
        Assert.False(deque.TrySteal(out _));
        Assert.True(deque.IsEmpty);
    }

    [Fact]
    public void Grows_past_its_initial_capacity_without_losing_order()
    {
        var deque = new WorkStealingDeque<object>();
        object[] items = Enumerable.Range(0, 1000).Select(i => (object)i).ToArray();
        foreach (object item in items)
        {
            deque.Push(item);
        }

        Assert.Equal(1000, deque.Count);
        for (int i = 999; i >= 0; i--)
        {
            Assert.True(deque.TryPop(out object? item));
            Assert.Equal(i, item);
        }
    }

    [Fact]
    public void Under_concurrent_stealing_every_item_is_taken_exactly_once()
    {
        const int Items = 200_000;
        var deque = new WorkStealingDeque<object>();
        object[] items = Enumerable.Range(0, Items).Select(i => (object)i).ToArray();
        int[] taken = new int[Items];
        using var done = new CancellationTokenSource();
        Thread[] thieves = Enumerable.Range(0, 3).Select(_ => new Thread(() =>
        {
            while (!done.IsCancellationRequested || !deque.IsEmpty)
            {
                if (deque.TrySteal(out object? item))
                {
                    Interlocked.Increment(ref taken[(int)item!]);
                }
            }
        })).ToArray();
        foreach (Thread thief in thieves)
        {
            thief.Start();
        }

        // The owner interleaves pushes and pops, so pops race steals for the last element too.
        for (int i = 0; i < Items; i++)
        {
            deque.Push(items[i]);
            if (i % 3 == 0 && deque.TryPop(out object? item))
            {
                Interlocked.Increment(ref taken[(int)item!]);
            }
        }

        while (deque.TryPop(out object? item))
        {
            Interlocked.Increment(ref taken[(int)item!]);
        }

        done.Cancel();
        foreach (Thread thief in thieves)
        {
            thief.Join();
        }

        Assert.All(taken, count => Assert.Equal(1, count));
    }
}
