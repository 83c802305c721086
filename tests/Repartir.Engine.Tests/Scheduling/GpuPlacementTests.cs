using Repartir.Remote;
using Repartir.Scheduling;
using Repartir.Tasks;
using Repartir.Testing;
using Repartir.Tests.Remote;

namespace Repartir.Tests.Scheduling;

/// <summary>
/// Gpu process tasks placed on nodes with GPUs: this machine's (named to the pool, as REPARTIR_GPUS or detection would)
/// and loopback workers that announce theirs. Each running task is told its own device while devices are free.
/// </summary>
public sealed class GpuPlacementTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>A task that writes the device it was given into a file of its own, then waits for the release file.</summary>
    private TaskSpec Holding(int i) => new("sh", "-c", $"echo \"$CUDA_VISIBLE_DEVICES $REPARTIR_GPU\" > '{_directory.Path}/started-{i}'; while [ ! -e '{_directory.Path}/release' ]; do sleep 0.01; done; cat '{_directory.Path}/started-{i}'")
    {
        Backend = Backend.Gpu,
    };

    private string[] Started() => [.. Directory.GetFiles(_directory.Path, "started-*").Select(f => File.ReadAllText(f).Trim()).Where(text => text.Length > 0)];

    private void Release() => File.WriteAllText(Path.Combine(_directory.Path, "release"), string.Empty);

    [Fact]
    public async Task Local_gpu_tasks_get_a_device_each_and_wait_while_none_is_free()
    {
        await using Pool pool = TestPools.Create(workers: 4, gpus: ["0", "1"]);
        Task<TaskResult>[] tasks = [.. Enumerable.Range(0, 4).Select(i => pool.SubmitAsync(Holding(i)))];

        await Eventually.TrueAsync(() => Started().Length == 2);
        Assert.Equal(["0 0", "1 1"], Started().Order()); // two devices, two tasks, one each
        Assert.Equal(2, pool.Statistics.Queued); // four idle workers, but no free device: the other two wait

        Release();
        TaskResult[] results = await Task.WhenAll(tasks).Within(30);
        Assert.All(results, r => Assert.True(r.Success, r.ToString()));
        Assert.All(results, r => Assert.Equal(Backend.Gpu, r.Backend));
        Assert.All(results, r => Assert.Matches("^cpu-[0-9]+/gpu[01]$", r.Worker));
        Assert.All(results, r => Assert.Equal($"{r.Worker[^1]} {r.Worker[^1]}\n", r.Stdout)); // the device it was told is the one it ran on
    }

    [Fact]
    public async Task A_device_the_task_names_itself_is_kept()
    {
        await using Pool pool = TestPools.Create(workers: 1, gpus: ["3"]);
        TaskResult result = await pool.SubmitAsync(new TaskSpec("sh", "-c", "echo $CUDA_VISIBLE_DEVICES $REPARTIR_GPU")
        {
            Backend = Backend.Gpu,
            Environment = new Dictionary<string, string?> { ["CUDA_VISIBLE_DEVICES"] = "5" },
        }).Within();
        Assert.Equal("5 3\n", result.Stdout);
    }

    [Fact]
    public async Task Without_a_gpu_anywhere_a_gpu_task_is_rejected_at_once_with_the_reason()
    {
        await using Pool pool = TestPools.Create(workers: 2, gpus: []);
        TaskResult result = await pool.SubmitAsync(new TaskSpec("true") { Backend = Backend.Gpu }).Within();
        Assert.Equal(FailureKind.Rejected, result.Failure);
        Assert.Contains("has no GPU", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("REPARTIR_GPUS", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workers_announce_their_gpus_and_gpu_tasks_go_only_to_the_one_with_a_gpu()
    {
        await using WorkerServer plain = TestRemote.StartWorker("plain", slots: 2);
        await using WorkerServer gpu = TestRemote.StartWorker("gpu", slots: 2, gpus: ["7"]);
        await using Pool pool = TestRemote.Pool([plain.Address(), gpu.Address()]);
        await TestRemote.WaitOnlineAsync(pool);
        Assert.Equal([0, 1], pool.RemoteWorkers.Select(w => w.GpuCount));
        Assert.Equal("7", pool.RemoteWorkers[1].Peer!.HostFacts["gpus"]);

        TaskResult[] results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => pool.SubmitAsync(new TaskSpec("sh", "-c", "echo $CUDA_VISIBLE_DEVICES") { Backend = Backend.Gpu }))).Within(60);
        Assert.All(results, r => Assert.True(r.Success, r.ToString()));
        Assert.All(results, r => Assert.Equal("7\n", r.Stdout));
        Assert.All(results, r => Assert.StartsWith("gpu/", r.Worker, StringComparison.Ordinal));
        Assert.All(results, r => Assert.EndsWith("/gpu7", r.Worker, StringComparison.Ordinal));
        Assert.All(results, r => Assert.Equal(Backend.Gpu, r.Backend));
    }

    [Fact]
    public async Task A_remote_worker_runs_no_more_gpu_tasks_than_it_has_gpus()
    {
        await using WorkerServer gpu = TestRemote.StartWorker("gpu", slots: 4, gpus: ["0"]);
        await using Pool pool = TestRemote.Pool([gpu.Address()]);
        await TestRemote.WaitOnlineAsync(pool);
        Task<TaskResult>[] tasks = [.. Enumerable.Range(0, 3).Select(i => pool.SubmitAsync(Holding(i)))];

        await Eventually.TrueAsync(() => Started().Length == 1);
        Task<TaskResult> cpu = pool.SubmitAsync(new TaskSpec("echo", "cpu work still flows") { Backend = Backend.Remote });
        Assert.Equal("cpu work still flows\n", (await cpu.Within()).Stdout); // a free slot, no free GPU: CPU work takes it
        Assert.Single(Started()); // one GPU: one Gpu task at a time
        Assert.Equal(1, pool.RemoteWorkers[0].Running);

        Release();
        Assert.All(await Task.WhenAll(tasks).Within(30), r => Assert.Equal("0 0\n", r.Stdout));
    }

    [Fact]
    public async Task When_every_worker_said_it_has_no_gpu_a_gpu_task_is_rejected_at_once()
    {
        await using WorkerServer first = TestRemote.StartWorker("first", slots: 1);
        await using WorkerServer second = TestRemote.StartWorker("second", slots: 1);
        await using Pool pool = TestRemote.Pool([first.Address(), second.Address()]);
        await TestRemote.WaitOnlineAsync(pool);

        TaskResult result = await pool.SubmitAsync(new TaskSpec("true") { Backend = Backend.Gpu }).Within();
        Assert.Equal(FailureKind.Rejected, result.Failure);
        Assert.Contains("offers a GPU", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains(first.Address(), result.FailureMessage, StringComparison.Ordinal);
    }
}
