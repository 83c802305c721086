using Microsoft.Extensions.Time.Testing;
using Repartir.Testing;
using System.Net;
using System.Net.Sockets;
using Repartir.Remote;
using Repartir.Remote.Wire;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Tests.Remote;

/// <summary>A pool placing tasks on worker daemons in this process, reached over loopback sockets.</summary>
public sealed class RemotePoolTests
{
    [Fact]
    public async Task Tasks_spread_over_several_workers_and_each_yields_one_result()
    {
        await using WorkerServer first = TestRemote.StartWorker("first", slots: 2);
        await using WorkerServer second = TestRemote.StartWorker("second", slots: 2);
        await using Pool pool = TestRemote.Pool([first.Address(), second.Address()]);

        TaskResult[] results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => pool.SubmitAsync(new TaskSpec("echo", $"item {i}")))).Within(60);

        Assert.All(results, r => Assert.True(r.Success, r.ToString()));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"item {i}\n"), results.Select(r => r.Stdout));
        Assert.Equal(200, results.Select(r => r.Id).Distinct().Count());
        Assert.All(results, r => Assert.Equal(Backend.Remote, r.Backend));
        Assert.Equal(["first", "second"], results.Select(r => r.Worker.Split('/')[0]).Distinct().Order());
        Assert.Equal(200, pool.RemoteWorkers.Sum(w => w.Completed));
    }

    [Fact]
    public async Task The_least_loaded_worker_goes_first_and_without_prefetch_none_has_more_tasks_than_its_slots()
    {
        await using WorkerServer small = TestRemote.StartWorker("small", slots: 1);
        await using WorkerServer large = TestRemote.StartWorker("large", slots: 3);
        await using Pool pool = TestRemote.Pool([small.Address(), large.Address()], remote: TestRemote.Fast with { Prefetch = 0 });
        await TestRemote.WaitOnlineAsync(pool);
        WorkerClient one = pool.RemoteWorkers[0], three = pool.RemoteWorkers[1];
        using var release = new CancellationTokenSource();
        var tasks = new List<Task<TaskResult>>();
        async Task PlaceAsync(int small, int large)
        {
            tasks.Add(pool.SubmitAsync(new TaskSpec("sleep", "300"), release.Token));
            await Eventually.TrueAsync(() => one.Running + three.Running == tasks.Count);
            Assert.Equal((small, large), (one.Running, three.Running));
        }

        // One at a time, so each placement sees the last: lowest share of slots in use first, then most free slots.
        await PlaceAsync(small: 0, large: 1); // both idle: the one with more free slots
        await PlaceAsync(small: 1, large: 1); // 0 of 1 beats 1 of 3
        await PlaceAsync(small: 1, large: 2);
        await PlaceAsync(small: 1, large: 3);
        tasks.Add(pool.SubmitAsync(new TaskSpec("true"), release.Token)); // every slot is taken: it waits
        Assert.Equal((1, 3), (one.Running, three.Running));

        await release.CancelAsync();
        Assert.All(await Task.WhenAll(tasks).Within(30), r => Assert.Equal(FailureKind.Cancelled, r.Failure));
    }

    [Fact]
    public async Task A_worker_is_sent_its_prefetch_window_ahead_and_each_waiting_task_runs_when_a_slot_frees()
    {
        await using WorkerServer remote = TestRemote.StartWorker("remote", slots: 1);
        await using Pool pool = TestRemote.Pool([remote.Address()], remote: TestRemote.Fast with { Prefetch = 2 });
        await TestRemote.WaitOnlineAsync(pool);
        using var directory = new TempDirectory();
        string gate = directory.File("go");
        WorkerClient worker = pool.RemoteWorkers[0];

        // Each task waits for the gate, then says which it was; three fit (1 slot + 2 ahead), the fourth waits here.
        Task<TaskResult>[] tasks = [.. Enumerable.Range(1, 4).Select(i => pool.SubmitAsync(new TaskSpec("sh", "-c", $"while [ ! -e {gate} ]; do sleep 0.02; done; echo {i}")))];
        await Eventually.TrueAsync(() => worker is { Running: 1, Waiting: 2 });
        Assert.Equal(1, pool.Statistics.Queued);

        File.WriteAllText(gate, string.Empty);
        TaskResult[] results = await Task.WhenAll(tasks).Within(30);
        Assert.Equal(["1\n", "2\n", "3\n", "4\n"], results.Select(r => r.Stdout));
        Assert.All(results, r => Assert.Equal(1, r.Attempt));
        Assert.Equal((0, 0), (worker.Running, worker.Waiting));
    }

    [Fact]
    public async Task Local_cpu_workers_and_remote_workers_serve_one_pool()
    {
        await using WorkerServer remote = TestRemote.StartWorker("remote", slots: 2);
        await using Pool pool = TestRemote.Pool([remote.Address()], cpuWorkers: 2);
        await TestRemote.WaitOnlineAsync(pool);

        TaskResult[] results = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => pool.SubmitAsync(new TaskSpec("sleep", "0.05")))).Within(60);

        Assert.All(results, r => Assert.True(r.Success, r.ToString()));
        Assert.Contains(results, r => r.Backend == Backend.Cpu);
        Assert.Contains(results, r => r.Backend == Backend.Remote);
    }

    [Fact]
    public async Task Backends_the_pool_lacks_are_rejected_at_once_naming_what_is_missing()
    {
        await using WorkerServer remote = TestRemote.StartWorker("remote", slots: 1);
        await using Pool remoteOnly = TestRemote.Pool([remote.Address()]);
        await using Pool localOnly = TestPools.Create(workers: 1);

        TaskResult cpu = await remoteOnly.SubmitAsync(new TaskSpec("true") { Backend = Backend.Cpu }).Within();
        TaskResult far = await localOnly.SubmitAsync(new TaskSpec("true") { Backend = Backend.Remote }).Within();

        Assert.Equal(FailureKind.Rejected, cpu.Failure);
        Assert.Contains("no CPU workers", cpu.FailureMessage, StringComparison.Ordinal);
        Assert.Equal(FailureKind.Rejected, far.Failure);
        Assert.Contains("no remote workers", far.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pool_needs_somewhere_to_run_and_worker_addresses_must_parse()
    {
        Assert.Equal("CpuWorkers", Assert.Throws<InvalidSettingException>(() => new Pool(new PoolOptions { CpuWorkers = 0 })).ParamName);
        var bad = Assert.Throws<InvalidSettingException>(() => new Pool(new PoolOptions { CpuWorkers = 0, Workers = ["nonsense"] }));
        Assert.Contains("'nonsense' is not HOST:PORT", bad.Message, StringComparison.Ordinal);

        await using WorkerServer remote = TestRemote.StartWorker("remote", slots: 1);
        await using Pool pool = TestRemote.Pool([remote.Address()]);
        Assert.Contains("already has worker", Assert.Throws<InvalidSettingException>(() => pool.AddWorker(remote.Address())).Message, StringComparison.Ordinal);
        var last = await Assert.ThrowsAsync<InvalidOperationException>(() => pool.RemoveWorkerAsync(pool.RemoteWorkers[0]));
        Assert.Contains("last worker", last.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_and_timeouts_reach_the_remote_process()
    {
        await using WorkerServer remote = TestRemote.StartWorker("remote", slots: 2);
        await using Pool pool = TestRemote.Pool([remote.Address()]);
        await TestRemote.WaitOnlineAsync(pool);
        using var cancel = new CancellationTokenSource();
        using var directory = new TempDirectory();
        string started = directory.File("started");

        Task<TaskResult> cancelled = pool.SubmitAsync(new TaskSpec("sh", "-c", $"echo $$; touch {started}; exec sleep 30"), cancel.Token);
        Task<TaskResult> timedOut = pool.SubmitAsync(new TaskSpec("sleep", "30") { Timeout = TimeSpan.FromMilliseconds(300) });
        await Eventually.TrueAsync(() => File.Exists(started)); // its process runs: the cancel must kill it, not stop it starting
        await cancel.CancelAsync();

        TaskResult cancelledResult = await cancelled.Within(10);
        Assert.Equal(FailureKind.Cancelled, cancelledResult.Failure);
        Assert.False(Processes.IsAlive(cancelledResult.ProcessId!.Value));
        Assert.Equal(FailureKind.TimedOut, (await timedOut.Within(10)).Failure);
    }

    [Fact]
    public async Task A_dropped_connection_requeues_running_tasks_and_the_pool_reconnects()
    {
        await using WorkerServer remote = TestRemote.StartWorker("remote", slots: 4);
        await using var proxy = new TcpProxy(remote.LocalEndPoint);
        await using Pool pool = TestRemote.Pool([proxy.Address]);
        await TestRemote.WaitOnlineAsync(pool);

        Task<TaskResult>[] tasks = [.. Enumerable.Range(0, 4).Select(i => pool.SubmitAsync(new TaskSpec("sh", "-c", $"sleep 0.3; echo {i}")))];
        await Eventually.TrueAsync(() => pool.RemoteWorkers[0].Running == 4);
        proxy.DropAll();

        TaskResult[] results = await Task.WhenAll(tasks).Within(30);
        Assert.All(results, r => Assert.True(r.Success, r.ToString()));
        Assert.Equal(["0\n", "1\n", "2\n", "3\n"], results.Select(r => r.Stdout));
        Assert.All(results, r => Assert.Equal((Losses: 1, Attempt: 1), (r.Losses, r.Attempt))); // the lost run counts, as a loss
        WorkerClient worker = pool.RemoteWorkers[0];
        Assert.Equal(2, worker.Connects);
        Assert.Equal(4, worker.Lost);
        Assert.Equal(RemoteWorkerState.Online, worker.State);
    }

    [Fact]
    public async Task A_silent_worker_is_suspected_then_offline_and_its_tasks_move_to_another()
    {
        await using WorkerServer hung = TestRemote.StartWorker("hung", slots: 2);
        await using WorkerServer healthy = TestRemote.StartWorker("healthy", slots: 2);
        await using var proxy = new TcpProxy(hung.LocalEndPoint);
        var clock = new FakeTimeProvider();
        await using Pool pool = TestRemote.Pool([proxy.Address, healthy.Address()], remote: TestRemote.Silence, time: clock);
        await TestRemote.WaitOnlineAsync(pool);
        WorkerClient silent = pool.RemoteWorkers[0];
        WorkerClient talking = pool.RemoteWorkers[1];

        Task<TaskResult>[] tasks = [.. Enumerable.Range(0, 4).Select(_ => pool.SubmitAsync(new TaskSpec("sleep", "1")))];
        await Eventually.TrueAsync(() => silent.Running == 2);
        proxy.Freeze();

        // A heartbeat interval of the pool's clock at a time, each step once the healthy worker was heard at that
        // time (it talks on the real clock): only the frozen one's silence grows, 100 ms a step.
        async Task StepAsync()
        {
            clock.Advance(TestRemote.Silence.HeartbeatInterval);
            await Eventually.TrueAsync(() => talking.LastHeard == clock.GetUtcNow());
        }

        await StepAsync();
        Assert.Equal(RemoteWorkerState.Online, silent.State); // 100 ms of silence is nothing
        await StepAsync();
        await Eventually.TrueAsync(() => silent.State == RemoteWorkerState.Suspected); // 200 ms: two intervals
        for (int step = 3; step <= 6; step++)
        {
            await StepAsync();
        }

        await Eventually.TrueAsync(() => silent.State == RemoteWorkerState.Offline); // 600 ms: the timeout
        Assert.Equal(RemoteWorkerState.Online, talking.State);
        Assert.Contains("No heartbeat for 0.6 s", silent.LastError, StringComparison.Ordinal);

        TaskResult[] results = await Task.WhenAll(tasks).Within(30);
        Assert.All(results, r => Assert.True(r.Success, r.ToString()));
        Assert.All(results, r => Assert.StartsWith("healthy/", r.Worker, StringComparison.Ordinal));
        Assert.Equal(2, results.Count(r => r.Losses == 1));
        Assert.All(results, r => Assert.Equal(1, r.Attempt)); // a loss is not a retry
    }

    [Fact]
    public async Task A_task_lost_with_as_many_workers_as_allowed_comes_back_WorkerLost_without_its_retries()
    {
        await using WorkerServer remote = TestRemote.StartWorker("remote", slots: 1);
        await using var proxy = new TcpProxy(remote.LocalEndPoint);
        await using Pool pool = TestRemote.Pool([proxy.Address], remote: TestRemote.Fast with { MaxWorkerLosses = 2 });
        await TestRemote.WaitOnlineAsync(pool);

        Task<TaskResult> task = pool.SubmitAsync(new TaskSpec("sleep", "30") { Retry = RetryPolicy.WithRetries(5) });
        for (int loss = 1; loss <= 2; loss++)
        {
            int connects = loss;
            await Eventually.TrueAsync(() => pool.RemoteWorkers[0].Running == 1 && pool.RemoteWorkers[0].Connects == connects);
            proxy.DropAll();
        }

        TaskResult result = await task.Within(10);
        Assert.Equal(FailureKind.WorkerLost, result.Failure);
        Assert.Equal(2, result.Losses);
        Assert.Equal(1, result.Attempt); // the retry policy never saw the losses
        Assert.Contains("was lost", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_lost_with_its_worker_leaves_every_retry_to_the_runs_after_it()
    {
        using var directory = new TempDirectory();
        string started = directory.File("started");
        await using WorkerServer remote = TestRemote.StartWorker("remote", slots: 1);
        await using var proxy = new TcpProxy(remote.LocalEndPoint);
        await using Pool pool = TestRemote.Pool([proxy.Address]);
        await TestRemote.WaitOnlineAsync(pool);

        // The first run waits to be lost; every later run fails at once, so the retries are what ends the task.
        var spec = new TaskSpec("sh", "-c", $"if [ -e {started} ]; then exit 3; fi; touch {started}; sleep 30")
        {
            Retry = RetryPolicy.WithRetries(2) with { InitialDelay = TimeSpan.Zero },
        };
        Task<TaskResult> task = pool.SubmitAsync(spec);
        await Eventually.TrueAsync(() => File.Exists(started) && pool.RemoteWorkers[0].Running == 1);
        proxy.DropAll();

        TaskResult result = await task.Within(30);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal(1, result.Losses);
        Assert.Equal(3, result.Attempt); // the first attempt and both retries ran after the loss
    }

    [Fact]
    public async Task A_draining_worker_gets_no_new_tasks_and_what_it_refused_runs_elsewhere()
    {
        await using WorkerServer leaving = TestRemote.StartWorker("leaving", slots: 2);
        await using WorkerServer staying = TestRemote.StartWorker("staying", slots: 2);
        await using Pool pool = TestRemote.Pool([leaving.Address(), staying.Address()]);
        await TestRemote.WaitOnlineAsync(pool);

        Task<TaskResult>[] tasks = [.. Enumerable.Range(0, 20).Select(_ => pool.SubmitAsync(new TaskSpec("sleep", "0.1")))];
        await Eventually.TrueAsync(() => pool.RemoteWorkers[0].Running > 0);
        await leaving.StopAsync(drain: true).WaitAsync(TimeSpan.FromSeconds(10));

        TaskResult[] results = await Task.WhenAll(tasks).Within(30);
        Assert.All(results, r => Assert.True(r.Success, r.ToString()));
        Assert.Contains(results, r => r.Worker.StartsWith("staying/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Workers_report_what_people_read_latency_uptime_slots_and_counters()
    {
        await using WorkerServer remote = TestRemote.StartWorker("reporting", slots: 3);
        await using Pool pool = TestRemote.Pool([remote.Address()]);
        await TestRemote.WaitOnlineAsync(pool);
        Assert.True((await pool.SubmitAsync(new TaskSpec("true")).Within()).Success);
        Assert.False((await pool.SubmitAsync(new TaskSpec("false")).Within()).Success);
        WorkerClient worker = pool.RemoteWorkers[0];
        await Eventually.TrueAsync(() => worker.HeartbeatLatency is not null);

        Assert.Equal("reporting", worker.Name);
        Assert.Equal(remote.Id, worker.WorkerId);
        Assert.Equal(3, worker.Slots);
        Assert.Equal(2, worker.Completed);
        Assert.Equal(1, worker.Failed);
        Assert.InRange(worker.HeartbeatLatency!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.True(worker.Uptime > TimeSpan.Zero);
        Assert.NotNull(worker.LastHeard);
        Assert.Null(worker.LastError);
    }

    [Fact]
    public async Task An_unreachable_worker_is_offline_with_the_reason_and_a_later_start_is_picked_up()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using Pool pool = TestRemote.Pool([$"127.0.0.1:{port}"]);
        await pool.WhenWorkersTriedAsync().WaitAsync(TimeSpan.FromSeconds(10));
        WorkerClient worker = pool.RemoteWorkers[0];
        Assert.Equal(RemoteWorkerState.Offline, worker.State);
        Assert.False(string.IsNullOrEmpty(worker.LastError));

        Task<TaskResult> waiting = pool.SubmitAsync(new TaskSpec("echo", "late"));
        await using var server = new WorkerServer(new WorkerOptions { Bind = new IPEndPoint(IPAddress.Loopback, port), Name = "late", Slots = 1 });
        server.Start();
        Assert.Equal("late\n", (await waiting.Within(20)).Stdout);
    }

    [Fact]
    public async Task A_version_mismatch_leaves_the_worker_offline_with_an_error_naming_both_versions()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task fakeWorker = Task.Run(async () =>
        {
            using TcpClient client = await listener.AcceptTcpClientAsync();
            await using var connection = new Connection(client.GetStream());
            try
            {
                await connection.HandshakeAsync(new Hello(99, "9.0.0", "future", "f", 1, ["Cpu"], 1 << 20, new Dictionary<string, string>()));
            }
            catch (ProtocolException)
            {
                // Expected: the pool speaks another version.
            }
        });

        await using Pool pool = TestRemote.Pool([listener.LocalEndpoint.ToString()!]);
        await pool.WhenWorkersTriedAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await fakeWorker.WaitAsync(TimeSpan.FromSeconds(10));

        WorkerClient worker = pool.RemoteWorkers[0];
        Assert.Equal(RemoteWorkerState.Offline, worker.State);
        Assert.Contains($"version {MessageCodec.ProtocolVersion}", worker.LastError, StringComparison.Ordinal);
        Assert.Contains("version 99", worker.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_result_for_an_attempt_not_in_flight_is_ignored_and_the_task_waits_for_its_own()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task fakeWorker = Task.Run(async () =>
        {
            using TcpClient client = await listener.AcceptTcpClientAsync();
            await using var connection = new Connection(client.GetStream());
            await connection.HandshakeAsync(new Hello(MessageCodec.ProtocolVersion, "0.0.0", "fake", "f", 1, ["Cpu"], 1 << 20, new Dictionary<string, string>()));
            Message? message;
            while ((message = await connection.ReceiveAsync()) is not Submit)
            {
            }

            var submit = (Submit)message!;
            TaskResult Outcome(string text) => new() { Id = new TaskId(submit.TaskId), Name = "x", Spec = submit.Spec, ExitCode = 0, StdoutBytes = System.Text.Encoding.UTF8.GetBytes(text) };
            await connection.SendAsync(new Result(submit.TaskId, submit.Attempt + 5, Outcome("stale\n")));
            await connection.SendAsync(new Result(submit.TaskId, submit.Attempt, Outcome("own\n")));
            while (await connection.ReceiveAsync() is not null)
            {
            }
        });

        await using Pool pool = TestRemote.Pool([listener.LocalEndpoint.ToString()!]);
        TaskResult result = await pool.SubmitAsync(new TaskSpec("echo")).Within(10);

        Assert.Equal("own\n", result.Stdout);
        Assert.Equal(1, pool.RemoteWorkers[0].Completed);
    }

    [Fact]
    public async Task Removing_a_worker_drains_it_and_the_rest_carry_on()
    {
        await using WorkerServer first = TestRemote.StartWorker("first", slots: 2);
        await using WorkerServer second = TestRemote.StartWorker("second", slots: 2);
        await using Pool pool = TestRemote.Pool([first.Address(), second.Address()]);
        await TestRemote.WaitOnlineAsync(pool);
        Task<TaskResult>[] tasks = [.. Enumerable.Range(0, 8).Select(_ => pool.SubmitAsync(new TaskSpec("sleep", "0.2")))];
        await Eventually.TrueAsync(() => pool.RemoteWorkers[0].Running > 0);

        await pool.RemoveWorkerAsync(pool.RemoteWorkers[0]).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Single(pool.RemoteWorkers);
        TaskResult[] results = await Task.WhenAll(tasks).Within(30);
        Assert.All(results, r => Assert.True(r.Success, r.ToString()));
        Assert.All(results, r => Assert.Equal(1, r.Attempt)); // drained, not lost
    }

    [Fact]
    public async Task A_forced_shutdown_cancels_remote_tasks()
    {
        await using WorkerServer remote = TestRemote.StartWorker("remote", slots: 2);
        Pool pool = TestRemote.Pool([remote.Address()], remote: TestRemote.Fast with { Prefetch = 2 });
        await TestRemote.WaitOnlineAsync(pool);
        Task<TaskResult>[] tasks = [.. Enumerable.Range(0, 4).Select(_ => pool.SubmitAsync(new TaskSpec("sleep", "30")))];
        await Eventually.TrueAsync(() => pool.RemoteWorkers[0] is { Running: 2, Waiting: 2 }); // two in its slots, two sent ahead

        await pool.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));

        TaskResult[] results = await Task.WhenAll(tasks).Within(5);
        Assert.All(results, r => Assert.Equal(FailureKind.Cancelled, r.Failure));
        await Eventually.TrueAsync(() => remote.Connections == 0);
    }
}
