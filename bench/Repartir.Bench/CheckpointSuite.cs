using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Repartir.Checkpoints;
using Repartir.Results;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Bench;

/// <summary>
/// checkpoint: the store, the run journal and the results table. Save and restore of a 10 MB state (ms), of a 500 MB
/// state against <c>dd conv=fsync</c> writing as much in the same run (MB/s ÷ MB/s), durable journal records per
/// second, the journal's cost on local-spawn (journaled ÷ plain tasks/s, interleaved), and a Parquet table of
/// 100,000 results (time, size). Everything goes to a directory under TMPDIR, removed afterwards.
/// </summary>
internal static class CheckpointSuite
{
    internal static JsonObject Run(int pairs, int workers, int journalRecords, int spawnTasks, int tableRows, int largeMegabytes)
    {
        string directory = Directory.CreateTempSubdirectory("repartir-bench-checkpoint-").FullName;
        try
        {
            Console.WriteLine($"checkpoint: store in {directory}, {pairs} pairs");
            var json = new JsonObject { ["suite"] = "checkpoint", ["pairs"] = pairs, ["directory"] = directory };
            SmallState(directory, pairs, json);
            LargeState(directory, pairs, largeMegabytes, json);
            JournalThroughput(directory, pairs, journalRecords, json);
            JournalOverhead(directory, pairs, workers, spawnTasks, json);
            Table(directory, pairs, tableRows, json);
            return json;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>10 MB two ways: a tree of 1.1M doubles (a model's weights as numbers), and one 10 MB byte array (the same weights packed).</summary>
    private static void SmallState(string directory, int pairs, JsonObject json)
    {
        var random = new Random(10);
        var numbers = new Dictionary<string, object?>
        {
            ["epoch"] = 42L,
            ["weights"] = Enumerable.Range(0, 1_100_000).Select(_ => (object?)random.NextDouble()).ToList(),
        };
        byte[] packed = new byte[10_000_000];
        random.NextBytes(packed);
        var bytes = new Dictionary<string, object?> { ["epoch"] = 42L, ["weights"] = packed };
        foreach ((string kind, Dictionary<string, object?> state) in new[] { ("doubles", numbers), ("bytes", bytes) })
        {
            using var store = new CheckpointStore(Path.Combine(directory, "small-" + kind));
            Measurement.Warm(() => store.Restore("model", store.Save("model", state).Version));
            var save = new List<double>();
            var restore = new List<double>();
            long size = 0;
            for (int i = 0; i < Math.Max(pairs, 5); i++)
            {
                CheckpointInfo info = null!;
                save.Add(Measurement.Seconds(() => info = store.Save("model", state)) * 1000);
                restore.Add(Measurement.Seconds(() => store.Restore("model", info.Version)) * 1000);
                size = info.Size;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {size / 1e6:0.0} MB of {kind}: save {Measurement.Median(save):0.0} ms ({save.Min():0.0}-{save.Max():0.0}), restore {Measurement.Median(restore):0.0} ms ({restore.Min():0.0}-{restore.Max():0.0})   (goal < 100 ms)"));
            json[$"small_{kind}_bytes"] = size;
            json[$"small_{kind}_save_ms"] = Measurement.Median(save);
            json[$"small_{kind}_save_ms_max"] = save.Max();
            json[$"small_{kind}_restore_ms"] = Measurement.Median(restore);
            json[$"small_{kind}_restore_ms_max"] = restore.Max();
        }
    }

    /// <summary>
    /// A large state of 64 MiB byte arrays (a model's tensors) in a fresh store each pair, against dd writing as many
    /// bytes with fsync: save until durable, restore, and the close that folds the write-ahead log into the database.
    /// </summary>
    private static void LargeState(string directory, int pairs, int megabytes, JsonObject json)
    {
        var state = new Dictionary<string, object?>();
        for (int part = 0; part * 64 < megabytes; part++)
        {
            byte[] tensor = new byte[Math.Min(64, megabytes - (part * 64)) << 20];
            new Random(part).NextBytes(tensor);
            state[$"tensor{part}"] = tensor;
        }

        var saveRate = new List<double>();
        var ddRate = new List<double>();
        var restoreRate = new List<double>();
        var closeMs = new List<double>();
        for (int i = 0; i < Math.Max(3, pairs / 2); i++)
        {
            string storeDirectory = Path.Combine(directory, "large" + i.ToString(CultureInfo.InvariantCulture));
            var store = new CheckpointStore(storeDirectory);
            CheckpointInfo info = null!;
            saveRate.Add(megabytes / Measurement.Seconds(() => info = store.Save("large", state)));
            restoreRate.Add(megabytes / Measurement.Seconds(() => store.Restore("large", info.Version)));
            closeMs.Add(Measurement.Seconds(store.Dispose) * 1000);
            Directory.Delete(storeDirectory, recursive: true);

            ddRate.Add(megabytes / Measurement.Seconds(() => Dd(Path.Combine(directory, "dd.bin"), megabytes)));
            File.Delete(Path.Combine(directory, "dd.bin"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {megabytes} MB: save {saveRate[^1]:0} MB/s, dd {ddRate[^1]:0} MB/s, restore {restoreRate[^1]:0} MB/s, close {closeMs[^1]:0} ms"));
        }

        Measurement.Ratio ratio = Measurement.Ratios(saveRate, ddRate);
        Console.WriteLine($"  save / dd conv=fsync: {ratio}   (goal >= 0.5)");
        json["large_megabytes"] = megabytes;
        json["large_save_mb_per_s"] = Measurement.Median(saveRate);
        json["large_restore_mb_per_s"] = Measurement.Median(restoreRate);
        json["large_close_ms"] = Measurement.Median(closeMs);
        json["dd_mb_per_s"] = Measurement.Median(ddRate);
        foreach (KeyValuePair<string, JsonNode?> pair in ratio.ToJson("large_save_vs_dd_"))
        {
            json[pair.Key] = pair.Value?.DeepClone();
        }
    }

    private static void Dd(string path, int megabytes)
    {
        using Process dd = Process.Start(new ProcessStartInfo("dd", ["if=/dev/zero", $"of={path}", "bs=1M", $"count={megabytes}", "conv=fsync"]) { RedirectStandardError = true })!;
        dd.StandardError.ReadToEnd();
        dd.WaitForExit();
    }

    /// <summary>Records made durable per second: successes handed to the journal as fast as they come, timed until the writer has committed them all.</summary>
    private static void JournalThroughput(string directory, int pairs, int records, JsonObject json)
    {
        var rates = new List<double>();
        var specs = Enumerable.Range(0, records).Select(i => new TaskSpec("/bin/true", i.ToString(CultureInfo.InvariantCulture))).ToArray();
        for (int i = 0; i < pairs; i++)
        {
            RunJournal journal = RunJournal.Open(Path.Combine(directory, "journal"), "throughput", restart: true);
            double seconds = Measurement.Seconds(() =>
            {
                foreach (TaskSpec spec in specs)
                {
                    journal.Run(spec, null, s => Task.FromResult(Succeeded(s)));
                }

                SpinWait.SpinUntil(() => journal.Written == records);
            });
            journal.DisposeAsync().AsTask().GetAwaiter().GetResult();
            rates.Add(records / seconds);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  journal: {Measurement.Median(rates):0} durable records/s ({rates.Min():0}-{rates.Max():0})   (goal >= 10,000/s)"));
        json["journal_records"] = records;
        json["journal_records_per_s"] = Measurement.Median(rates);
        json["journal_records_per_s_min"] = rates.Min();
    }

    /// <summary>local-spawn with and without a journal (a fresh one each round, so every task runs), interleaved.</summary>
    private static void JournalOverhead(string directory, int pairs, int workers, int tasks, JsonObject json)
    {
        using var pool = new Pool(new PoolOptions { Name = "bench", CpuWorkers = workers });
        var plain = new List<double>();
        var journaled = new List<double>();
        var closeMs = new List<double>();
        Measurement.Warm(() => Spawn(pool, 200, null));
        for (int i = 0; i < pairs; i++)
        {
            plain.Add(tasks / Measurement.Seconds(() => Spawn(pool, tasks, null)));
            RunJournal journal = RunJournal.Open(Path.Combine(directory, "journal"), "overhead", restart: true);
            journaled.Add(tasks / Measurement.Seconds(() =>
            {
                Spawn(pool, tasks, journal);
                closeMs.Add(Measurement.Seconds(() => journal.DisposeAsync().AsTask().GetAwaiter().GetResult()) * 1000); // durable before the clock stops
            }));
        }

        Measurement.Ratio ratio = Measurement.Ratios(journaled, plain);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  local-spawn journaled / plain: {ratio}   (goal >= 0.95); the last commit took {Measurement.Median(closeMs):0.0} ms of each round"));
        json["journal_close_ms"] = Measurement.Median(closeMs);
        foreach (KeyValuePair<string, JsonNode?> pair in ratio.ToJson("journal_overhead_"))
        {
            json[pair.Key] = pair.Value?.DeepClone();
        }

        json["spawn_tasks"] = tasks;
        json["spawn_plain_tasks_per_s"] = Measurement.Median(plain);
        json["spawn_journaled_tasks_per_s"] = Measurement.Median(journaled);
    }

    private static void Spawn(Pool pool, int tasks, RunJournal? journal)
    {
        int done = 0;
        foreach (TaskResult result in pool.RunAsync(Specs(tasks), journal: journal).ToBlockingEnumerable())
        {
            done += result.Success ? 1 : throw new InvalidOperationException("a /bin/true task failed: " + result);
        }

        if (done != tasks)
        {
            throw new InvalidOperationException($"{done} of {tasks} tasks came back");
        }
    }

    private static async IAsyncEnumerable<TaskSpec> Specs(int tasks)
    {
        for (int i = 0; i < tasks; i++)
        {
            yield return new TaskSpec("/bin/true") { InputObject = i };
        }

        await Task.CompletedTask;
    }

    /// <summary>A Parquet table of <paramref name="rows"/> results with a line of output each.</summary>
    private static void Table(string directory, int pairs, int rows, JsonObject json)
    {
        DateTimeOffset start = DateTimeOffset.UtcNow;
        ResultRow[] results = [.. Enumerable.Range(0, rows).Select(i => ResultRow.From(Succeeded(new TaskSpec("./process", "--input", $"/data/in/{i:D6}.csv")) with
        {
            StdoutBytes = System.Text.Encoding.UTF8.GetBytes($"processed {i} rows={i * 7 % 1000}\n"),
            StartTime = start.AddMilliseconds(i),
            EndTime = start.AddMilliseconds(i + 12.5),
            Id = new TaskId(i),
        }, $"/data/in/{i:D6}.csv"))];
        string path = Path.Combine(directory, "results.parquet");
        var seconds = new List<double>();
        for (int i = 0; i < Math.Max(3, pairs); i++)
        {
            seconds.Add(Measurement.Seconds(() =>
            {
                ResultParquetWriter writer = ResultParquetWriter.CreateAsync(path).GetAwaiter().GetResult();
                foreach (ResultRow row in results)
                {
                    writer.AddAsync(row).AsTask().GetAwaiter().GetResult();
                }

                writer.CompleteAsync().GetAwaiter().GetResult();
            }));
        }

        double readSeconds = Measurement.Seconds(() => ResultParquetReader.ReadAsync(path).GetAwaiter().GetResult());
        long size = new FileInfo(path).Length;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  Parquet: {rows} results written in {Measurement.Median(seconds) * 1000:0} ms ({seconds.Min() * 1000:0}-{seconds.Max() * 1000:0}), {size / 1e6:0.00} MB; read back in {readSeconds * 1000:0} ms"));
        json["table_rows"] = rows;
        json["table_write_ms"] = Measurement.Median(seconds) * 1000;
        json["table_read_ms"] = readSeconds * 1000;
        json["table_bytes"] = size;
    }

    private static TaskResult Succeeded(TaskSpec spec) => new()
    {
        Id = new TaskId(1),
        Name = spec.DisplayName,
        ExitCode = 0,
        StartTime = DateTimeOffset.UtcNow,
        EndTime = DateTimeOffset.UtcNow,
        Attempt = 1,
        Host = "bench",
        Worker = "cpu-1",
        Backend = Backend.Cpu,
        Spec = spec,
    };
}
