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
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
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
}
