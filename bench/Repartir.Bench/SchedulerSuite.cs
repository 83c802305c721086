using System.Globalization;
using System.Text.Json.Nodes;
using Repartir.Scheduling;

namespace Repartir.Bench;

/// <summary>
/// scheduler: (1) N no-op in-process tasks through the pool ÷ ThreadPool.UnsafeQueueUserWorkItem items/s,
/// interleaved; (2) parallel efficiency T1 / (P·TP) of an unbalanced fork-join tree.
/// </summary>
internal static class SchedulerSuite
{
    /// <summary>Spin iterations of work in every tree node (a few microseconds).</summary>
    private const int NodeWork = 4_000;

    internal static JsonObject Run(int tasks, int pairs, int workers)
    {
        Console.WriteLine($"scheduler: {tasks} no-op tasks and an unbalanced fork-join tree, {workers} workers, {pairs} interleaved rounds");
        using var pool = new Pool(new PoolOptions { Name = "bench", CpuWorkers = workers });
        Measurement.Warm(() => PoolNoOps(pool, 100_000));
        Measurement.Warm(() => ThreadPoolNoOps(100_000));

        var poolRates = new List<double>();
        var threadPoolRates = new List<double>();
        for (int i = 0; i < pairs; i++)
        {
            poolRates.Add(tasks / Measurement.Seconds(() => PoolNoOps(pool, tasks)));
            threadPoolRates.Add(tasks / Measurement.Seconds(() => ThreadPoolNoOps(tasks)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {i + 1}: pool {poolRates[^1] / 1e6,6:0.00} M/s   ThreadPool {threadPoolRates[^1] / 1e6,6:0.00} M/s"));
        }

        Measurement.Ratio throughput = Measurement.Ratios(poolRates, threadPoolRates);
        Console.WriteLine($"  pool / ThreadPool: {throughput}   (goal >= 0.1)");

        using var serial = new Pool(new PoolOptions { Name = "bench-1", CpuWorkers = 1 });
        const int Depth = 13;
        long leaves = 0;
        Measurement.Warm(() => leaves = Tree(serial, Depth - 4, 1));
        Measurement.Warm(() => Tree(pool, Depth - 4, 1));
        var t1 = new List<double>();
        var tp = new List<double>();
        var staticT1 = new List<double>();
        var staticTp = new List<double>();
        for (int i = 0; i < pairs; i++)
        {
            t1.Add(Measurement.Seconds(() => leaves = serial.SubmitAsync(() => Tree(serial, Depth, 1)).GetAwaiter().GetResult()));
            tp.Add(Measurement.Seconds(() => pool.SubmitAsync(() => Tree(pool, Depth, 1)).GetAwaiter().GetResult()) * workers);

            // The machine's own ceiling: the same amount of node work split evenly over plain threads, no scheduler.
            // All cores busy usually clock lower than one busy core; this is what that costs.
            staticT1.Add(Measurement.Seconds(() => StaticSplit(leaves, 1)));
            staticTp.Add(Measurement.Seconds(() => StaticSplit(leaves, workers)) * workers);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {i + 1}: T1 {t1[^1] * 1000,7:0.0} ms   TP {tp[^1] / workers * 1000,7:0.0} ms   efficiency {t1[^1] / tp[^1]:0.000}   static split {staticT1[^1] / staticTp[^1]:0.000}"));
        }

        Measurement.Ratio efficiency = Measurement.Ratios(t1, tp);
        Measurement.Ratio ceiling = Measurement.Ratios(staticT1, staticTp);
        Measurement.Ratio ofCeiling = Measurement.Ratios(efficiency.PerPair, ceiling.PerPair);
        Console.WriteLine($"  fork-join efficiency T1/(P*TP): {efficiency}   (goal >= 0.9; {leaves} tree nodes)");
        Console.WriteLine($"  machine ceiling (static split, no scheduler): {ceiling}");
        Console.WriteLine($"  fork-join efficiency / machine ceiling: {ofCeiling}");

        JsonObject json = Measurement.Report("scheduler", pairs, throughput, "efficiency_", efficiency, new Dictionary<string, IReadOnlyList<double>>
        {
            ["pool_tasks_per_s"] = poolRates,
            ["threadpool_items_per_s"] = threadPoolRates,
            ["t1_seconds"] = t1,
            ["tp_seconds"] = tp.Select(v => v / workers).ToArray(),
        });
        json["tasks"] = tasks;
        json["workers"] = workers;
        json["tree_nodes"] = leaves;
        foreach (KeyValuePair<string, JsonNode?> pair in ceiling.ToJson("static_split_efficiency_").Concat(ofCeiling.ToJson("efficiency_of_ceiling_")))
        {
            json[pair.Key] = pair.Value?.DeepClone();
        }
        return json;
    }

    internal static void PoolNoOps(Pool pool, int tasks)
    {
        int remaining = tasks;
        using var done = new ManualResetEventSlim();
        Func<int> noOp = () =>
        {
            if (Interlocked.Decrement(ref remaining) == 0)
            {
                done.Set();
            }

            return 0;
        };
        for (int i = 0; i < tasks; i++)
        {
            pool.Fork(noOp);
        }

        done.Wait();
    }

    private static void ThreadPoolNoOps(int tasks)
    {
        var state = new Countdown(tasks);
        for (int i = 0; i < tasks; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Signal(), state, preferLocal: false);
        }

        state.Done.Wait();
        state.Done.Dispose();
    }

    /// <summary>
    /// An unbalanced tree: each node has 0–3 children chosen by a hash of its id (so the shape is
    /// fixed but lopsided), and every node does a fixed slice of work. Returns the number of nodes.
    /// </summary>
    private static long Tree(Pool pool, int depth, ulong id)
    {
        Spin(NodeWork);
        ulong hash = (id * 0x9E3779B97F4A7C15UL) >> 59;
        int children = depth == 0 ? 0 : (int)(hash % 4);
        if (children == 0 && depth > 3)
        {
            children = 2; // keep the tree from dying out near the root
        }

        if (children == 0)
        {
            return 1;
        }

        var forked = new ForkedTask<long>[children - 1];
        for (int c = 0; c < children - 1; c++)
        {
            ulong child = (id * 4) + (ulong)c;
            forked[c] = pool.Fork(() => Tree(pool, depth - 1, child));
        }

        long total = 1 + Tree(pool, depth - 1, (id * 4) + (ulong)(children - 1));
        foreach (ForkedTask<long> task in forked)
        {
            total += task.Join();
        }

        return total;
    }

    /// <summary>The work of <paramref name="nodes"/> tree nodes split evenly over <paramref name="threads"/> threads.</summary>
    private static void StaticSplit(long nodes, int threads)
    {
        Thread[] running = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            long share = (nodes / threads) + (t < nodes % threads ? 1 : 0);
            for (long n = 0; n < share; n++)
            {
                Spin(NodeWork);
            }
        })).ToArray();
        foreach (Thread thread in running)
        {
            thread.Start();
        }

        foreach (Thread thread in running)
        {
            thread.Join();
        }
    }

    private static void Spin(int iterations)
    {
        double x = 1.0;
        for (int i = 0; i < iterations; i++)
        {
            x = (x * 1.0000001) + 1e-9;
        }

        if (x < 0)
        {
            Console.WriteLine(x);
        }
    }

    private sealed class Countdown(int count)
    {
        private int _remaining = count;

        public ManualResetEventSlim Done { get; } = new();

        public void Signal()
        {
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                Done.Set();
            }
        }
    }
}
