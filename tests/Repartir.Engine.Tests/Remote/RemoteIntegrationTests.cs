using Repartir.Testing;
using Repartir.Remote;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Tests.Remote;

/// <summary>A pool against real <c>repartir worker</c> processes on loopback ports, killed and restarted for real.</summary>
public sealed class RemoteIntegrationTests
{
    [Fact]
    public async Task A_worker_killed_with_SIGKILL_mid_run_costs_time_never_results()
    {
        await using WorkerProcess first = await WorkerProcess.StartAsync("first", slots: 2);
        await using WorkerProcess second = await WorkerProcess.StartAsync("second", slots: 2);
        await using WorkerProcess doomed = await WorkerProcess.StartAsync("doomed", slots: 2);
        var log = new MemoryLogger();
        await using Pool pool = TestRemote.Pool([first.EndPoint.ToString(), second.EndPoint.ToString(), doomed.EndPoint.ToString()], logger: log);
        await TestRemote.WaitOnlineAsync(pool);

        Task<TaskResult>[] tasks = [.. Enumerable.Range(0, 120).Select(i => pool.SubmitAsync(new TaskSpec("sh", "-c", $"sleep 0.02; echo {i}")))];
        WorkerClient victim = pool.RemoteWorkers[2];
        await Eventually.TrueAsync(() => victim.Completed >= 5 && victim.Running > 0);
        await doomed.KillAsync();

        TaskResult[] results = await Task.WhenAll(tasks).Within(60);
        Assert.True(results.All(r => r.Success), string.Join('\n', results.Where(r => !r.Success)) + "\n" + log.Text);
        Assert.Equal(Enumerable.Range(0, 120).Select(i => $"{i}\n"), results.Select(r => r.Stdout)); // each exactly once, none mixed up
        Assert.Equal(120, results.Select(r => r.Id).Distinct().Count());
        Assert.True(victim.Lost > 0, "the kill should have caught tasks in flight");
        Assert.Equal(RemoteWorkerState.Offline, victim.State);
        Assert.Contains(results, r => r.Losses >= 1);
        Assert.All(results, r => Assert.Equal(1, r.Attempt)); // losses are not retries
    }

    [Fact]
    public async Task A_restarted_worker_rejoins_and_serves_again()
    {
        WorkerProcess worker = await WorkerProcess.StartAsync("phoenix", slots: 2);
        int port = worker.EndPoint.Port;
        await using Pool pool = TestRemote.Pool([worker.EndPoint.ToString()]);
        await TestRemote.WaitOnlineAsync(pool);
        WorkerClient client = pool.RemoteWorkers[0];
        string firstId = client.WorkerId!;
        Assert.True((await pool.SubmitAsync(new TaskSpec("true")).Within()).Success);

        await worker.KillAsync();
        await worker.DisposeAsync();
        await Eventually.TrueAsync(() => client.State == RemoteWorkerState.Offline);
        Task<TaskResult> waiting = pool.SubmitAsync(new TaskSpec("echo", "again"));

        await using WorkerProcess restarted = await WorkerProcess.StartAsync("phoenix", slots: 2, port);
        Assert.Equal("again\n", (await waiting.Within(30)).Stdout);
        Assert.Equal(RemoteWorkerState.Online, client.State);
        Assert.NotEqual(firstId, client.WorkerId);
        Assert.Equal(2, client.Connects);
    }
}
