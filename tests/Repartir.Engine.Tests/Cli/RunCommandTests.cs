using System.Text;
using System.Text.Json;
using Repartir.Cli;
using Repartir.Remote;
using Repartir.Testing;
using Repartir.Tests.Remote;

namespace Repartir.Tests.Cli;

public sealed class RunCommandTests
{
    private static async Task<(int ExitCode, string Stdout, string Stderr)> Repartir(string stdin, params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        int code = await CommandLineApp.RunAsync(args, new MemoryStream(Encoding.UTF8.GetBytes(stdin)), stdout, stderr).WaitAsync(TimeSpan.FromSeconds(60));
        return (code, Encoding.UTF8.GetString(stdout.ToArray()), Encoding.UTF8.GetString(stderr.ToArray()));
    }

    [Fact]
    public async Task Fans_out_one_task_per_line_and_keeps_order_when_asked()
    {
        string input = string.Join('\n', Enumerable.Range(1, 20)) + "\n";
        var (code, stdout, _) = await Repartir(input, "run", "--workers", "4", "--keep-order", "--", "sh", "-c", "sleep 0.0$(( {} % 3 )); echo item {} is {#}");

        Assert.Equal(0, code);
        Assert.Equal(string.Concat(Enumerable.Range(1, 20).Select(i => $"item {i} is {i}\n")), stdout);
    }

    [Fact]
    public async Task Runs_on_remote_workers_given_with_repeated_worker_options()
    {
        await using WorkerServer first = TestRemote.StartWorker("first", slots: 2);
        await using WorkerServer second = TestRemote.StartWorker("second", slots: 2);
        string input = string.Join('\n', Enumerable.Range(1, 30)) + "\n";

        var (code, stdout, stderr) = await Repartir(input, "run", "--worker", first.Address(), "--worker", second.Address(), "--json", "--", "echo", "item");

        Assert.True(code == 0, stderr);
        JsonElement[] records = [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)];
        Assert.Equal(30, records.Length);
        Assert.All(records, r => Assert.Equal("Remote", r.GetProperty("backend").GetString()));
        Assert.Equal(2, records.Select(r => r.GetProperty("worker").GetString()!.Split('/')[0]).Distinct().Count());
        await Eventually.TrueAsync(() => first.Connections + second.Connections == 0); // the run closed its connections on the way out
    }

    [Theory]
    [InlineData("not-an-address", "--worker: 'not-an-address' is not HOST:PORT")]
    [InlineData("127.0.0.1:1", "no worker could be reached, nothing was run")]
    public async Task Bad_or_unreachable_workers_are_named_and_nothing_runs(string address, string message)
    {
        var (code, stdout, stderr) = await Repartir("1\n", "run", "--worker", address, "--", "echo");

        Assert.Equal(CommandLineApp.UsageErrorExitCode, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, stdout);
    }

    [Fact]
    public async Task Without_braces_the_item_is_the_last_argument()
    {
        var (code, stdout, _) = await Repartir("one\ntwo\n", "run", "-k", "--", "echo", "got");

        Assert.Equal(0, code);
        Assert.Equal("got one\ngot two\n", stdout);
    }

    [Fact]
    public async Task Exit_code_counts_failures_and_stderr_passes_through()
    {
        var (code, _, stderr) = await Repartir("0\n1\n2\n3\n", "run", "--", "sh", "-c", "echo oops >&2; exit $(( {} % 2 ))");

        Assert.Equal(2, code);
        Assert.Equal(4, stderr.Split('\n').Count(l => l == "oops"));
    }

    [Fact]
    public async Task Exit_code_is_capped_at_101()
    {
        string input = string.Join('\n', Enumerable.Range(0, 105)) + "\n";
        var (code, _, _) = await Repartir(input, "run", "-j", "2", "--", "false");

        Assert.Equal(101, code);
    }

    [Fact]
    public async Task A_missing_program_is_reported_per_task()
    {
        var (code, _, stderr) = await Repartir("x\n", "run", "--", "repartir-no-such-program-4c3e");

        Assert.Equal(1, code);
        Assert.Contains("NotFound", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_prints_one_object_per_result_with_every_field()
    {
        var (code, stdout, _) = await Repartir("a\nb\n", "run", "--json", "-k", "--", "sh", "-c", "printf '{}'; exit 3");

        Assert.Equal(2, code);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using JsonDocument first = JsonDocument.Parse(lines[0]);
        JsonElement root = first.RootElement;
        Assert.Equal("a", root.GetProperty("input").GetString());
        Assert.Equal(1, root.GetProperty("number").GetInt64());
        Assert.Equal("a", root.GetProperty("stdout").GetString());
        Assert.Equal(3, root.GetProperty("exitCode").GetInt32());
        Assert.False(root.GetProperty("success").GetBoolean());
        Assert.Equal("None", root.GetProperty("failure").GetString());
        Assert.Equal(1, root.GetProperty("attempt").GetInt32());
        foreach (string field in new[] { "id", "name", "command", "signal", "failureMessage", "stderr", "stdoutBase64", "stdoutTruncated", "startTime", "endTime", "durationMs", "host", "worker", "backend", "processId" })
        {
            Assert.True(root.TryGetProperty(field, out _), $"missing {field}");
        }
    }

    [Fact]
    public async Task Json_carries_non_UTF8_output_losslessly()
    {
        var (_, stdout, _) = await Repartir("x\n", "run", "--json", "--", "printf", "\\377");

        using JsonDocument doc = JsonDocument.Parse(stdout);
        Assert.Equal("/w==", doc.RootElement.GetProperty("stdoutBase64").GetString());
    }

    [Fact]
    public async Task Timeout_and_retries_are_applied()
    {
        var (code, stdout, _) = await Repartir("x\n", "run", "--timeout", "300ms", "--retries", "1", "--json", "--", "sh", "-c", "sleep 5 # {}");

        Assert.Equal(1, code);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        Assert.Equal("TimedOut", doc.RootElement.GetProperty("failure").GetString());
        Assert.Equal(2, doc.RootElement.GetProperty("attempt").GetInt32());
    }

    [Theory]
    [InlineData("run", "--timeout", "soon", "--", "echo")]
    [InlineData("run", "--timeout", "-5s", "--", "echo")]
    [InlineData("run", "--bogus", "--", "echo")]
    [InlineData("run", "--workers", "0", "--", "echo")]
    [InlineData("run", "--workers", "many", "--", "echo")]
    [InlineData("run", "--retries", "-1", "--", "echo")]
    [InlineData("run")]
    [InlineData("walk")]
    public async Task Bad_input_gets_a_one_line_error_and_exit_code_2(params string[] args)
    {
        var (code, stdout, stderr) = await Repartir("x\n", args);

        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("repartir: ", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("500ms", 0.5)]
    [InlineData("30s", 30)]
    [InlineData("2m", 120)]
    [InlineData("1h", 3600)]
    [InlineData("7d", 604800)]
    [InlineData("1.5", 1.5)]
    public void Durations_parse_as_people_type_them(string text, double seconds)
    {
        Assert.True(Duration.TryParse(text, out TimeSpan parsed, out _));
        Assert.Equal(TimeSpan.FromSeconds(seconds), parsed);
    }

    [Fact]
    public async Task Output_cut_at_max_output_is_reported_on_stderr_and_0_keeps_all()
    {
        var (code, stdout, stderr) = await Repartir("x\n", "run", "--max-output", "1K", "--", "sh", "-c", "head -c 5000 /dev/zero | tr '\\0' a");
        Assert.Equal(0, code);
        Assert.Equal(1024, stdout.Length);
        Assert.Contains("stdout was cut short: it wrote more than the 1 KiB kept per stream; the rest was dropped (--max-output SIZE keeps more, 0 keeps all)", stderr, StringComparison.Ordinal);

        // With --json or -k, 0 holds all of it for its result (plain output passes straight through: OutputVolumeTests).
        (code, stdout, stderr) = await Repartir("x\n", "run", "-k", "--max-output", "0", "--", "sh", "-c", "head -c 17000000 /dev/zero | tr '\\0' a");
        Assert.Equal(0, code);
        Assert.Equal(17_000_000, stdout.Length); // beyond the 16 MiB default
        Assert.DoesNotContain("cut short", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await Repartir("x\n", "run", "--max-output", "12X", "--", "true");
        Assert.Equal(2, code);
        Assert.Contains("--max-output: '12X' is not a size", stderr, StringComparison.Ordinal);
    }
}
