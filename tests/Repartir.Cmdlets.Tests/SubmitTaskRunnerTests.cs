using System.Management.Automation;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Cmdlets.Tasks;
using Repartir.Scheduling;
using Repartir.Tasks;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Repartir.Cmdlets.Tests;

public sealed class SubmitTaskRunnerTests : IDisposable
{
    private readonly PoolRegistry _registry = new();
    private readonly PoolInfo _pool;

    public SubmitTaskRunnerTests() => _pool = _registry.Create(new PoolOptions { Name = "runner-test", CpuWorkers = 2 });

    public void Dispose() => _pool.Pool.Dispose();

    private sealed record CsvFile(string FullName, string Name);

    private static SubmitTaskRequest Request(string filePath, params object[] arguments) => new()
    {
        FilePath = filePath,
        Arguments = ArgumentTemplate.Parse(arguments, PlaceholderSyntax.ItemAndProperties),
    };

    private (RecordingSink Sink, List<TaskResult> Results) Run(SubmitTaskRequest request, params object?[] items)
    {
        var sink = new RecordingSink();
        using (var runner = new SubmitTaskRunner(_pool, request, InvariantItemFormatter.Instance, sink))
        {
            foreach (object? item in items)
            {
                runner.Submit(item);
            }

            runner.Complete();
        }

        return (sink, sink.Objects.OfType<TaskResult>().ToList());
    }

    [Fact]
    public void Each_input_item_becomes_one_task_and_travels_on_its_result()
    {
        CsvFile[] files = Enumerable.Range(1, 12).Select(i => new CsvFile($"/data/f{i}.csv", $"f{i}.csv")).ToArray();
        var (sink, results) = Run(Request("echo", "--input", "{FullName}"), files);

        Assert.Equal(12, results.Count);
        Assert.All(results, r => Assert.Equal($"--input {((CsvFile)r.InputObject!).FullName}\n", r.Stdout));
        Assert.Equal(files.ToHashSet(), results.Select(r => (CsvFile)r.InputObject!).ToHashSet());
        Assert.Single(sink.Threads); // everything reached the sink from the calling (pipeline) thread
        Assert.Empty(sink.Errors);
    }

    [Fact]
    public void Without_pipeline_input_there_is_one_task_with_no_item()
    {
        var (_, results) = Run(Request("echo", "alone"), [null]);

        Assert.Equal("alone\n", Assert.Single(results).Stdout);
        Assert.Null(results[0].InputObject);
    }

    [Fact]
    public void Ordered_keeps_input_order_even_when_tasks_finish_out_of_order()
    {
        object[] delays = ["0.3", "0.0", "0.2", "0.1", "0.0"];
        var (_, results) = Run(Request("sh", "-c", "sleep {}; echo {}") with { Ordered = true }, delays);

        Assert.Equal(delays, results.Select(r => r.InputObject));
    }

    [Fact]
    public void Unordered_results_stream_in_completion_order()
    {
        var (_, results) = Run(Request("sh", "-c", "sleep {}"), ["0.6", "0.0"]);

        Assert.Equal(["0.0", "0.6"], results.Select(r => (string)r.InputObject!));
    }

    [Fact]
    public void A_failed_task_is_a_result_with_Success_false_not_an_error()
    {
        var (sink, results) = Run(Request("sh", "-c", "exit {}"), ["0", "3"]);

        Assert.Empty(sink.Errors);
        Assert.Equal([true, false], results.OrderBy(r => (string)r.InputObject!).Select(r => r.Success));
        Assert.Contains(sink.Verbose, v => v.Contains("exit code 3", StringComparison.Ordinal));
    }

    [Fact]
    public void A_placeholder_the_item_cannot_fill_is_an_error_for_that_item_only()
    {
        var (sink, results) = Run(Request("echo", "{FullName}"), [new CsvFile("/a.csv", "a.csv"), "just text"]);

        Assert.Single(results);
        CommandError error = Assert.Single(sink.Errors);
        Assert.Equal(ErrorRecords.ArgumentExpansionFailed, error.ErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.Category);
        Assert.Equal("just text", error.Target);
        Assert.Contains("FullName", error.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_task_is_an_InvalidTask_error_naming_the_field()
    {
        var (sink, results) = Run(Request("echo") with { Environment = new Dictionary<string, string?> { ["BAD=NAME"] = "x" } }, ["item"]);

        Assert.Empty(results);
        CommandError error = Assert.Single(sink.Errors);
        Assert.Equal(ErrorRecords.InvalidTask, error.ErrorId);
        Assert.Contains("BAD=NAME", error.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Timeouts_retries_environment_and_working_directory_reach_the_task()
    {
        string directory = Path.GetTempPath().TrimEnd('/');
        var request = Request("sh", "-c", "echo \"$GREETING $(pwd)\"; sleep {}") with
        {
            Environment = new Dictionary<string, string?> { ["GREETING"] = "hello" },
            WorkingDirectory = directory,
            Timeout = TimeSpan.FromMilliseconds(300),
            Retry = new RetryPolicy { MaxRetries = 1, InitialDelay = TimeSpan.FromMilliseconds(10) },
        };
        var (_, results) = Run(request, ["0", "5"]);

        TaskResult quick = results.Single(r => (string)r.InputObject! == "0");
        TaskResult slow = results.Single(r => (string)r.InputObject! == "5");
        Assert.Equal($"hello {directory}\n", quick.Stdout);
        Assert.Equal(FailureKind.TimedOut, slow.Failure);
        Assert.Equal(2, slow.Attempt);
    }

    [Fact]
    public void Progress_counts_completed_failed_and_total_and_ends_with_a_final_record()
    {
        var (sink, _) = Run(Request("sh", "-c", "exit $(( {} % 2 ))"), Enumerable.Range(0, 6).Select(i => (object)i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());

        ProgressUpdate last = sink.Progress[^1];
        Assert.True(last.IsFinal);
        Assert.Equal(6, last.Completed);
        Assert.Equal(3, last.Failed);
        Assert.Equal(6, last.Total);
        Assert.Equal(100, last.PercentComplete);
        Assert.Equal("6/6 completed, 3 failed", last.Status);
        Assert.Single(sink.Progress, p => p.IsFinal);
    }

    [Fact]
    public void NoWait_emits_handles_at_once_and_Wait_collects_their_results()
    {
        var (sink, results) = Run(Request("sh", "-c", "sleep 0.2; echo {}") with { NoWait = true }, ["a", "b", "c"]);

        Assert.Empty(results);
        TaskHandle[] handles = sink.Objects.Cast<TaskHandle>().ToArray();
        Assert.Equal(3, handles.Length);
        Assert.All(handles, h => Assert.Equal("runner-test", h.Pool));
        Assert.Equal(["a", "b", "c"], handles.Select(h => h.InputObject));

        var waitSink = new RecordingSink();
        using var wait = new WaitTaskRunner(waitSink);
        foreach (TaskHandle handle in handles)
        {
            wait.Add(handle);
        }

        wait.Complete(timeout: null);
        Assert.Equal(["a\n", "b\n", "c\n"], waitSink.Objects.Cast<TaskResult>().Select(r => r.Stdout).Order(StringComparer.Ordinal));
        Assert.All(handles, h => Assert.Equal("Completed", h.Status));
    }

    [Fact]
    public void Wait_takes_a_handle_given_twice_once_and_handles_many()
    {
        var (sink, _) = Run(Request("true") with { NoWait = true }, Enumerable.Range(0, 300).Select(i => (object?)i).ToArray());
        TaskHandle[] handles = sink.Objects.Cast<TaskHandle>().ToArray();

        var waitSink = new RecordingSink();
        using var wait = new WaitTaskRunner(waitSink);
        foreach (TaskHandle handle in handles.Append(handles[0]))
        {
            wait.Add(handle);
        }

        wait.Complete(timeout: null);
        Assert.Equal(300, waitSink.Objects.Count);
        Assert.Equal(300, waitSink.Objects.Distinct().Count());
        Assert.Empty(waitSink.Errors);
    }

    [Fact]
    public void Wait_gives_up_after_its_timeout_with_an_error_per_unfinished_task()
    {
        var (sink, _) = Run(Request("sleep", "{}") with { NoWait = true }, ["0", "30"]);
        TaskHandle[] handles = sink.Objects.Cast<TaskHandle>().ToArray();

        var waitSink = new RecordingSink();
        using (var wait = new WaitTaskRunner(waitSink))
        {
            foreach (TaskHandle handle in handles)
            {
                wait.Add(handle);
            }

            wait.Complete(TimeSpan.FromMilliseconds(500));
        }

        Assert.Single(waitSink.Objects);
        CommandError error = Assert.Single(waitSink.Errors);
        Assert.Equal(ErrorRecords.WaitTimedOut, error.ErrorId);
        Assert.Equal(ErrorCategory.OperationTimeout, error.Category);
        Assert.Same(handles[1], error.Target);
        Assert.False(handles[1].IsCompleted);
    }

    [Fact]
    public void Stop_cancels_queued_and_running_tasks_and_kills_their_processes()
    {
        var sink = new RecordingSink();
        var runner = new SubmitTaskRunner(_pool, Request("sh", "-c", "sleep 30 & echo $!; wait"), InvariantItemFormatter.Instance, sink);
        foreach (int i in Enumerable.Range(0, 5))
        {
            runner.Submit(i);
        }

        Thread.Sleep(300);
        var stopper = Task.Run(async () =>
        {
            await Task.Delay(100);
            runner.Stop();
        });
        Assert.Throws<OperationCanceledException>(runner.Complete);
        stopper.Wait();
        runner.Dispose();

        SpinWait.SpinUntil(() => _pool.Outstanding == 0, TimeSpan.FromSeconds(10));
        Assert.Equal(0, _pool.Outstanding);
        Assert.Equal(5, _pool.Completed);
        Assert.Equal(5, _pool.Failed);
    }

    [Fact]
    public void A_long_pipeline_keeps_a_bounded_number_of_tasks_in_flight()
    {
        var sink = new RecordingSink();
        int window = _pool.Pool.DefaultInFlightWindow;
        using var runner = new SubmitTaskRunner(_pool, Request("true"), InvariantItemFormatter.Instance, sink);
        for (int i = 0; i < window + 50; i++)
        {
            runner.Submit(i);
            Assert.True(_pool.Outstanding <= window, $"{_pool.Outstanding} tasks outstanding, window {window}");
        }

        runner.Complete();
        Assert.Equal(window + 50, sink.Objects.Count);
    }
}
