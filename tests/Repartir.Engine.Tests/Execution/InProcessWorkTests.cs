using Repartir.Checkpoints;
using Repartir.Execution;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Tests.Execution;

/// <summary>In-process work (TaskSpec.ForWork): the pool runs it on a CPU worker, with a timeout and a cancel as its token, and its product on the result.</summary>
public sealed class InProcessWorkTests
{
    private sealed class Work(Func<ExecutionSlot, CancellationToken, InProcessOutcome> run) : IInProcessWork
    {
        public InProcessOutcome Run(ExecutionSlot slot, CancellationToken cancellationToken) => run(slot, cancellationToken);
    }

    private static TaskSpec Spec(Func<ExecutionSlot, CancellationToken, InProcessOutcome> run) => TaskSpec.ForWork(new Work(run), "work");

    [Fact]
    public async Task Work_runs_on_a_cpu_worker_and_its_value_comes_back_whether_it_succeeded_or_not()
    {
        await using Pool pool = TestPools.Create();
        TaskResult done = await pool.SubmitAsync(Spec((slot, _) => new InProcessOutcome(slot.Worker, null))).Within();
        Assert.True(done.Success);
        Assert.Equal(0, done.ExitCode);
        Assert.StartsWith("cpu-", (string)done.Value!, StringComparison.Ordinal);
        Assert.Equal(done.Worker, done.Value);
        Assert.Equal("work", done.Name);

        TaskResult failed = await pool.SubmitAsync(Spec((_, _) => new InProcessOutcome(42, "it did not work"))).Within();
        Assert.Equal(FailureKind.WorkFailed, failed.Failure);
        Assert.Equal("it did not work", failed.FailureMessage);
        Assert.Equal(42, failed.Value);

        TaskResult threw = await pool.SubmitAsync(Spec((_, _) => throw new InvalidOperationException("boom"))).Within();
        Assert.Equal(FailureKind.WorkFailed, threw.Failure);
        Assert.Equal("InvalidOperationException: boom", threw.FailureMessage);
        Assert.Equal(3, pool.Statistics.Completed);
    }

    [Fact]
    public async Task A_timeout_or_a_cancel_cancels_the_works_token_and_says_which_it_was()
    {
        await using Pool pool = TestPools.Create();
        TaskResult timedOut = await pool.SubmitAsync(Spec((_, token) =>
        {
            token.WaitHandle.WaitOne(TimeSpan.FromSeconds(60));
            return new InProcessOutcome("stopped", null);
        }) with { Timeout = TimeSpan.FromMilliseconds(100) }).Within();
        Assert.Equal(FailureKind.TimedOut, timedOut.Failure);
        Assert.Equal("stopped", timedOut.Value);

        using var cancel = new CancellationTokenSource();
        using var started = new ManualResetEventSlim();
        Task<TaskResult> running = pool.SubmitAsync(Spec((_, token) =>
        {
            started.Set();
            token.WaitHandle.WaitOne(TimeSpan.FromSeconds(60));
            return new InProcessOutcome(null, null);
        }), cancel.Token);
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        await cancel.CancelAsync();
        Assert.Equal(FailureKind.Cancelled, (await running.Within()).Failure);
    }

    [Fact]
    public async Task Work_is_refused_where_it_cannot_run_and_is_never_journaled()
    {
        await using var pool = new Pool(new PoolOptions { Name = "remote-only", CpuWorkers = 0, Workers = ["127.0.0.1:1"] });
        TaskResult refused = await pool.SubmitAsync(Spec((_, _) => new InProcessOutcome(null, null))).Within();
        Assert.Equal(FailureKind.Rejected, refused.Failure);
        Assert.Contains("no CPU workers of its own: in-process work (a script block) runs on them", refused.FailureMessage, StringComparison.Ordinal);

        TaskSpec remote = Spec((_, _) => new InProcessOutcome(null, null)) with { Backend = Backend.Remote };
        Assert.Contains("runs on this machine's CPU workers", Assert.Throws<InvalidSettingException>(remote.Validate).Message, StringComparison.Ordinal);
        using var key = new JournalKey();
        Assert.Contains("cannot be journaled", Assert.Throws<InvalidSettingException>(() => key.Next(Spec((_, _) => new InProcessOutcome(null, null)), "x")).Message, StringComparison.Ordinal);
    }
}
