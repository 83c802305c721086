using Repartir.Testing;
using System.Collections.Concurrent;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Tests.Scheduling;

public sealed class PoolTests
{
    [Fact]
    public async Task Runs_at_most_CpuWorkers_tasks_at_once()
    {
        int running = 0;
        int peak = 0;
        await using var pool = TestPools.Create(workers: 3);
        Task<int>[] tasks = Enumerable.Range(0, 30).Select(_ => pool.SubmitAsync(() =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            Thread.Sleep(5);
            Interlocked.Decrement(ref running);
            return now;
        })).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.InRange(peak, 1, 3);
    }

    [Fact]
    public async Task A_free_worker_takes_High_before_Normal_before_Low_and_FIFO_within_a_priority()
    {
        var executor = new FakeExecutor();
        await using var pool = TestPools.Create(workers: 1, executor: executor);
        using var gate = new ManualResetEventSlim();
        Task<bool> blocker = pool.SubmitAsync(() => gate.Wait(TimeSpan.FromSeconds(30)));
        await Eventually.TrueAsync(() => pool.Statistics.Executed == 0 && pool.Statistics.Queued == 0);

        var submitted = new List<Task<TaskResult>>
        {
            pool.SubmitAsync(FakeExecutor.Work(priority: TaskPriority.Low) with { Name = "low-1" }),
            pool.SubmitAsync(FakeExecutor.Work(priority: TaskPriority.Normal) with { Name = "normal-1" }),
            pool.SubmitAsync(FakeExecutor.Work(priority: TaskPriority.High) with { Name = "high-1" }),
            pool.SubmitAsync(FakeExecutor.Work(priority: TaskPriority.Normal) with { Name = "normal-2" }),
            pool.SubmitAsync(FakeExecutor.Work(priority: TaskPriority.High) with { Name = "high-2" }),
            pool.SubmitAsync(FakeExecutor.Work(priority: TaskPriority.Low) with { Name = "low-2" }),
        };
        gate.Set();
        Assert.True(await blocker.Within());
        TaskResult[] results = await Task.WhenAll(submitted).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["high-1", "high-2", "normal-1", "normal-2", "low-1", "low-2"], executor.Attempts.Select(a => results.Single(r => r.Id == a.Id).Name).ToArray());
    }

    [Fact]
    public async Task Idle_workers_steal_forked_work_and_the_counters_show_it()
    {
        await using var pool = TestPools.Create(workers: 2);
        var threads = new ConcurrentDictionary<int, int>();
        int total = await pool.SubmitAsync(() =>
        {
            // Everything is forked onto this worker's own deque: only stealing can put the other worker to use.
            ForkedTask<int>[] children = Enumerable.Range(0, 64).Select(_ => pool.Fork(() =>
            {
                threads.TryAdd(Environment.CurrentManagedThreadId, 0);
                Thread.SpinWait(200_000);
                return 1;
            })).ToArray();
            return children.Sum(c => c.Join());
        }).Within();

        Assert.Equal(64, total);
        Assert.True(pool.Statistics.Steals > 0, "no steals were counted");
        Assert.Equal(2, threads.Count);
    }

    [Fact]
    public async Task Nested_fork_join_deeper_than_the_worker_count_does_not_deadlock()
    {
        await using var pool = TestPools.Create(workers: 2);

        long Fib(int n)
        {
            if (n < 12)
            {
                return n < 2 ? n : Fib(n - 1) + Fib(n - 2);
            }

            ForkedTask<long> left = pool.Fork(() => Fib(n - 1));
            long right = Fib(n - 2);
            return left.Join() + right;
        }

        Assert.Equal(832040L, await pool.SubmitAsync(() => Fib(30)).Within(60));
    }

    [Fact]
    public async Task Fork_from_outside_and_exceptions_propagate_through_Join()
    {
        await using var pool = TestPools.Create(workers: 2);
        Assert.Equal(42, pool.Fork(() => 42).Join());
        ForkedTask<int> failing = pool.Fork<int>(() => throw new InvalidOperationException("boom"));
        Assert.Equal("boom", Assert.Throws<InvalidOperationException>(() => failing.Join()).Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => pool.SubmitAsync<int>(() => throw new InvalidOperationException("x")));
    }

    [Fact]
    public async Task Retries_back_off_exponentially_and_report_the_attempt()
    {
        string counter = Path.GetTempFileName();
        try
        {
            await using var pool = TestPools.Create(workers: 1);
            var retry = new RetryPolicy { MaxRetries = 3, InitialDelay = TimeSpan.FromMilliseconds(100), Multiplier = 2 };
            // Fails twice, then succeeds: each attempt appends a line and checks how many there are.
            TaskResult result = await pool.SubmitAsync(new TaskSpec("sh", "-c", $"echo x >> {counter}; test $(wc -l < {counter}) -ge 3") { Retry = retry }).Within();

            Assert.True(result.Success, result.ToString());
            Assert.Equal(3, result.Attempt);
            Assert.Equal(2, pool.Statistics.Retries);
            string[] lines = await File.ReadAllLinesAsync(counter);
            Assert.Equal(3, lines.Length);
        }
        finally
        {
            File.Delete(counter);
        }
    }

    [Fact]
    public async Task Retries_stop_after_MaxRetries_and_permanent_failures_are_never_retried()
    {
        var executor = new FakeExecutor();
        await using var pool = TestPools.Create(workers: 2, executor: executor);
        var retry = new RetryPolicy { MaxRetries = 2, InitialDelay = TimeSpan.FromMilliseconds(1) };

        TaskResult failing = await pool.SubmitAsync(FakeExecutor.Work(exitCode: 1) with { Retry = retry }).Within();
        Assert.Equal(3, failing.Attempt);
        Assert.Equal(3, executor.Attempts.Count(a => a.Id == failing.Id));

        await using var real = TestPools.Create(workers: 1);
        TaskResult missing = await real.SubmitAsync(new TaskSpec("repartir-no-such-program-4c3e") { Retry = retry }).Within();
        Assert.Equal(FailureKind.NotFound, missing.Failure);
        Assert.Equal(1, missing.Attempt);
        Assert.Equal(0, real.Statistics.Retries);
    }

    [Fact]
    public async Task A_task_waiting_out_its_backoff_does_not_hold_a_worker()
    {
        var executor = new FakeExecutor();
        await using var pool = TestPools.Create(workers: 1, executor: executor);
        Task<TaskResult> retrying = pool.SubmitAsync(FakeExecutor.Work(exitCode: 1) with { Retry = new RetryPolicy { MaxRetries = 1, InitialDelay = TimeSpan.FromSeconds(2) } });
        await Eventually.TrueAsync(() => executor.Attempts.Count == 1);
        TaskResult other = await pool.SubmitAsync(FakeExecutor.Work()).Within(1);

        Assert.True(other.Success);
        Assert.False(retrying.IsCompleted);
        Assert.Equal(2, (await retrying.Within()).Attempt);
    }

    [Fact]
    public async Task Cancelling_a_queued_task_returns_Cancelled_at_once()
    {
        var executor = new FakeExecutor();
        await using var pool = TestPools.Create(workers: 1, executor: executor);
        Task<TaskResult> busy = pool.SubmitAsync(FakeExecutor.Work(milliseconds: 1000));
        using var cancel = new CancellationTokenSource();
        Task<TaskResult> queued = pool.SubmitAsync(FakeExecutor.Work(), cancel.Token);
        await cancel.CancelAsync();

        TaskResult result = await queued.Within(1);
        Assert.Equal(FailureKind.Cancelled, result.Failure);
        Assert.Equal(0, result.Attempt);
        await busy.Within();
        Assert.DoesNotContain(executor.Attempts, a => a.Id == result.Id);
    }

    [Fact]
    public async Task A_full_queue_rejects_with_QueueFull_when_asked_to()
    {
        var executor = new FakeExecutor();
        await using var pool = TestPools.Create(workers: 1, maxQueue: 2, mode: QueueFullMode.Reject, executor: executor);
        Task<TaskResult> running = pool.SubmitAsync(FakeExecutor.Work(milliseconds: 500));
        await Eventually.TrueAsync(() => executor.Attempts.Count == 1);
        Task<TaskResult>[] queued = [pool.SubmitAsync(FakeExecutor.Work()), pool.SubmitAsync(FakeExecutor.Work())];
        TaskResult rejected = await pool.SubmitAsync(FakeExecutor.Work()).Within(1);

        Assert.Equal(FailureKind.Rejected, rejected.Failure);
        Assert.StartsWith("QueueFull", rejected.FailureMessage, StringComparison.Ordinal);
        Assert.All(await Task.WhenAll(queued.Append(running)).WaitAsync(TimeSpan.FromSeconds(30)), r => Assert.True(r.Success));
        Assert.Equal(1, pool.Statistics.Rejected);
    }

    [Fact]
    public async Task A_full_queue_applies_back_pressure_by_default()
    {
        var executor = new FakeExecutor();
        await using var pool = TestPools.Create(workers: 1, maxQueue: 1, executor: executor);
        Task<TaskResult> running = pool.SubmitAsync(FakeExecutor.Work(milliseconds: 300));
        await Eventually.TrueAsync(() => executor.Attempts.Count == 1);
        Task<TaskResult> queued = pool.SubmitAsync(FakeExecutor.Work());
        Task<TaskResult> waiting = pool.SubmitAsync(FakeExecutor.Work());

        Assert.Equal(1, pool.Statistics.Queued);
        TaskResult[] results = await Task.WhenAll(running, queued, waiting).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(results, r => Assert.True(r.Success));
    }

    [Fact]
    public async Task Graceful_shutdown_finishes_queued_work_and_refuses_new_work()
    {
        var executor = new FakeExecutor();
        var pool = TestPools.Create(workers: 1, executor: executor);
        Task<TaskResult>[] work = Enumerable.Range(0, 5).Select(_ => pool.SubmitAsync(FakeExecutor.Work(milliseconds: 20))).ToArray();
        Task shutdown = pool.ShutdownAsync(ShutdownMode.Graceful);
        TaskResult late = await pool.SubmitAsync(FakeExecutor.Work()).Within(1);
        await shutdown.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(await Task.WhenAll(work), r => Assert.True(r.Success));
        Assert.Equal(FailureKind.Rejected, late.Failure);
        Assert.Contains("shutting down", late.FailureMessage, StringComparison.Ordinal);
        Assert.Equal(PoolState.Stopped, pool.State);
        Assert.Throws<InvalidOperationException>(() => pool.Fork(() => 1));
    }

    [Fact]
    public async Task Forced_shutdown_cancels_queued_tasks_and_kills_running_processes()
    {
        using var directory = new TempDirectory();
        string started = directory.File("started");
        var pool = TestPools.Create(workers: 1);
        Task<TaskResult> running = pool.SubmitAsync(new TaskSpec("sh", "-c", $"sleep 60 & echo $!; touch {started}; wait"));
        await Eventually.TrueAsync(() => File.Exists(started)); // the one worker is busy with it
        Task<TaskResult>[] queued = Enumerable.Range(0, 3).Select(_ => pool.SubmitAsync(new TaskSpec("true"))).ToArray();

        await pool.ShutdownAsync(ShutdownMode.Forced).WaitAsync(TimeSpan.FromSeconds(30));

        TaskResult killed = await running.Within();
        Assert.Equal(FailureKind.Cancelled, killed.Failure);
        await TestPools.WaitUntilGone(int.Parse(killed.Stdout.Split('\n')[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.All(await Task.WhenAll(queued), r => Assert.Equal(FailureKind.Cancelled, r.Failure));
    }

    [Fact]
    public async Task A_graceful_shutdown_whose_token_is_already_cancelled_is_forced_and_runs_once()
    {
        var executor = new FakeExecutor();
        var pool = TestPools.Create(workers: 1, executor: executor);
        Task<TaskResult> running = pool.SubmitAsync(FakeExecutor.Work(milliseconds: 60_000));
        await Eventually.TrueAsync(() => executor.Attempts.Count == 1);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        // Its cancellation used to start a second shutdown inside the first, and the two disposed the pool's parts twice.
        await pool.ShutdownAsync(ShutdownMode.Graceful, cancelled.Token).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(FailureKind.Cancelled, (await running.Within()).Failure);
        Assert.Equal(PoolState.Stopped, pool.State);
    }

    [Fact]
    public async Task Disposing_a_pool_ends_its_threads()
    {
        var pool = TestPools.Create(workers: 3);
        await pool.SubmitAsync(() => 1);
        Assert.All(pool.Workers, w => Assert.True(w.IsThreadAlive));
        await pool.DisposeAsync();

        Assert.Equal(PoolState.Stopped, pool.State);
        Assert.All(pool.Workers, w => Assert.False(w.IsThreadAlive));
    }

    [Fact]
    public async Task RunAsync_streams_in_completion_order_or_input_order_when_asked()
    {
        var executor = new FakeExecutor();
        await using var pool = TestPools.Create(workers: 4, executor: executor);
        int[] delays = [200, 10, 100, 0, 50];
        IAsyncEnumerable<TaskSpec> Specs() => delays.Select((d, i) => FakeExecutor.Work(d) with { Name = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToAsyncEnumerable();

        var ordered = new List<string>();
        await foreach (TaskResult r in pool.RunAsync(Specs(), ordered: true))
        {
            ordered.Add(r.Name);
        }

        var unordered = new List<string>();
        await foreach (TaskResult r in pool.RunAsync(Specs(), ordered: false))
        {
            unordered.Add(r.Name);
        }

        Assert.Equal(["0", "1", "2", "3", "4"], ordered);
        Assert.Equal("0", unordered[^1]);
        Assert.Equal(5, unordered.Distinct().Count());
    }

    [Fact]
    public async Task RunAsync_in_input_order_stops_submitting_while_results_behind_a_slow_task_hold_too_much_output()
    {
        var executor = new FakeExecutor();
        await using var pool = TestPools.Create(workers: 2, executor: executor);
        int produced = 0;
        async IAsyncEnumerable<TaskSpec> Specs()
        {
            Interlocked.Increment(ref produced);
            yield return FakeExecutor.Work(milliseconds: 600_000); // the slow head everything else waits behind
            for (int i = 0; i < 200; i++)
            {
                Interlocked.Increment(ref produced);
                yield return FakeExecutor.Work(milliseconds: 5, outputBytes: 1 << 20);
                await Task.Yield();
            }
        }

        using var stop = new CancellationTokenSource();
        IAsyncEnumerator<TaskResult> results = pool.RunAsync(Specs(), ordered: true, cancellationToken: stop.Token).GetAsyncEnumerator();
        Task<bool> head = results.MoveNextAsync().AsTask();
        try
        {
            // The window of results not yet read (128 here) would let 128 MiB pile up behind the head. The input stops
            // once more than 64 MiB are held, counting 1 MiB for each unfinished task past two per worker: at most
            // the head, 65 held, those still unfinished and the spec in hand were ever read.
            await Eventually.TrueAsync(() => pool.Statistics.Completed >= 62);
            int submitted = Volatile.Read(ref produced);
            Assert.True(submitted <= 1 + 65 + pool.DefaultStreamLimits.Parallelism + 1, $"{submitted} specs read with {pool.Statistics.Completed} results held");
            Assert.False(head.IsCompleted);
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await head; // the cancelled head's result, or the run's cancellation
            }
            catch (OperationCanceledException)
            {
            }

            await results.DisposeAsync();
        }
    }

    [Fact]
    public async Task RunAsync_keeps_at_most_the_window_in_flight_and_ending_early_cancels_the_rest()
    {
        var executor = new FakeExecutor();
        await using var pool = TestPools.Create(workers: 2, executor: executor);
        int produced = 0;
        async IAsyncEnumerable<TaskSpec> Endless()
        {
            while (true)
            {
                Interlocked.Increment(ref produced);
                yield return FakeExecutor.Work(milliseconds: 5);
                await Task.Yield();
            }
        }

        int taken = 0;
        await foreach (TaskResult r in pool.RunAsync(Endless(), maxInFlight: 4))
        {
            if (++taken == 20)
            {
                break;
            }
        }

        Assert.InRange(Volatile.Read(ref produced), 20, 20 + 4 + 1);
        await Eventually.TrueAsync(() => pool.Statistics.Outstanding == 0);
    }

    [Fact]
    public async Task Invalid_specs_are_refused_with_the_field_named()
    {
        await using var pool = TestPools.Create(workers: 1);
        Assert.Equal("Executable", Assert.Throws<InvalidSettingException>(() => pool.Submit(new TaskSpec(" "))).ParamName);
        Assert.Equal("Timeout", Assert.Throws<InvalidSettingException>(() => pool.Submit(new TaskSpec("true") { Timeout = TimeSpan.Zero })).ParamName);
        Assert.Equal("Environment", Assert.Throws<InvalidSettingException>(() => pool.Submit(new TaskSpec("true") { Environment = new Dictionary<string, string?> { ["A=B"] = "x" } })).ParamName);
        Assert.Equal("Arguments", Assert.Throws<InvalidSettingException>(() => pool.Submit(new TaskSpec("echo", "a\0b"))).ParamName);
        Assert.Equal("MaxRetries", Assert.Throws<InvalidSettingException>(() => pool.Submit(new TaskSpec("true") { Retry = new RetryPolicy { MaxRetries = -1 } })).ParamName);
    }

    [Fact]
    public void Pool_options_are_validated()
    {
        InvalidSettingException cpuWorkers = Assert.Throws<InvalidSettingException>(() => new Pool(new PoolOptions { CpuWorkers = 0 }));
        Assert.Equal("CpuWorkers", cpuWorkers.ParamName);
        Assert.Equal("CpuWorkers must be between 1 and 4096, not 0 (0 is allowed only when the pool has remote workers).", cpuWorkers.Message); // for people: no .NET suffix
        Assert.Equal("PlacementTimeout", Assert.Throws<InvalidSettingException>(() => new Pool(new PoolOptions { PlacementTimeout = TimeSpan.Zero })).ParamName);
        Assert.Equal("MaxQueue", Assert.Throws<InvalidSettingException>(() => new Pool(new PoolOptions { MaxQueue = 0 })).ParamName);
        Assert.Equal("Name", Assert.Throws<InvalidSettingException>(() => new Pool(new PoolOptions { Name = "" })).ParamName);
    }

    [Fact]
    public async Task Two_pools_in_one_process_never_see_each_other()
    {
        await using var first = TestPools.Create(workers: 1);
        await using var second = TestPools.Create(workers: 1);
        int fromFirst = await first.SubmitAsync(() =>
        {
            // Forking onto the second pool from a worker of the first must go to the second pool's queue.
            ForkedTask<int> crossed = second.Fork(() => Environment.CurrentManagedThreadId);
            return crossed.Join();
        }).Within();

        Assert.Contains(second.Workers, w => w.Executed >= 1);
        Assert.NotEqual(0, fromFirst);
    }

    [Fact]
    public async Task In_process_work_racing_a_shutdown_either_runs_or_is_refused_never_stranded()
    {
        for (int round = 0; round < 200; round++)
        {
            var pool = TestPools.Create(workers: 2);
            var submitted = new List<Task<int>>();
            Task submitter = Task.Run(() =>
            {
                for (int i = 0; i < 50; i++)
                {
                    try
                    {
                        submitted.Add(pool.SubmitAsync(() => 1));
                    }
                    catch (InvalidOperationException)
                    {
                        return; // refused: the pool is shutting down
                    }
                }
            });
            await pool.ShutdownAsync(ShutdownMode.Graceful).WaitAsync(TimeSpan.FromSeconds(10));
            await submitter;
            Assert.All(await Task.WhenAll(submitted).WaitAsync(TimeSpan.FromSeconds(10)), v => Assert.Equal(1, v));
        }
    }

    [Fact]
    public async Task Work_running_during_a_graceful_shutdown_can_still_fork_and_join()
    {
        var pool = TestPools.Create(workers: 2);
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Task<int> parent = pool.SubmitAsync(() =>
        {
            started.Set();
            release.Wait(TimeSpan.FromSeconds(30));
            return Enumerable.Range(0, 10).Select(i => pool.Fork(() => i)).ToArray().Sum(f => f.Join());
        });
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        Task shutdown = pool.ShutdownAsync(ShutdownMode.Graceful);
        Assert.Throws<InvalidOperationException>(() => pool.Fork(() => 0)); // from outside: refused
        release.Set();

        Assert.Equal(45, await parent.Within());
        await shutdown.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(pool.Workers, w => Assert.False(w.IsThreadAlive));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    [Fact]
    public async Task RunAsync_turns_an_invalid_spec_into_one_Rejected_result_and_goes_on()
    {
        await using Pool pool = TestPools.Create(workers: 2);
        TaskSpec[] specs = [new("echo", "a"), new("echo", "b\0c"), new("echo", "d")];

        var results = new List<TaskResult>();
        await foreach (TaskResult result in pool.RunAsync(specs.ToAsyncEnumerable(), ordered: true))
        {
            results.Add(result);
        }

        Assert.Equal(["a\n", "", "d\n"], results.Select(r => r.Stdout));
        Assert.Equal(FailureKind.Rejected, results[1].Failure);
        Assert.Equal("Invalid task: Argument 0 contains a NUL character, which no program can receive.", results[1].FailureMessage);
        Assert.Equal(3, results.Select(r => r.Id).Distinct().Count());
    }
}
