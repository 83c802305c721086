using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Repartir.Testing;
using Repartir.Tests.Remote;

namespace Repartir.Tests.Cli;

/// <summary><c>repartir top</c>: redirected (plain lines, JSON, one snapshot) and its bad usage; the terminal view is in <see cref="TopTerminalTests"/>.</summary>
public sealed class TopCommandTests
{
    /// <summary>A port bound and not listening: connections are refused, and no other test's worker can take it while the socket lives.</summary>
    private static Socket RefusingPort()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    [Fact]
    public async Task Once_with_json_prints_one_snapshot_of_every_worker_reachable_or_not()
    {
        await using WorkerProcess worker = await WorkerProcess.StartAsync("alpha", slots: 3);
        using Socket refusing = RefusingPort();
        string closed = refusing.LocalEndPoint!.ToString()!;
        var (code, stdout, stderr) = await CliProcess.RunAsync([], "top", "--once", "--json", "--worker", worker.EndPoint.ToString(), "--worker", closed);

        Assert.True(code == 0, stderr);
        string[] lines = Encoding.UTF8.GetString(stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        JsonElement snapshot = Assert.Single(lines.Select(l => JsonDocument.Parse(l).RootElement));
        Assert.Equal(1, snapshot.GetProperty("workersActive").GetInt32());
        Assert.Equal(2, snapshot.GetProperty("workersTotal").GetInt32());
        JsonElement[] workers = [.. snapshot.GetProperty("workers").EnumerateArray()];
        Assert.Equal("alpha", workers[0].GetProperty("name").GetString());
        Assert.Equal("Online", workers[0].GetProperty("status").GetString());
        Assert.Equal(3, workers[0].GetProperty("slots").GetInt32());
        Assert.Equal(0, workers[0].GetProperty("slotsUsed").GetInt32());
        Assert.True(workers[0].GetProperty("uptimeSeconds").GetDouble() > 0);
        Assert.Equal("Offline", workers[1].GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(workers[1].GetProperty("problem").GetString()));
        Assert.Equal(JsonValueKind.Null, snapshot.GetProperty("etaSeconds").ValueKind);
    }

    [Fact]
    public async Task Once_exits_1_naming_the_workers_when_none_could_be_reached()
    {
        using Socket refusing = RefusingPort();
        string closed = refusing.LocalEndPoint!.ToString()!;
        var (code, stdout, stderr) = await CliProcess.RunAsync([], "top", "--once", "--worker", closed);

        Assert.Equal(1, code);
        Assert.Contains($"no worker could be reached: {closed}: ", stderr, StringComparison.Ordinal);
        Assert.Contains($"workers 0/1 active", Encoding.UTF8.GetString(stdout), StringComparison.Ordinal); // redirected: the plain line
    }

    [Fact]
    public async Task Redirected_it_prints_a_plain_line_per_interval_with_the_counts_as_they_change_until_SIGTERM()
    {
        await using WorkerProcess worker = await WorkerProcess.StartAsync("alpha", slots: 2);
        using Process top = Process.Start(CliProcess.StartInfo("top", "--interval", "200ms", "--worker", worker.EndPoint.ToString()))!;
        top.StandardInput.Close();
        var lines = new List<string>();
        string first = await top.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) ?? string.Empty;
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ worker 127\.0\.0\.1:\d+: workers 1/1 active, pending 0, running 0, completed 0, failed 0, 0\.0 tasks/s, ETA -; alpha Online 0/2 load [\d.]+$", first);

        // A coordinator's tasks show in the monitor's counts.
        var (code, _, _) = await CliProcess.RunAsync("1\n2\n3\n"u8.ToArray(), "run", "--worker", worker.EndPoint.ToString(), "--", "true");
        Assert.Equal(0, code);
        while (!lines.Any(l => l.Contains("completed 3, failed 0", StringComparison.Ordinal)))
        {
            lines.Add(await top.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) ?? throw new InvalidOperationException("top ended:\n" + string.Join('\n', lines)));
        }

        using (Process kill = Process.Start("kill", ["-TERM", top.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync();
        }

        await top.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, top.ExitCode);
    }

    [Fact]
    public async Task Json_prints_one_object_per_interval()
    {
        await using WorkerProcess worker = await WorkerProcess.StartAsync("alpha", slots: 1);
        using Process top = Process.Start(CliProcess.StartInfo("top", "--json", "--interval", "100ms", "--worker", worker.EndPoint.ToString()))!;
        top.StandardInput.Close();
        var times = new List<DateTimeOffset>();
        for (int i = 0; i < 3; i++)
        {
            string line = await top.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) ?? string.Empty;
            using JsonDocument document = JsonDocument.Parse(line);
            Assert.Equal("alpha", document.RootElement.GetProperty("workers")[0].GetProperty("name").GetString());
            times.Add(document.RootElement.GetProperty("time").GetDateTimeOffset());
        }

        top.Kill();
        await top.WaitForExitAsync();
        Assert.Equal(times.Order(), times);
        Assert.Equal(3, times.Distinct().Count());
    }

    [Theory]
    [InlineData("--interval", "10ms", "--interval: must be at least 100ms.")]
    [InlineData("--interval", "soon", "--interval: ")]
    [InlineData("--worker", "nowhere", "--worker: ")]
    public async Task Bad_usage_is_named_with_exit_code_2(string option, string value, string message)
    {
        string[] args = option == "--worker" ? ["top", option, value] : ["top", "--worker", "127.0.0.1:1", option, value];
        var (code, _, stderr) = await CliProcess.RunAsync([], args);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_worker_it_says_what_it_needs()
    {
        var (code, _, stderr) = await CliProcess.RunAsync([], "top");
        Assert.Equal(2, code);
        Assert.Contains("--worker", stderr, StringComparison.Ordinal);
    }
}

/// <summary>
/// <c>repartir top</c> as a person sees it: in a real terminal (tmux), against worker processes while a run goes on,
/// the pane captured and read: rows, states, counts changing; a worker frozen with SIGSTOP turns Suspected, then
/// Offline; q quits and gives the terminal back.
/// </summary>
public sealed partial class TopTerminalTests
{
    private static readonly string? Tmux = new[] { "/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux" }.FirstOrDefault(File.Exists);

    [SkippableFact]
    public async Task The_live_view_shows_workers_and_counts_changing_and_a_frozen_worker_turns_Suspected_then_Offline()
    {
        Skip.If(Tmux is null, "tmux is not installed: no terminal to watch the live view in.");
        string socket = "repartir-top-" + Guid.NewGuid().ToString("N")[..8];
        await using WorkerProcess alpha = await WorkerProcess.StartAsync("alpha", slots: 2);
        await using WorkerProcess beta = await WorkerProcess.StartAsync("beta", slots: 2);
        using Process run = Process.Start(CliProcess.StartInfo("run", "--worker", alpha.EndPoint.ToString(), "--worker", beta.EndPoint.ToString(), "--", "sh", "-c", "sleep 1", "sh", "{}"))!;
        _ = run.StandardOutput.ReadToEndAsync();
        _ = run.StandardError.ReadToEndAsync();
        for (int i = 0; i < 400; i++)
        {
            await run.StandardInput.WriteLineAsync(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await run.StandardInput.FlushAsync(); // left open: the run goes on while the test watches
        try
        {
            await TmuxAsync(socket, "new-session", "-d", "-s", "top", "-x", "180", "-y", "45", "env", "TERM=xterm-256color", CliProcess.Executable, "top", "--interval", "250ms", "--worker", alpha.EndPoint.ToString(), "--worker", beta.EndPoint.ToString());

            string screen = await PaneWhereAsync(socket, s => Row(s, "alpha").Contains("Online", StringComparison.Ordinal) && Row(s, "beta").Contains("Online", StringComparison.Ordinal) && s.Contains("sleep 1", StringComparison.Ordinal), "both workers Online with tasks running");
            Assert.Contains("Longest running", screen, StringComparison.Ordinal);
            Assert.Contains("q or Ctrl+C quits", screen, StringComparison.Ordinal);
            Assert.Matches(@"workers 2/2 active", screen);
            long before = Completed(screen);
            await PaneWhereAsync(socket, s => Completed(s) > before, $"the completed count to rise past {before}");

            beta.Signal("STOP"); // frozen: its connections stay open and silent, as a hung machine's do
            try
            {
                await PaneWhereAsync(socket, s => Row(s, "beta").Contains("Suspected", StringComparison.Ordinal), "beta Suspected");
                screen = await PaneWhereAsync(socket, s => Row(s, "beta").Contains("Offline", StringComparison.Ordinal), "beta Offline");
                Assert.Matches(@"workers 1/2 active", screen);
            }
            finally
            {
                beta.Signal("CONT");
            }

            // Workers come back too: the monitor reconnects with back-off, as a pool does.
            await PaneWhereAsync(socket, s => Row(s, "beta").Contains("Online", StringComparison.Ordinal), "beta Online again");

            await TmuxAsync(socket, "send-keys", "-t", "top", "q");
            await SessionEndsAsync(socket, "top to quit on q");
        }
        finally
        {
            await TmuxAsync(socket, "kill-server");
            run.Kill(entireProcessTree: true);
            await run.WaitForExitAsync();
        }
    }

    [SkippableFact]
    public async Task On_a_dumb_terminal_it_prints_plain_lines_instead_of_redrawing_until_Ctrl_C()
    {
        Skip.If(Tmux is null, "tmux is not installed: no terminal to watch the live view in.");
        string socket = "repartir-top-" + Guid.NewGuid().ToString("N")[..8];
        await using WorkerProcess alpha = await WorkerProcess.StartAsync("alpha", slots: 1);
        try
        {
            await TmuxAsync(socket, "new-session", "-d", "-s", "top", "-x", "180", "-y", "45", "env", "TERM=dumb", CliProcess.Executable, "top", "--interval", "200ms", "--worker", alpha.EndPoint.ToString());
            string screen = await PaneWhereAsync(socket, s => s.Split('\n').Count(l => l.Contains("workers 1/1 active", StringComparison.Ordinal)) >= 3, "three plain lines");
            Assert.DoesNotContain("Longest running", screen, StringComparison.Ordinal);
            Assert.Contains("alpha Online 0/1", screen, StringComparison.Ordinal);

            // Ctrl+C ends it, as q does the live view.
            await TmuxAsync(socket, "send-keys", "-t", "top", "C-c");
            await SessionEndsAsync(socket, "top to end on Ctrl+C");
        }
        finally
        {
            await TmuxAsync(socket, "kill-server");
        }
    }

    [SkippableFact]
    public async Task Ctrl_C_ends_the_live_view_with_exit_code_0_and_gives_the_terminal_back()
    {
        Skip.If(Tmux is null, "tmux is not installed: no terminal to watch the live view in.");
        string socket = "repartir-top-" + Guid.NewGuid().ToString("N")[..8];
        await using WorkerProcess alpha = await WorkerProcess.StartAsync("alpha", slots: 1);
        try
        {
            // Under a shell that says how top ended and stays: the screen after it is the terminal top gave back. The
            // shell catches the terminal's SIGINT (a handler, not an ignore, so top does not inherit it) and goes on.
            string command = $"trap : INT; '{CliProcess.Executable}' top --interval 200ms --worker {alpha.EndPoint}; echo \"top exited $?\"; sleep 60";
            await TmuxAsync(socket, "new-session", "-d", "-s", "top", "-x", "180", "-y", "45", "env", "TERM=xterm-256color", "sh", "-c", command);
            await PaneWhereAsync(socket, s => Row(s, "alpha").Contains("Online", StringComparison.Ordinal), "the live view");

            await TmuxAsync(socket, "send-keys", "-t", "top", "C-c");
            string screen = await PaneWhereAsync(socket, s => s.Contains("top exited", StringComparison.Ordinal), "top to end on Ctrl+C");
            Assert.Contains("top exited 0", screen, StringComparison.Ordinal);
            Assert.DoesNotContain("Longest running", screen, StringComparison.Ordinal); // the alternate screen is gone
        }
        finally
        {
            await TmuxAsync(socket, "kill-server");
        }
    }

    /// <summary>Waits for the tmux session to end (its command exited).</summary>
    private static async Task SessionEndsAsync(string socket, string what)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await TmuxAsync(socket, "has-session", "-t", "top")).Code == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Waited 30 s for {what}.");
            await Task.Delay(50);
        }
    }

    /// <summary>The line of the workers table that names <paramref name="worker"/>, or empty.</summary>
    private static string Row(string screen, string worker) =>
        screen.Split('\n').FirstOrDefault(line => line.Contains("127.0.0.1:", StringComparison.Ordinal) && line.Contains(" " + worker + " ", StringComparison.Ordinal)) ?? string.Empty;

    private static long Completed(string screen) =>
        CompletedCount().Match(screen) is { Success: true } match ? long.Parse(match.Groups[1].Value.Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture) : -1;

    [GeneratedRegex(@"completed ([\d,]+)")]
    private static partial Regex CompletedCount();

    private static async Task<string> PaneWhereAsync(string socket, Func<string, bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        string screen = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            screen = (await TmuxAsync(socket, "capture-pane", "-p", "-t", "top")).Output;
            if (condition(screen))
            {
                return screen;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"Waited 60 s for {what}; the pane shows:\n{screen}");
        return screen;
    }

    private static async Task<(int Code, string Output)> TmuxAsync(string socket, params string[] args)
    {
        var start = new ProcessStartInfo(Tmux!, ["-L", socket, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment.Remove("TMUX");
        using Process tmux = Process.Start(start)!;
        string output = await tmux.StandardOutput.ReadToEndAsync();
        await tmux.StandardError.ReadToEndAsync();
        await tmux.WaitForExitAsync();
        return (tmux.ExitCode, output);
    }
}
