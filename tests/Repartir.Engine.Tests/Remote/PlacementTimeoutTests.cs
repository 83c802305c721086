using Microsoft.Extensions.Time.Testing;
using Repartir.Remote;
using Repartir.Scheduling;
using Repartir.Tasks;
using Repartir.Testing;

namespace Repartir.Tests.Remote;

/// <summary>
/// A pool whose workers are all gone ends its runs: tasks only those workers may run wait at most the placement
/// timeout (on a fake clock here), then come back NoWorker. Waiting for busy workers is never cut short.
/// </summary>
public sealed class PlacementTimeoutTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The fake clock leaps minutes at a time here: heartbeats and connection attempts are on it too, so they are
    /// set beyond those leaps, and only the placement timeout is in play.
    /// </summary>
    private static readonly RemoteOptions Remote = TestRemote.Fast with
    {
        HeartbeatInterval = TimeSpan.FromHours(1),
        HeartbeatTimeout = TimeSpan.FromHours(5),
        ConnectTimeout = TimeSpan.FromHours(1),
    };

    private static Pool PoolOver(string[] workers, FakeTimeProvider clock, int cpuWorkers = 0) => new(
        new PoolOptions { Name = "placement", CpuWorkers = cpuWorkers, Workers = workers, Remote = Remote, PlacementTimeout = Limit, Process = TestPools.FastKill, Gpus = [] },
        timeProvider: clock);

    /// <summary>Advances the fake clock a second at a time, as the placement's timer would see real time pass.</summary>
    private static void Pass(FakeTimeProvider clock, TimeSpan span)
    {
        for (var passed = TimeSpan.Zero; passed < span; passed += TimeSpan.FromSeconds(1))
        {
            clock.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public async Task Tasks_for_an_unreachable_only_worker_wait_the_placement_timeout_then_come_back_NoWorker()
    {
        var clock = new FakeTimeProvider();
        await using Pool pool = PoolOver(["127.0.0.1:1"], clock);
        await pool.WhenWorkersTriedAsync();
        Task<TaskResult>[] tasks = [pool.SubmitAsync(new TaskSpec("true")), pool.SubmitAsync(new TaskSpec("true") { Backend = Backend.Remote })];

        Pass(clock, Limit - TimeSpan.FromSeconds(2));
        Assert.All(tasks, t => Assert.False(t.IsCompleted));

        Pass(clock, TimeSpan.FromSeconds(4));
        TaskResult[] results = await Task.WhenAll(tasks).Within(10);
        Assert.All(results, r => Assert.Equal(FailureKind.NoWorker, r.Failure));
        Assert.All(results, r => Assert.Equal(0, r.Attempt));
        Assert.Equal("No worker of pool 'placement' could take the task within 30 s (PlacementTimeout): 127.0.0.1:1 is Offline (Connection refused).", results[0].FailureMessage);
        Assert.Equal(2, pool.Statistics.Failed);
    }

    [Fact]
    public async Task Remote_only_tasks_give_up_while_the_pools_own_workers_keep_running_the_others()
    {
        var clock = new FakeTimeProvider();
        await using Pool pool = PoolOver(["127.0.0.1:1"], clock, cpuWorkers: 1);
        await pool.WhenWorkersTriedAsync();
        Task<TaskResult> remoteOnly = pool.SubmitAsync(new TaskSpec("true") { Backend = Backend.Remote });
        Task<TaskResult> anywhere = pool.SubmitAsync(new TaskSpec("true"));

        Assert.True((await anywhere.Within()).Success);
        Pass(clock, Limit + TimeSpan.FromSeconds(2));
        Assert.Equal(FailureKind.NoWorker, (await remoteOnly.Within(10)).Failure);
    }

    [Fact]
    public async Task Gpu_tasks_give_up_when_only_workers_without_a_gpu_stay_usable_and_say_which_is_which()
    {
        var clock = new FakeTimeProvider();
        await using WorkerServer plain = TestRemote.StartWorker("plain", slots: 1);
        await using Pool pool = PoolOver(["127.0.0.1:1", plain.Address()], clock);
        await pool.WhenWorkersTriedAsync();
        await Eventually.TrueAsync(() => pool.RemoteWorkers[1].State == RemoteWorkerState.Online);

        // 127.0.0.1:1 never said whether it has a GPU: the task waits for it rather than being refused at once.
        Task<TaskResult> gpu = pool.SubmitAsync(new TaskSpec("true") { Backend = Backend.Gpu });
        Assert.True((await pool.SubmitAsync(new TaskSpec("true") { Backend = Backend.Remote }).Within()).Success); // the plain worker is usable
        Pass(clock, Limit - TimeSpan.FromSeconds(2));
        Assert.False(gpu.IsCompleted);

        Pass(clock, TimeSpan.FromSeconds(4));
        TaskResult result = await gpu.Within(10);
        Assert.Equal(FailureKind.NoWorker, result.Failure);
        Assert.Equal($"No worker of pool 'placement' with a GPU could take the task within 30 s (PlacementTimeout): 127.0.0.1:1 is Offline (Connection refused); {plain.Address()} has no GPU.", result.FailureMessage);
    }

    [Fact]
    public async Task Waiting_for_a_busy_worker_is_never_limited_and_a_worker_back_in_time_takes_the_task()
    {
        var clock = new FakeTimeProvider();
        await using WorkerServer busy = TestRemote.StartWorker("busy", slots: 1);
        await using Pool pool = PoolOver([busy.Address()], clock);
        await TestRemote.WaitOnlineAsync(pool);
        using var release = new CancellationTokenSource();
        Task<TaskResult> first = pool.SubmitAsync(new TaskSpec("sleep", "300"), release.Token);
        await Eventually.TrueAsync(() => pool.RemoteWorkers[0].Running == 1);
        Task<TaskResult> second = pool.SubmitAsync(new TaskSpec("echo", "second"));

        Pass(clock, Limit * 3);
        Assert.False(second.IsCompleted);

        await release.CancelAsync();
        Assert.Equal(FailureKind.Cancelled, (await first.Within()).Failure);
        Assert.Equal("second\n", (await second.Within()).Stdout);
    }

    [Fact]
    public async Task The_limit_counts_from_when_the_workers_went_away_not_from_when_the_task_was_queued()
    {
        var clock = new FakeTimeProvider();
        WorkerServer worker = TestRemote.StartWorker("leaving", slots: 1);
        await using Pool pool = PoolOver([worker.Address()], clock);
        await TestRemote.WaitOnlineAsync(pool);
        using var release = new CancellationTokenSource();
        Task<TaskResult> running = pool.SubmitAsync(new TaskSpec("sleep", "300"), release.Token);
        await Eventually.TrueAsync(() => pool.RemoteWorkers[0].Running == 1);
        Task<TaskResult> queued = pool.SubmitAsync(new TaskSpec("true"));
        Pass(clock, Limit * 2); // queued long ago, behind a busy worker

        await worker.DisposeAsync(); // the worker goes away: both tasks now wait for a place
        await Eventually.TrueAsync(() => pool.RemoteWorkers[0].State == RemoteWorkerState.Offline);
        Pass(clock, TimeSpan.FromSeconds(5));
        Assert.False(queued.IsCompleted);

        Pass(clock, Limit);
        Assert.Equal(FailureKind.NoWorker, (await queued.Within(10)).Failure);
        Assert.Equal(FailureKind.NoWorker, (await running.Within(10)).Failure);
    }

    [Fact]
    public async Task A_worker_stopped_at_once_hands_its_running_tasks_back_and_they_run_on_another()
    {
        await using WorkerServer stopped = TestRemote.StartWorker("stopped", slots: 1);
        await using WorkerServer other = TestRemote.StartWorker("other", slots: 1);
        await using Pool pool = TestRemote.Pool([stopped.Address(), other.Address()]);
        await TestRemote.WaitOnlineAsync(pool);
        Task<TaskResult>[] tasks = [pool.SubmitAsync(new TaskSpec("sh", "-c", "sleep 1; echo a")), pool.SubmitAsync(new TaskSpec("sh", "-c", "sleep 1; echo b"))];
        await Eventually.TrueAsync(() => pool.RemoteWorkers.All(w => w.Running == 1));

        await stopped.StopAsync(drain: false);

        TaskResult[] results = await Task.WhenAll(tasks).Within(30);
        Assert.All(results, r => Assert.True(r.Success, r.ToString()));
        Assert.All(results, r => Assert.StartsWith("other/", r.Worker, StringComparison.Ordinal));
        TaskResult handedBack = Assert.Single(results, r => r.Losses == 1);
        Assert.Equal(1, pool.RemoteWorkers[0].Lost);
        Assert.Equal(0, pool.RemoteWorkers[0].Failed);
    }
}
