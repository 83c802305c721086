using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Repartir.Bench;

/// <summary>
/// cli (issue 8): the <c>repartir</c> executable as users run it, against xargs. Start-up: one task end to end.
/// Throughput: N × /bin/true through <c>repartir run -j W</c> ÷ <c>xargs -P W -n 1</c>, interleaved. Memory: the peak
/// resident set of <c>repartir run</c> over 100,000 tasks (not a ratio: a size, against the goal).
/// </summary>
internal static class CliSuite
{
    internal static JsonObject Run(string repartir, int tasks, int pairs, int workers, int memoryTasks)
    {
        string w = workers.ToString(CultureInfo.InvariantCulture);
        Console.WriteLine($"cli: {repartir}, {workers} workers; one task end to end, {tasks} x /bin/true, {pairs} interleaved rounds; peak RSS over {memoryTasks} tasks");

        var startRepartir = new List<double>();
        var startXargs = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            Shell($"echo x | {repartir} run -- /bin/true", out _); // warm the page cache for both
            Shell("echo x | xargs -n 1 /bin/true", out _);
        }

        for (int i = 0; i < 31; i++)
        {
            startRepartir.Add(Shell($"echo x | {repartir} run -- /bin/true", out _) * 1000);
            startXargs.Add(Shell("echo x | xargs -n 1 /bin/true", out _) * 1000);
        }

        var repartirRates = new List<double>();
        var xargsRates = new List<double>();
        string count = tasks.ToString(CultureInfo.InvariantCulture);
        for (int i = 0; i < pairs; i++)
        {
            repartirRates.Add(tasks / Shell($"seq {count} | {repartir} run -j {w} -- /bin/true", out _));
            xargsRates.Add(tasks / Shell($"seq {count} | xargs -P {w} -n 1 /bin/true", out _));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {i + 1}: repartir {repartirRates[^1],8:0} /s   xargs {xargsRates[^1],8:0} /s"));
        }

        Shell($"seq {memoryTasks.ToString(CultureInfo.InvariantCulture)} | {repartir} run -j {w} -- /bin/true", out long peakBytes, watch: "repartir");
        Measurement.Ratio ratio = Measurement.Ratios(repartirRates, xargsRates);
        double startMedian = Measurement.Median(startRepartir);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  one task end to end: repartir {startMedian:0.0} ms (p90 {Measurement.Percentile(startRepartir, 0.9):0.0}), xargs {Measurement.Median(startXargs):0.0} ms   (goal <= 25 ms)"));
        Console.WriteLine($"  {tasks} x /bin/true, repartir / xargs: {ratio}   (goal >= 3 on 16 vCPU)");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  peak RSS over {memoryTasks} tasks: {peakBytes / 1e6:0.0} MB   (goal <= 60 MB on 16 vCPU)"));
        JsonObject json = Measurement.Report("cli", pairs, ratio, string.Empty, null, new Dictionary<string, IReadOnlyList<double>>
        {
            ["repartir_tasks_per_s"] = repartirRates,
            ["xargs_tasks_per_s"] = xargsRates,
            ["repartir_one_task_ms"] = startRepartir,
            ["xargs_one_task_ms"] = startXargs,
        });
        json["tasks"] = tasks;
        json["workers"] = workers;
        json["memory_tasks"] = memoryTasks;
        json["peak_rss_bytes"] = peakBytes;
        return json;
    }

    /// <summary>
    /// Runs <paramref name="command"/> under sh and returns its wall time in seconds. With <paramref name="watch"/>, also
    /// the peak resident set (VmHWM, which only grows) of the process of that name, read every 50 ms until it exits.
    /// </summary>
    private static double Shell(string command, out long peakBytes, string? watch = null)
    {
        long start = Stopwatch.GetTimestamp();
        using Process shell = Process.Start(new ProcessStartInfo("sh", ["-c", command]) { RedirectStandardOutput = true })!;
        Task drain = shell.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        peakBytes = 0;
        while (!shell.WaitForExit(watch is null ? -1 : 50))
        {
            foreach (string status in Directory.GetDirectories("/proc").Where(d => char.IsDigit(Path.GetFileName(d)[0])).Select(d => Path.Combine(d, "status")))
            {
                try
                {
                    string[] lines = File.ReadAllLines(status);
                    if (lines.Length > 0 && lines[0] == "Name:\t" + watch && lines.FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) is { } hwm)
                    {
                        peakBytes = Math.Max(peakBytes, long.Parse(hwm.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The process ended between the listing and the read.
                }
            }
        }

        drain.GetAwaiter().GetResult();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (shell.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' exited with {shell.ExitCode}");
        }

        return seconds;
    }
}
