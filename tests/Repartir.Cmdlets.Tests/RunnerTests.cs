using Microsoft.Extensions.Time.Testing;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Cmdlets.Tasks;
using Repartir.Scheduling;
using Repartir.Tasks;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Repartir.Cmdlets.Tests;

/// <summary>
/// The logic under the cmdlets that a runspace cannot reach cheaply: the bounded in-flight window, the progress
/// throttle on a fake clock, the thread everything is written from, many handles, names and completion.
/// </summary>
public sealed class RunnerTests : IDisposable
{
    private readonly PoolRegistry _registry = new();
    private readonly PoolInfo _pool;

    public RunnerTests() => _pool = _registry.Create(new PoolOptions { Name = "runner-test", CpuWorkers = 2 })!;

    public void Dispose() => _pool.Pool.Dispose();

    private static SubmitTaskRequest Request(string filePath, params object[] arguments) => new()
    {
        FilePath = filePath,
        Arguments = ArgumentTemplate.Parse(arguments, PlaceholderSyntax.ItemAndProperties),
    };

    [Fact]
    public void A_long_pipeline_keeps_a_bounded_number_of_tasks_in_flight_and_writes_only_from_the_callers_thread()
    {
        var sink = new RecordingSink();
        int window = _pool.Pool.DefaultInFlightWindow;
        using (var runner = new SubmitTaskRunner(_pool, Request("true"), InvariantItemFormatter.Instance, sink))
        {
            for (int i = 0; i < window + 50; i++)
            {
                runner.Submit(i);
                Assert.True(_pool.Outstanding <= window, $"{_pool.Outstanding} tasks outstanding, window {window}");
            }

            runner.Complete();
        }

        Assert.Equal(window + 50, sink.Objects.Count);
        Assert.Equal([Environment.CurrentManagedThreadId], sink.Threads);
    }

    [Fact]
    public void Progress_is_throttled_on_the_clock_shows_the_total_when_input_ends_and_closes_once()
    {
        var clock = new FakeTimeProvider();
        var sink = new RecordingSink();
        var progress = new FanOutProgress(sink, clock);

        progress.Added();
        progress.Added();
        progress.Added();
        Assert.Equal(["0/1+ completed, 0 failed"], sink.Progress.Select(p => p.Status)); // within one interval: one record

        clock.Advance(FanOutProgress.Interval);
        progress.Finished(failed: true);
        progress.InputComplete();
        clock.Advance(TimeSpan.FromSeconds(1));
        progress.Finished(failed: false);
        progress.Close();

        Assert.Equal(["0/1+ completed, 0 failed", "1/3+ completed, 1 failed", "1/3 completed, 1 failed", "2/3 completed, 1 failed", "2/3 completed, 1 failed"], sink.Progress.Select(p => p.Status));
        Assert.Equal(TimeSpan.FromTicks(FanOutProgress.Interval.Ticks + TimeSpan.TicksPerSecond) / 2, sink.Progress[3].Remaining);
        Assert.Equal(66, sink.Progress[3].PercentComplete);
        Assert.Single(sink.Progress, p => p.IsFinal);
        Assert.True(sink.Progress[^1].IsFinal);
    }

    [Fact]
    public void Wait_takes_a_handle_given_twice_once_and_handles_many()
    {
        var submitted = new RecordingSink();
        using (var runner = new SubmitTaskRunner(_pool, Request("true") with { NoWait = true }, InvariantItemFormatter.Instance, submitted))
        {
            foreach (int i in Enumerable.Range(0, 300))
            {
                runner.Submit(i);
            }

            runner.Complete();
        }

        TaskHandle[] handles = [.. submitted.Objects.Cast<TaskHandle>()];
        var sink = new RecordingSink();
        using var wait = new WaitTaskRunner(sink);
        foreach (TaskHandle handle in handles.Append(handles[0]))
        {
            wait.Add(handle);
        }

        wait.Complete(timeout: null);
        Assert.Equal(300, sink.Objects.Cast<TaskResultInfo>().Select(r => r.Id).Distinct().Count());
        Assert.Empty(sink.Errors);
        Assert.Equal("300/300 completed, 0 failed", sink.Progress[^1].Status);
    }

    [Fact]
    public void Wait_gives_up_after_its_timeout_with_an_error_per_unfinished_task()
    {
        var submitted = new RecordingSink();
        using (var runner = new SubmitTaskRunner(_pool, Request("sleep", "{}") with { NoWait = true }, InvariantItemFormatter.Instance, submitted))
        {
            runner.Submit("0");
            runner.Submit("30");
        }

        TaskHandle[] handles = [.. submitted.Objects.Cast<TaskHandle>()];
        var sink = new RecordingSink();
        using (var wait = new WaitTaskRunner(sink))
        {
            Array.ForEach(handles, wait.Add);
            wait.Complete(TimeSpan.FromMilliseconds(500));
        }

        Assert.Single(sink.Objects);
        CommandError error = Assert.Single(sink.Errors);
        Assert.Equal(ErrorRecords.WaitTimedOut, error.ErrorId);
        Assert.Same(handles[1], error.Target);
        Assert.Equal("Pending", handles[1].Status);
        Assert.Contains("did not finish within 0.5 seconds; it is still running", error.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Automatic_pool_names_skip_taken_ones()
    {
        _registry.Create(new PoolOptions { Name = "pool-1", CpuWorkers = 1 })!.Pool.Dispose();
        string next = _registry.NextAutomaticName();
        Assert.Equal("pool-2", next);
        Assert.Null(_registry.Create(new PoolOptions { Name = "POOL-1", CpuWorkers = 1 })); // names are case-insensitive
    }

    [Fact]
    public void Names_complete_by_prefix_case_insensitively_and_are_quoted_when_they_hold_spaces()
    {
        string[] completions = [.. NameCompletion.Complete(["nightly", "Night shift", "daily"], "'nig").Select(c => c.CompletionText)];
        Assert.Equal(["nightly", "'Night shift'"], completions);
    }

    [Fact]
    public void Pool_takes_a_pool_object_or_a_name_and_an_unknown_name_fails_when_used_with_the_name_as_target()
    {
        var attribute = new PoolTransformationAttribute();
        Assert.Same(_pool, attribute.Transform(null!, _pool));

        var missing = (PoolInfo)attribute.Transform(null!, "no-such-pool-" + Guid.NewGuid().ToString("N"));
        TerminatingCommandException error = Assert.Throws<TerminatingCommandException>(missing.Resolve);
        Assert.Equal(ErrorRecords.PoolNotFound, error.Error.ErrorId);
        Assert.Equal(missing.Name, error.Error.Target);
        Assert.Throws<System.Management.Automation.ArgumentTransformationMetadataException>(() => attribute.Transform(null!, 42));
    }
}
