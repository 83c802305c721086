using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Repartir.Bench;

/// <summary>
/// monitor: what <c>repartir top</c> itself costs while it watches 3 real worker processes at 1 s intervals with a
/// run going on: its CPU seconds per wall second (a share of one core), redirected (a plain line per interval) and
/// on a pseudo-terminal (the live view, redrawn every second; util-linux <c>script</c>, skipped without it).
/// </summary>
internal static class MonitorSuite
{
    internal static JsonObject Run(string repartir, int seconds)
    {
        Console.WriteLine($"monitor: repartir top watching 3 workers at 1 s intervals for {seconds} s while a run keeps them busy");
        var workers = new List<Process>();
        Process? run = null;
        try
        {
            var addresses = new List<string>();
            for (int i = 1; i <= 3; i++)
            {
                (Process worker, int port) = RemoteSuites.StartWorker(repartir, "mon" + i.ToString(CultureInfo.InvariantCulture), 2, 0, "--heartbeat", "1s"); // a worker's default
                workers.Add(worker);
                addresses.Add("127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture));
            }

            string[] workerArguments = [.. addresses.SelectMany(a => new[] { "--worker", a })];
            run = Process.Start(new ProcessStartInfo(repartir, ["run", .. workerArguments, "--", "sleep", "0.2"]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true })!;
            _ = run.StandardOutput.ReadToEndAsync();
            _ = run.StandardError.ReadToEndAsync();
            _ = Task.Run(async () =>
            {
                // Tasks for longer than both measurements: 6 slots at 5 tasks/s each.
                for (int i = 0; i < 60 * (seconds * 2 + 20); i++)
                {
                    await run.StandardInput.WriteLineAsync("0");
                }

                run.StandardInput.Close();
            });

            var json = new JsonObject { ["suite"] = "monitor", ["workers"] = 3, ["interval_s"] = 1, ["seconds"] = seconds };
            double plain = CpuShare(new ProcessStartInfo(repartir, ["top", "--interval", "1s", .. workerArguments]) { RedirectStandardOutput = true, RedirectStandardInput = true }, seconds, script: false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  plain lines (redirected): {plain * 100:0.00}% of one core"));
            json["plain_cpu_share"] = Math.Round(plain, 5);
            if (File.Exists("/usr/bin/script"))
            {
                string command = string.Join(' ', new[] { repartir, "top", "--interval", "1s" }.Concat(workerArguments).Select(a => "'" + a + "'"));
                var start = new ProcessStartInfo("/usr/bin/script", ["-qec", command, "/dev/null"]) { RedirectStandardOutput = true, RedirectStandardInput = true };
                start.Environment["TERM"] = "xterm-256color";
                start.Environment["COLUMNS"] = "160";
                start.Environment["LINES"] = "40";
                double live = CpuShare(start, seconds, script: true);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  live view (pseudo-terminal): {live * 100:0.00}% of one core"));
                json["live_cpu_share"] = Math.Round(live, 5);
            }
            else
            {
                Console.WriteLine("  live view: skipped, util-linux script is not installed (no pseudo-terminal)");
            }

            return json;
        }
        finally
        {
            run?.Kill(entireProcessTree: true);
            foreach (Process worker in workers)
            {
                worker.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>CPU seconds of the top process per wall second, over <paramref name="seconds"/> after a 10 s start.</summary>
    private static double CpuShare(ProcessStartInfo start, int seconds, bool script)
    {
        using Process process = Process.Start(start)!;
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        try
        {
            Thread.Sleep(TimeSpan.FromSeconds(10)); // start-up and tiered compilation are not what a long watch costs
            int pid = script ? ChildOf(process.Id) : process.Id;
            double before = CpuSeconds(pid);
            var clock = Stopwatch.StartNew();
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            return (CpuSeconds(pid) - before) / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    private static int ChildOf(int pid) =>
        int.Parse(File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);

    /// <summary>User and system CPU of <paramref name="pid"/> from /proc (fields 14 and 15, in clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
