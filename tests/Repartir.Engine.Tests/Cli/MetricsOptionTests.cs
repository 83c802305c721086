using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Repartir.Testing;
using Repartir.Tests.Remote;

namespace Repartir.Tests.Cli;

/// <summary><c>--metrics</c> on <c>repartir run</c> and <c>repartir worker</c>: a Prometheus endpoint scraped while they work, checked against the real counts.</summary>
public sealed partial class MetricsOptionTests : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>
    /// A port no one listens on, below the kernel's ephemeral range (32768 and up on Linux): the loopback workers other
    /// tests start take ephemeral ports, and one of them could take a port picked from that range between this probe and
    /// the endpoint binding it.
    /// </summary>
    private static int FreePort()
    {
        while (true)
        {
            int port = Random.Shared.Next(20_000, 32_000);
            var probe = new TcpListener(IPAddress.Loopback, port);
            try
            {
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken: another
            }
            finally
            {
                probe.Stop();
            }
        }
    }

    /// <summary>The sum of the samples of <paramref name="metric"/> whose labels contain <paramref name="label"/> (0 when there is none).</summary>
    private static double Sample(string scrape, string metric, string label = "") => scrape.Split('\n')
        .Select(line => SampleLine().Match(line))
        .Where(match => match.Success && match.Groups["name"].Value == metric && match.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
        .Sum(match => double.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));

    private static async Task<string> ScrapeAsync(int port)
    {
        try
        {
            return await Http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        }
        catch (HttpRequestException)
        {
            return string.Empty; // not serving yet
        }
    }

    /// <summary>
    /// Starts a run serving its metrics whose first two tasks wait for <paramref name="release"/>, and scrapes until both
    /// have started. The port was free when probed; another process may take it before the run binds it, which the run
    /// refuses at once (exit 2, "cannot be served"): then another port, up to five.
    /// </summary>
    private static async Task<(Process Run, string Scrape)> StartServingRunAsync(string release)
    {
        for (int attempt = 1; ; attempt++)
        {
            int port = FreePort();
            Process run = Process.Start(CliProcess.StartInfo("run", "-j", "2", "--metrics", $"127.0.0.1:{port}", "--", "sh", "-c", $"while [ ! -e '{release}' ]; do sleep 0.02; done", "sh", "{}"))!;
            Task<string> errors = run.StandardError.ReadToEndAsync();
            await run.StandardInput.WriteAsync("1\n2\n3\n4\n");
            run.StandardInput.Close();
            string scrape = string.Empty;
            DateTime deadline = DateTime.UtcNow.AddSeconds(30);
            while (!run.HasExited && Sample(scrape = await ScrapeAsync(port), "repartir_tasks_started_total") != 2)
            {
                Assert.True(DateTime.UtcNow < deadline, $"No scrape of port {port} showed 2 tasks started in 30 s; last scrape:\n{scrape}");
                await Task.Delay(50);
            }

            if (!run.HasExited)
            {
                return (run, scrape);
            }

            string said = await errors;
            Assert.True(attempt < 5 && said.Contains("cannot be served", StringComparison.Ordinal), $"The run exited {run.ExitCode} before its tasks started: {said}");
            run.Dispose();
        }
    }

    [Fact]
    public async Task A_run_serves_its_metrics_while_it_works()
    {
        string release = Path.Combine(_directory.Path, "release");
        (Process run, string scrape) = await StartServingRunAsync(release);
        using Process running = run;
        Assert.Equal(2, Sample(scrape, "repartir_pool_running", "repartir_pool=\"run\""));
        Assert.Equal(2, Sample(scrape, "repartir_pool_workers", "repartir_worker_state=\"Local\""));
        Assert.Equal(0, Sample(scrape, "repartir_tasks_completed_total"));

        await File.WriteAllTextAsync(release, string.Empty);
        await running.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, running.ExitCode);
    }

    [Fact]
    public async Task A_worker_serves_counts_that_match_the_runs_it_served_and_a_bad_address_is_bad_usage()
    {
        int port = FreePort();
        await using WorkerProcess worker = await WorkerProcess.StartAsync("metered", slots: 2, more: ["--metrics", $"127.0.0.1:{port}"]);
        var (code, _, _) = await CliProcess.RunAsync("1\n2\n3\n4\n5\n"u8.ToArray(), "run", "--worker", worker.EndPoint.ToString(), "--", "sh", "-c", "exit $(( $1 == 3 ))", "sh", "{}");
        Assert.Equal(1, code); // one task failed

        string scrape = string.Empty;
        await Eventually.TrueAsync(async () => Sample(scrape = await ScrapeAsync(port), "repartir_tasks_completed_total", "repartir_outcome=\"success\"") == 4, seconds: 30);
        Assert.Equal(1, Sample(scrape, "repartir_tasks_completed_total", "repartir_outcome=\"non_zero_exit\""));
        Assert.Equal(5, Sample(scrape, "repartir_task_duration_seconds_count"));
        Assert.True(Sample(scrape, "repartir_worker_network_io_bytes_total", "network_io_direction=\"receive\"") > 0, scrape);
        Assert.Contains("# TYPE repartir_task_duration_seconds histogram", scrape, StringComparison.Ordinal);

        var (bad, _, badError) = await CliProcess.RunAsync([], "worker", "--metrics", "localhost");
        Assert.Equal(2, bad);
        Assert.Contains("--metrics takes an address and port", badError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Otlp_takes_a_collector_url_and_a_collector_that_is_down_does_not_stop_the_run()
    {
        var (bad, _, badError) = await CliProcess.RunAsync("a\n"u8.ToArray(), "run", "--otlp", "localhost:4317", "--", "true");
        Assert.Equal(2, bad);
        Assert.Contains("--otlp takes the collector's URL", badError, StringComparison.Ordinal);

        var (code, stdout, stderr) = await CliProcess.RunAsync("a\nb\n"u8.ToArray(), "run", "-k", "--otlp", "http://127.0.0.1:1", "--", "echo");
        Assert.True(code == 0, stderr);
        Assert.Equal("a\nb\n", Encoding.UTF8.GetString(stdout));
    }

    [GeneratedRegex("^(?<name>[a-z_]+)(\\{(?<labels>[^}]*)\\})? (?<value>[-+0-9.eE]+|NaN)")]
    private static partial Regex SampleLine();
}
