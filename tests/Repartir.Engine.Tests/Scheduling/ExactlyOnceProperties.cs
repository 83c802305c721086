using FsCheck;
using FsCheck.Fluent;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Tests.Scheduling;

/// <summary>
/// The pool's central promise, checked over random scenarios: whatever mix of concurrent submits,
/// cancels and shutdowns happens, every submitted task gets exactly one result, promptly, and no
/// attempt runs twice.
/// </summary>
public sealed class ExactlyOnceProperties
{
    /// <summary>One generated scenario.</summary>
    public sealed record Scenario(int Workers, int Submitters, int TasksEach, int CancelEvery, int MaxQueue, bool Reject, int ShutdownAfterMs, bool Forced, int RetryEvery, int Seed);

    private static readonly Gen<Scenario> Scenarios =
        from workers in Gen.Choose(1, 4)
        from submitters in Gen.Choose(1, 4)
        from tasksEach in Gen.Choose(0, 60)
        from cancelEvery in Gen.Choose(0, 5)
        from maxQueue in Gen.Choose(0, 20)
        from reject in Gen.Elements(true, false)
        from shutdownAfter in Gen.Choose(-1, 40)
        from forced in Gen.Elements(true, false)
        from retryEvery in Gen.Choose(0, 4)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Scenario(workers, submitters, tasksEach, cancelEvery, maxQueue, reject, shutdownAfter, forced, retryEvery, seed);

    [Fact]
    public void Every_submitted_task_yields_exactly_one_result()
    {
        Prop.ForAll(Scenarios.ToArbitrary(), scenario => Holds(scenario))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    private static bool Holds(Scenario scenario)
    {
        var executor = new FakeExecutor();
        var pool = TestPools.Create(
            workers: scenario.Workers,
            maxQueue: scenario.MaxQueue == 0 ? null : scenario.MaxQueue,
            mode: scenario.Reject ? QueueFullMode.Reject : QueueFullMode.Wait,
            executor: executor);
        var submitted = new System.Collections.Concurrent.ConcurrentBag<(SubmittedTask Task, bool Cancelled)>();
        var cancellations = new List<CancellationTokenSource>();
        try
        {
            Task[] submitters = Enumerable.Range(0, scenario.Submitters).Select(s => Task.Run(() =>
            {
                var random = new Random(scenario.Seed + s);
                for (int i = 0; i < scenario.TasksEach; i++)
                {
                    var spec = FakeExecutor.Work(random.Next(0, 3), exitCode: scenario.RetryEvery > 0 && i % scenario.RetryEvery == 0 ? 1 : 0, (TaskPriority)random.Next(0, 3))
                        with { Retry = new RetryPolicy { MaxRetries = random.Next(0, 3), InitialDelay = TimeSpan.FromMilliseconds(random.Next(0, 5)) } };
                    bool cancel = scenario.CancelEvery > 0 && i % scenario.CancelEvery == 0;
                    var cancellation = new CancellationTokenSource();
                    lock (cancellations)
                    {
                        cancellations.Add(cancellation);
                    }

                    submitted.Add((pool.Submit(spec, cancellation.Token), cancel));
                    if (cancel)
                    {
                        cancellation.CancelAfter(random.Next(0, 4));
                    }
                }
            })).ToArray();

            Task? shutdown = null;
            if (scenario.ShutdownAfterMs >= 0)
            {
                Thread.Sleep(scenario.ShutdownAfterMs);
                shutdown = pool.ShutdownAsync(scenario.Forced ? ShutdownMode.Forced : ShutdownMode.Graceful);
            }

            Task.WaitAll(submitters, TimeSpan.FromSeconds(30));
            (SubmittedTask Task, bool Cancelled)[] all = submitted.ToArray();
            if (!Task.WaitAll(all.Select(s => (Task)s.Task.Completion).ToArray(), TimeSpan.FromSeconds(30)))
            {
                throw new InvalidOperationException($"{all.Count(s => !s.Task.Completion.IsCompleted)} of {all.Length} tasks never got a result");
            }

            shutdown?.Wait(TimeSpan.FromSeconds(30));
            var ids = all.Select(s => s.Task.Id).ToArray();
            if (ids.Distinct().Count() != ids.Length)
            {
                throw new InvalidOperationException("a task id was issued twice");
            }

            foreach ((SubmittedTask task, bool _) in all)
            {
                TaskResult result = task.Completion.Result;
                if (result.Id != task.Id)
                {
                    throw new InvalidOperationException($"task {task.Id} got the result of {result.Id}");
                }
            }

            var attemptsRun = executor.Attempts.GroupBy(a => (a.Id, a.Attempt)).Where(g => g.Count() > 1).ToArray();
            if (attemptsRun.Length > 0)
            {
                throw new InvalidOperationException($"attempt {attemptsRun[0].Key} ran {attemptsRun[0].Count()} times");
            }

            foreach ((SubmittedTask task, bool _) in all)
            {
                int ran = executor.Attempts.Count(a => a.Id == task.Id);
                if (ran != Math.Max(0, task.Completion.Result.Attempt))
                {
                    throw new InvalidOperationException($"task {task.Id} ran {ran} attempts but reports attempt {task.Completion.Result.Attempt}");
                }
            }

            return true;
        }
        finally
        {
            pool.Dispose();
            foreach (CancellationTokenSource cancellation in cancellations)
            {
                cancellation.Dispose();
            }
        }
    }
}
