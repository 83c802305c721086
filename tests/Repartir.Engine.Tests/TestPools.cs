using Repartir.Execution;
using Repartir.Scheduling;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Repartir.Tests;

/// <summary>Pools with short kill grace periods, so tests of timeouts and cancels stay quick.</summary>
internal static class TestPools
{
    /// <summary>
    /// The test host blocks a few thread-pool threads for the whole run, and on a 2-core machine the pool
    /// starts with two: async code then waits up to a second for the pool to grow, long enough for a
    /// remote-worker test with sub-second heartbeat timeouts to see a healthy worker as lost.
    /// </summary>
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void GiveTheThreadPoolRoom()
    {
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), completionPorts);
    }

    internal static readonly ProcessExecutorOptions FastKill = new()
    {
        KillGracePeriod = TimeSpan.FromMilliseconds(200),
        OutputDrainGrace = TimeSpan.FromMilliseconds(500),
    };

    internal static Pool Create(int workers = 2, int? maxQueue = null, QueueFullMode mode = QueueFullMode.Wait, ProcessExecutorOptions? process = null, IExecutor? executor = null) =>
        new(new PoolOptions
        {
            Name = "test",
            CpuWorkers = workers,
            MaxQueue = maxQueue,
            QueueFullMode = mode,
            Process = process ?? FastKill,
        }, cpuExecutor: executor);

    /// <summary>Waits for a task's result, failing the test instead of hanging when it never comes.</summary>
    internal static async Task<T> Within<T>(this Task<T> task, int seconds = 30) =>
        await task.WaitAsync(TimeSpan.FromSeconds(seconds));

    /// <summary>Polls <paramref name="condition"/> until it holds, failing the test after <paramref name="seconds"/>.</summary>
    internal static async Task WaitUntil(Func<bool> condition, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    /// <summary>Waits (briefly) for a killed process to be gone: SIGKILL is delivered asynchronously, so a grandchild may outlive the result by a moment.</summary>
    internal static Task WaitUntilGone(int pid) => WaitUntil(() => !IsAlive(pid), seconds: 2);

    /// <summary>True while a process with this id exists and is not a zombie.</summary>
    internal static bool IsAlive(int pid)
    {
        string stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return false;
        }

        try
        {
            string text = File.ReadAllText(stat);
            char state = text[text.LastIndexOf(')') + 2];
            return state is not 'Z' and not 'X';
        }
        catch (IOException)
        {
            return false;
        }
    }
}

/// <summary>A temporary directory removed when disposed.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("repartir-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
