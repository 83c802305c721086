using System.Net.Sockets;
using Repartir.Monitoring;
using Repartir.Remote;
using Repartir.Remote.Wire;
using Repartir.Scheduling;
using Repartir.Tasks;
using Repartir.Testing;
using Repartir.Tests.Remote;

namespace Repartir.Tests.Monitoring;

/// <summary>The monitor role in the protocol, and the snapshots the monitors draw: a worker's figures for every coordinator, a pool's own.</summary>
public sealed class MonitorTests
{
    private static Pool Monitor(params WorkerServer[] workers) => TestRemote.Pool(workers.Select(w => w.Address()), remote: TestRemote.Fast with { Observe = true });

    [Fact]
    public async Task A_monitor_sees_what_every_coordinator_runs_on_its_workers_and_the_longest_running_tasks()
    {
        await using WorkerServer a = TestRemote.StartWorker("a", slots: 2);
        await using WorkerServer b = TestRemote.StartWorker("b", slots: 2);
        await using Pool first = TestRemote.Pool([a.Address()]);
        await using Pool second = TestRemote.Pool([b.Address()]);
        await using Pool monitor = Monitor(a, b);
        using var stop = new CancellationTokenSource();

        Task<TaskResult> slow = first.SubmitAsync(new TaskSpec("sleep", "30") { Name = "the slow one" }, stop.Token);
        Task<TaskResult> quick = second.SubmitAsync(new TaskSpec("true"));
        Assert.True((await quick).Success);
        Task<TaskResult> other = second.SubmitAsync(new TaskSpec("sleep", "30"), stop.Token);

        ClusterSnapshot? seen = null;
        await Eventually.TrueAsync(() => (seen = SnapshotCapture.Capture(monitor)) is { Running: 2, Completed: 1, WorkersActive: 2 } && seen.LongestRunning.Count == 2, 30);
        Assert.Equal("2 workers", seen!.Source);
        Assert.Equal(["a", "b"], seen.Workers.Select(w => w.Name));
        Assert.All(seen.Workers, w => Assert.Equal("Online", w.Status));
        Assert.All(seen.Workers, w => Assert.Equal(2, w.Slots));
        Assert.Equal(1, seen.Workers[1].Completed); // b's own count, though another pool sent the task
        RunningTaskRow longest = seen.LongestRunning[0];
        Assert.Equal("the slow one", longest.Name);
        Assert.Equal("a", longest.Worker);
        Assert.EndsWith("/remote-test", longest.Coordinator, StringComparison.Ordinal);
        Assert.True(seen.LongestRunning[0].Elapsed >= seen.LongestRunning[1].Elapsed);

        // Monitors only observe: the worker counts its coordinators without them, and no task of theirs ever reaches it.
        Assert.Equal(1, a.Coordinators);
        Assert.Equal(2, a.Connections);
        TaskResult refused = await monitor.SubmitAsync(new TaskSpec("true"));
        Assert.Equal(FailureKind.Rejected, refused.Failure);
        Assert.Contains("observes its workers (a monitor): it runs no tasks", refused.FailureMessage, StringComparison.Ordinal);

        await stop.CancelAsync();
        Assert.Equal(FailureKind.Cancelled, (await slow).Failure);
        Assert.Equal(FailureKind.Cancelled, (await other).Failure);
    }

    [Fact]
    public async Task A_worker_refuses_a_task_sent_on_a_monitors_connection()
    {
        await using WorkerServer worker = TestRemote.StartWorker("w", slots: 1);
        using var client = new TcpClient();
        await client.ConnectAsync(worker.LocalEndPoint);
        await using var connection = new Connection(client.GetStream());
        Hello answer = await connection.HandshakeAsync(new Hello(MessageCodec.ProtocolVersion, "0.1.0", "sneaky", "s", 0, [], 1 << 20, new Dictionary<string, string>(), Hello.MonitorRole)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Hello.WorkerRole, answer.Role);

        // Its first status comes at once, before any heartbeat interval.
        Message first = await connection.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("closed");
        Assert.Equal("Serving", Assert.IsType<WorkerStatus>(first).State);

        await connection.SendAsync(new Submit(1, 1, new TaskSpec("touch", "/tmp/never")));
        Result result;
        while (true)
        {
            Message? message = await connection.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            if (message is Result r)
            {
                result = r;
                break;
            }

            Assert.True(message is Heartbeat or WorkerStatus, $"unexpected {message}");
        }

        Assert.Equal(FailureKind.Rejected, result.Outcome.Failure);
        Assert.Contains("a monitor connection only observes", result.Outcome.FailureMessage, StringComparison.Ordinal);
        Assert.Equal(0, worker.Completed);
    }

    [Fact]
    public async Task A_pools_own_view_counts_its_tasks_here_and_on_each_worker()
    {
        await using WorkerServer worker = TestRemote.StartWorker("remote", slots: 1);
        await using Pool pool = TestRemote.Pool([worker.Address()], cpuWorkers: 1);
        await TestRemote.WaitOnlineAsync(pool);
        using var stop = new CancellationTokenSource();
        Task<TaskResult> here = pool.SubmitAsync(new TaskSpec("sleep", "30") { Name = "here", Backend = Backend.Cpu }, stop.Token);
        Task<TaskResult> there = pool.SubmitAsync(new TaskSpec("sleep", "30") { Name = "there", Backend = Backend.Remote }, stop.Token);

        ClusterSnapshot? seen = null;
        await Eventually.TrueAsync(() => (seen = SnapshotCapture.Capture(pool)).LongestRunning.Count == 2 && seen.Workers[1].SlotsUsed == 1, 30);
        Assert.Equal("pool 'remote-test'", seen!.Source);
        Assert.Equal(2, seen.Running);
        Assert.Equal(2, seen.WorkersActive);
        Assert.Equal([SnapshotCapture.LocalAddress, worker.Address()], seen.Workers.Select(w => w.Address));
        Assert.Equal(1, seen.Workers[0].Running);
        Assert.Equal(1, seen.Workers[1].Running);
        Assert.Equal(["here", "there"], seen.LongestRunning.Select(t => t.Name).Order());
        Assert.Contains(seen.LongestRunning, t => t.Name == "there" && t.Worker == "remote");
        Assert.Null(seen.EstimatedTimeLeft); // nothing has completed: no pace to go by

        await stop.CancelAsync();
        await Task.WhenAll(here, there);
        ClusterSnapshot after = SnapshotCapture.Capture(pool);
        Assert.Empty(after.LongestRunning);
        Assert.Equal(2, after.Completed);
        Assert.Equal(2, after.Failed);
        Assert.Equal(1, after.Workers[0].Completed);
        Assert.Equal(1, after.Workers[1].Completed);
    }

    [Fact]
    public async Task A_worker_that_cannot_be_reached_is_Offline_with_the_reason_and_counts_for_nothing()
    {
        await using WorkerServer worker = TestRemote.StartWorker("up", slots: 1);
        // Bound and not listening: connections are refused, and no other test's worker can take the port meanwhile.
        using var unused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        unused.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        string closed = unused.LocalEndPoint!.ToString()!;
        await using Pool monitor = TestRemote.Pool([worker.Address(), closed], remote: TestRemote.Fast with { Observe = true });
        await monitor.WhenWorkersTriedAsync();

        ClusterSnapshot? seen = null;
        await Eventually.TrueAsync(() => (seen = SnapshotCapture.Capture(monitor)).Workers[0].Uptime is not null, 30);
        Assert.Equal(1, seen!.WorkersActive);
        Assert.Equal(2, seen.WorkersTotal);
        WorkerRow down = seen.Workers[1];
        Assert.Equal("Offline", down.Status);
        Assert.NotNull(down.Problem);
        Assert.Null(down.SlotsUsed);
        Assert.Contains($"{closed} Offline", MonitorView.PlainLine(seen), StringComparison.Ordinal);
    }
}
