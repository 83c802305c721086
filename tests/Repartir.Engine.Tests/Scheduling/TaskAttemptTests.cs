using Repartir.Scheduling;
using Repartir.Tasks;
using Repartir.Testing;

namespace Repartir.Tests.Scheduling;

/// <summary>The attempt as a backend sees it: take it, run it, conclude it once; the scheduler decides the rest.</summary>
public sealed class TaskAttemptTests
{
    // No CPU workers, and one remote worker that cannot be reached: only the test, acting as a backend, takes the pool's tasks.
    private static Pool BackendOnlyPool() => new(new PoolOptions { Name = "backend", CpuWorkers = 0, Workers = ["127.0.0.1:1"], PlacementTimeout = Timeout.InfiniteTimeSpan });

    private static TaskResult Ran(TaskAttempt attempt, int exitCode, FailureKind failure = FailureKind.None) => new()
    {
        Id = attempt.Id,
        Spec = attempt.Spec,
        Name = attempt.Spec.DisplayName,
        Attempt = attempt.Number,
        ExitCode = failure == FailureKind.None ? exitCode : null,
        Failure = failure,
        Worker = "test-backend",
    };

    [Fact]
    public async Task The_first_conclusion_of_an_attempt_stands_and_later_ones_are_ignored()
    {
        await using Pool pool = BackendOnlyPool();
        Task<TaskResult> task = pool.SubmitAsync(new TaskSpec("anything"));

        TaskAttempt attempt = Assert.IsType<TaskAttempt>(pool.Queues.TryTake(gpu: false));
        Assert.Null(pool.Queues.TryTake(gpu: false)); // taken: nobody else gets it
        attempt.Complete(Ran(attempt, exitCode: 7));
        attempt.Lose(Ran(attempt, exitCode: 0, FailureKind.WorkerLost));
        attempt.Complete(Ran(attempt, exitCode: 0));

        TaskResult result = await task.Within();
        Assert.Equal(7, result.ExitCode);
        Assert.Null(pool.Queues.TryTake(gpu: false)); // and nothing was requeued
    }

    [Fact]
    public async Task A_returned_attempt_is_taken_again_as_if_never_taken_and_a_lost_one_runs_again_counted_as_a_loss()
    {
        await using Pool pool = BackendOnlyPool();
        Task<TaskResult> task = pool.SubmitAsync(new TaskSpec("anything") { Retry = RetryPolicy.WithRetries(3) with { InitialDelay = TimeSpan.Zero } });

        TaskAttempt first = pool.Queues.TryTake(gpu: false)!;
        first.Return();
        TaskAttempt again = pool.Queues.TryTake(gpu: false)!;
        Assert.Equal(first.Number, again.Number);
        again.Lose(Ran(again, exitCode: 0, FailureKind.WorkerLost));
        TaskAttempt rerun = pool.Queues.TryTake(gpu: false)!;
        Assert.Equal(1, rerun.Number); // a loss is not a retry
        rerun.Complete(Ran(rerun, exitCode: 2));
        TaskAttempt? retry = null;
        await Eventually.TrueAsync(() => (retry = pool.Queues.TryTake(gpu: false)) is not null); // after the (zero) back-off
        Assert.Equal(2, retry!.Number);
        retry.Complete(Ran(retry, exitCode: 0));

        TaskResult result = await task.Within();
        Assert.True(result.Success);
        Assert.Equal((Attempt: 2, Losses: 1), (result.Attempt, result.Losses));
    }
}
