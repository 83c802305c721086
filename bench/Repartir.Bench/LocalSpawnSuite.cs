using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Repartir.Execution.Native;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Bench;

/// <summary>
/// local-spawn: N × /bin/true through the pool (output captured, concurrency = cores), interleaved with
/// <c>xargs -P cores -n 1 /bin/true</c> and with a raw posix_spawn + waitpid loop (the spawn ceiling).
/// </summary>
internal static unsafe class LocalSpawnSuite
{
    internal static JsonObject Run(int tasks, int pairs, int workers)
    {
        Console.WriteLine($"local-spawn: {tasks} x /bin/true, {workers} workers, {pairs} interleaved rounds");
        using var pool = new Pool(new PoolOptions { Name = "bench", CpuWorkers = workers });
        Measurement.Warm(() => RepartirRound(pool, 200));
        Measurement.Warm(() => XargsRound(200, workers));
        Measurement.Warm(() => CeilingRound(200, workers));

        var repartir = new List<double>();
        var xargs = new List<double>();
        var ceiling = new List<double>();
        for (int i = 0; i < pairs; i++)
        {
            repartir.Add(tasks / Measurement.Seconds(() => RepartirRound(pool, tasks)));
            xargs.Add(tasks / Measurement.Seconds(() => XargsRound(tasks, workers)));
            ceiling.Add(tasks / Measurement.Seconds(() => CeilingRound(tasks, workers)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {i + 1}: repartir {repartir[^1],8:0} /s   xargs {xargs[^1],8:0} /s   posix_spawn ceiling {ceiling[^1],8:0} /s"));
        }

        Measurement.Ratio vsXargs = Measurement.Ratios(repartir, xargs);
        Measurement.Ratio vsCeiling = Measurement.Ratios(repartir, ceiling);
        Console.WriteLine($"  Repartir / xargs:   {vsXargs}   (goal >= 1.0)");
        Console.WriteLine($"  Repartir / ceiling: {vsCeiling}   (goal >= 0.65)");

        JsonObject json = Measurement.Report("local-spawn", pairs, vsXargs, "ceiling_", vsCeiling, new Dictionary<string, IReadOnlyList<double>>
        {
            ["repartir_tasks_per_s"] = repartir,
            ["xargs_tasks_per_s"] = xargs,
            ["ceiling_tasks_per_s"] = ceiling,
        });
        json["tasks"] = tasks;
        json["workers"] = workers;
        return json;
    }

    /// <summary>Runs <paramref name="tasks"/> × /bin/true through <paramref name="pool"/>, all submitted at once.</summary>
    internal static void RepartirRound(Pool pool, int tasks)
    {
        var spec = new TaskSpec("/bin/true");
        Task<TaskResult>[] results = new Task<TaskResult>[tasks];
        for (int i = 0; i < tasks; i++)
        {
            results[i] = pool.SubmitAsync(spec);
        }

        foreach (Task<TaskResult> result in results)
        {
            if (!result.GetAwaiter().GetResult().Success)
            {
                throw new InvalidOperationException("a /bin/true task failed: " + result.Result);
            }
        }
    }

    private static void XargsRound(int tasks, int workers)
    {
        var start = new ProcessStartInfo("xargs", ["-P", workers.ToString(CultureInfo.InvariantCulture), "-n", "1", "/bin/true"])
        {
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        using Process xargs = Process.Start(start)!;
        using (StreamWriter input = xargs.StandardInput)
        {
            for (int i = 0; i < tasks; i++)
            {
                input.Write("x\n");
            }
        }

        xargs.WaitForExit();
        if (xargs.ExitCode != 0)
        {
            throw new InvalidOperationException($"xargs exited with {xargs.ExitCode}");
        }
    }

    /// <summary>posix_spawn + waitpid of /bin/true on <paramref name="workers"/> threads: no pipes, no capture, no scheduling.</summary>
    private static void CeilingRound(int tasks, int workers)
    {
        int remaining = tasks;
        Thread[] threads = Enumerable.Range(0, workers).Select(_ => new Thread(() =>
        {
            byte* path = (byte*)Marshal.StringToCoTaskMemUTF8("/bin/true");
            byte** argv = stackalloc byte*[2] { path, null };
            byte** envp = stackalloc byte*[1] { null };
            try
            {
                while (Interlocked.Decrement(ref remaining) >= 0)
                {
                    int pid;
                    int rc = LibC.PosixSpawn(&pid, path, null, null, argv, envp);
                    if (rc != 0)
                    {
                        throw new InvalidOperationException("posix_spawn failed: " + LibC.ErrorText(rc));
                    }

                    int status;
                    while (LibC.WaitPid(pid, &status, 0) < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR)
                    {
                    }
                }
            }
            finally
            {
                Marshal.FreeCoTaskMem((nint)path);
            }
        })).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }
    }
}
