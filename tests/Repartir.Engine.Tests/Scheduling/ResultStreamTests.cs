using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Tests.Scheduling;

public sealed class ResultStreamTests
{
    private static TaskResult Result(long id) => new() { Id = new TaskId(id), Name = id.ToString(System.Globalization.CultureInfo.InvariantCulture), Spec = new TaskSpec("x") };

    [Fact]
    public async Task Unordered_hands_out_results_as_they_complete()
    {
        var first = new TaskCompletionSource<TaskResult>();
        var second = new TaskCompletionSource<TaskResult>();
        var stream = new ResultStream(ordered: false);
        stream.Add(first.Task);
        stream.Add(second.Task);

        Assert.False(stream.TryTake(out _));
        second.SetResult(Result(2));
        Assert.Equal(2, (await stream.TakeAsync(CancellationToken.None))!.Id.Value);
        Assert.Equal(1, stream.Pending);
        first.SetResult(Result(1));
        Assert.Equal(1, stream.Take(CancellationToken.None)!.Id.Value);
        Assert.Equal(0, stream.Pending);
    }

    [Fact]
    public async Task Ordered_holds_later_results_until_the_earlier_ones_complete()
    {
        var first = new TaskCompletionSource<TaskResult>();
        var stream = new ResultStream(ordered: true);
        stream.Add(first.Task);
        stream.Add(Task.FromResult(Result(2)));

        Assert.False(stream.TryTake(out _));
        Task<TaskResult?> waiting = stream.TakeAsync(CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted); // the second result is there, but may not pass the first
        first.SetResult(Result(1));
        Assert.Equal(1, (await waiting.WaitAsync(TimeSpan.FromSeconds(5)))!.Id.Value);
        Assert.True(stream.TryTake(out TaskResult? next));
        Assert.Equal(2, next.Id.Value);
    }

    [Fact]
    public async Task After_CompleteAdding_an_empty_stream_yields_null_and_a_wait_can_be_cancelled()
    {
        var stream = new ResultStream(ordered: false);
        using var cancel = new CancellationTokenSource(100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await stream.TakeAsync(cancel.Token));

        Task<TaskResult?> waiting = stream.TakeAsync(CancellationToken.None).AsTask();
        stream.CompleteAdding();
        Assert.Null(await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Null(stream.Take(CancellationToken.None));
    }

    [Fact]
    public void Completions_from_many_threads_are_each_handed_out_once()
    {
        var stream = new ResultStream(ordered: false);
        TaskCompletionSource<TaskResult>[] sources = Enumerable.Range(0, 5000).Select(_ => new TaskCompletionSource<TaskResult>()).ToArray();
        foreach (TaskCompletionSource<TaskResult> source in sources)
        {
            stream.Add(source.Task);
        }

        stream.CompleteAdding();
        Parallel.For(0, sources.Length, i => sources[i].SetResult(Result(i)));
        var seen = new HashSet<long>();
        while (stream.Take(CancellationToken.None) is { } result)
        {
            Assert.True(seen.Add(result.Id.Value));
        }

        Assert.Equal(sources.Length, seen.Count);
    }

    [Fact]
    public async Task Held_output_counts_finished_results_until_they_are_taken_and_an_adder_waits_for_room()
    {
        var head = new TaskCompletionSource<TaskResult>();
        var stream = new ResultStream(ordered: true);
        stream.Add(head.Task);
        stream.Add(Task.FromResult(Result(2) with { StdoutBytes = new byte[700], StderrBytes = new byte[300] }));
        stream.Add(Task.FromResult(Result(3) with { StdoutBytes = new byte[1000] }));

        Assert.Equal(2000, stream.HeldBytes);
        Assert.Equal(1, stream.Unfinished);
        ValueTask room = stream.WaitForRoomAsync(new StreamLimits(MaxPending: 10, Parallelism: 1, MaxUnfinished: 10, MaxHeldBytes: 1000), CancellationToken.None);
        Assert.False(room.IsCompleted);

        head.SetResult(Result(1));
        Assert.True(stream.TryTake(out _));
        Assert.True(stream.TryTake(out TaskResult? second));
        Assert.Equal(2, second.Id.Value);
        await room.AsTask().WaitAsync(TimeSpan.FromSeconds(10)); // 1000 bytes held: room
        Assert.Equal(1000, stream.HeldBytes);
        var limits = new StreamLimits(MaxPending: 2, Parallelism: 1, MaxUnfinished: 1, MaxHeldBytes: 1000);
        Assert.True(stream.HasRoom(limits));
        Assert.False(stream.HasRoom(limits with { MaxPending = 1 }));
        Assert.False(stream.HasRoom(limits with { MaxUnfinished = 0 }));
        Assert.False(stream.HasRoom(limits with { MaxHeldBytes = 999 }));
    }

    [Fact]
    public void Past_one_task_per_place_the_output_the_unfinished_will_likely_add_counts_too()
    {
        var stream = new ResultStream(ordered: true);
        stream.Add(new TaskCompletionSource<TaskResult>().Task); // a slow head
        stream.Add(Task.FromResult(Result(2) with { StdoutBytes = new byte[100] }));
        stream.Add(new TaskCompletionSource<TaskResult>().Task);
        var limits = new StreamLimits(MaxPending: 100, Parallelism: 2, MaxUnfinished: 100, MaxHeldBytes: 250);

        Assert.False(stream.HasRoom(limits)); // 100 held + 2 unfinished × 100 on average > 250
        Assert.True(stream.HasRoom(limits with { MaxHeldBytes = 300 }));
        Assert.True(stream.HasRoom(limits with { Parallelism = 3 })); // fewer unfinished than places: never held back by bytes
    }
}
