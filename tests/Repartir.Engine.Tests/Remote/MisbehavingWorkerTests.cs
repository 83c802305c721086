using System.Net;
using Microsoft.Extensions.Time.Testing;
using Repartir.Remote;
using Repartir.Remote.Wire;
using Repartir.Scheduling;
using Repartir.Tasks;
using Repartir.Testing;

namespace Repartir.Tests.Remote;

/// <summary>Workers that lie, stall or cannot take a task: a pool ends its runs anyway, and never reports a success that did not happen.</summary>
public sealed class MisbehavingWorkerTests
{
    private static Pool PoolOver(string address, TimeProvider? time = null) => new(
        new PoolOptions { Name = "misbehaving", CpuWorkers = 0, Workers = [address], Remote = TestRemote.Fast, Process = TestPools.FastKill },
        timeProvider: time);

    [Fact]
    public async Task A_worker_that_answers_heartbeats_but_never_a_result_cannot_hold_a_task_past_its_timeout()
    {
        await using var worker = new FakeWorker(slots: 1, onSubmit: (_, _) => Task.CompletedTask); // takes the task, says nothing
        var clock = new FakeTimeProvider();
        await using Pool pool = PoolOver(worker.Address, clock);
        Task<TaskResult> task = pool.SubmitAsync(new TaskSpec("sleep", "1") { Timeout = TimeSpan.FromSeconds(2) });
        await Eventually.TrueAsync(() => worker.Received.Any(m => m is Submit));

        clock.Advance(TimeSpan.FromSeconds(2) + pool.Options.Remote.ResultGrace - TimeSpan.FromMilliseconds(1));
        Assert.False(task.IsCompleted); // the deadline's timer runs inside Advance: it would have ended the task by now
        clock.Advance(TimeSpan.FromMilliseconds(2));

        TaskResult result = await task.Within(10);
        Assert.Equal(FailureKind.TimedOut, result.Failure);
        Assert.Contains("returned no result within the task's timeout (2 s) and 10 s more", result.FailureMessage, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => worker.Received.OfType<Cancel>().Any(c => c.TaskId == result.Id.Value)); // and the worker is told to kill it
        Assert.Equal(0, pool.RemoteWorkers[0].Running);
    }

    [Fact]
    public async Task A_task_sent_ahead_starts_its_result_deadline_only_when_a_slot_frees_for_it()
    {
        await using var worker = new FakeWorker(slots: 1, onSubmit: (_, _) => Task.CompletedTask); // takes both, answers neither
        var clock = new FakeTimeProvider();
        await using Pool pool = new(
            new PoolOptions { Name = "ahead", CpuWorkers = 0, Workers = [worker.Address], Remote = TestRemote.Fast with { Prefetch = 1 }, Process = TestPools.FastKill },
            timeProvider: clock);
        TimeSpan limit = TimeSpan.FromSeconds(2) + pool.Options.Remote.ResultGrace;
        Task<TaskResult> first = pool.SubmitAsync(new TaskSpec("sleep", "1") { Timeout = TimeSpan.FromSeconds(2) });
        Task<TaskResult> second = pool.SubmitAsync(new TaskSpec("sleep", "1") { Timeout = TimeSpan.FromSeconds(2) });
        await Eventually.TrueAsync(() => worker.Received.OfType<Submit>().Count() == 2);

        clock.Advance(limit); // the first ran all that time: given up; the second only waited behind it
        Assert.Equal(FailureKind.TimedOut, (await first.Within(10)).Failure);
        Assert.False(second.IsCompleted);

        clock.Advance(limit - TimeSpan.FromMilliseconds(1));
        Assert.False(second.IsCompleted); // its deadline started when the first's slot freed
        clock.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Equal(FailureKind.TimedOut, (await second.Within(10)).Failure);
    }

    [Fact]
    public async Task A_result_whose_exit_code_is_out_of_range_is_refused_and_never_becomes_a_success()
    {
        await using var worker = new FakeWorker(slots: 1, onSubmit: (reply, submit) => reply.SendRawAsync(RawResult(submit, exitCode: 1L << 40)));
        await using Pool pool = PoolOver(worker.Address);

        TaskResult result = await pool.SubmitAsync(new TaskSpec("true")).Within(30);

        Assert.False(result.Success);
        Assert.Equal(FailureKind.WorkerLost, result.Failure); // each answer ended its connection; three lost attempts
        Assert.True(worker.Connections >= 3);
        Assert.Contains("exitCode", result.FailureMessage, StringComparison.Ordinal); // not LastError: a reconnect that succeeds clears it
    }

    [Fact]
    public async Task A_worker_that_announces_no_slots_is_refused_at_the_handshake()
    {
        await using var worker = new FakeWorker(slots: 0, onSubmit: (_, _) => throw new InvalidOperationException("a worker without slots got a task"));
        await using Pool pool = PoolOver(worker.Address);

        await pool.WhenWorkersTriedAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(RemoteWorkerState.Offline, pool.RemoteWorkers[0].State);
        Assert.Equal("Worker fake announced 0 slots; a worker needs at least one.", pool.RemoteWorkers[0].LastError);
    }

    [Fact]
    public async Task A_task_too_large_for_its_worker_fails_alone_as_Rejected_and_the_connection_serves_on()
    {
        await using var worker = new WorkerServer(new WorkerOptions { Bind = new IPEndPoint(IPAddress.Loopback, 0), Name = "small", Slots = 1, MaxFrameLength = 4096, Process = TestPools.FastKill });
        worker.Start();
        await using Pool pool = PoolOver(worker.Address());
        await TestRemote.WaitOnlineAsync(pool);

        TaskResult large = await pool.SubmitAsync(new TaskSpec("echo", new string('x', 8192))).Within();
        TaskResult small = await pool.SubmitAsync(new TaskSpec("echo", "fits")).Within();

        Assert.Equal(FailureKind.Rejected, large.Failure);
        Assert.Contains("cannot be sent to worker small", large.FailureMessage, StringComparison.Ordinal);
        Assert.Equal("fits\n", small.Stdout);
        Assert.Equal(1, pool.RemoteWorkers[0].Connects);
        Assert.Equal(0, pool.RemoteWorkers[0].Lost);
    }

    /// <summary>A result as a broken worker might encode it: the codec's own writer could not produce this exit code.</summary>
    private static byte[] RawResult(Submit submit, long exitCode) =>
        MessagePackTree.Encode(new Map { new("type", "result"), new("taskId", submit.TaskId), new("attempt", (long)submit.Attempt), new("failure", "None"), new("exitCode", exitCode) });
}
