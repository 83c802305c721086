using Repartir.Testing;
using Repartir.Execution;
using Repartir.Scheduling;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Repartir.Tests;

/// <summary>Pools with short kill grace periods, so tests of timeouts and cancels stay quick.</summary>
internal static class TestPools
{
    internal static readonly ProcessExecutorOptions FastKill = new()
    {
        KillGracePeriod = TimeSpan.FromMilliseconds(200),
        OutputDrainGrace = TimeSpan.FromMilliseconds(500),
    };

    internal static Pool Create(int workers = 2, int? maxQueue = null, QueueFullMode mode = QueueFullMode.Wait, ProcessExecutorOptions? process = null, IExecutor? executor = null, IReadOnlyList<string>? gpus = null) =>
        new(new PoolOptions
        {
            Name = "test",
            CpuWorkers = workers,
            Gpus = gpus ?? [], // what the test machine has must not change what a test sees
            MaxQueue = maxQueue,
            QueueFullMode = mode,
            Process = process ?? FastKill,
        }, cpuExecutor: executor);

    /// <summary>Waits for a task's result, failing the test instead of hanging when it never comes.</summary>
    internal static async Task<T> Within<T>(this Task<T> task, int seconds = 30) =>
        await task.WaitAsync(TimeSpan.FromSeconds(seconds));

    /// <summary>Waits (briefly) for a killed process to be gone: SIGKILL is delivered asynchronously, so a grandchild may outlive the result by a moment.</summary>
    internal static Task WaitUntilGone(int pid) => Eventually.TrueAsync(() => !Processes.IsAlive(pid), seconds: 2);
}
