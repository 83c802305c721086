using System.Text;
using System.Text.Json;
using Repartir.Remote;
using Repartir.Tests.Remote;

namespace Repartir.Tests.Cli;

/// <summary>Bad input to a real <c>repartir run</c>: one clear line for what was wrong, the rest of the run untouched.</summary>
public sealed class BadInputTests
{
    [Fact]
    public async Task A_NUL_byte_in_a_line_fails_that_item_with_a_clear_error_and_the_run_goes_on()
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync("a\nb\0c\nd\n"u8.ToArray(), "run", "-k", "--", "echo");

        Assert.Equal(1, code); // one failure
        Assert.Equal("a\nd\n", Encoding.UTF8.GetString(stdout));
        Assert.Equal("repartir: echo 'b\\x00c': Rejected: Invalid task: Argument 0 contains a NUL character, which no program can receive.\n", stderr);
    }

    [Fact]
    public async Task Input_lines_that_are_not_UTF8_reach_the_task_byte_for_byte()
    {
        // Latin-1, a lone continuation byte, a truncated sequence, an encoded surrogate, a 4-byte character whose low
        // surrogate looks like an escaped byte, and CRLF: each line must come back exactly as it went in.
        byte[][] lines = [[0x63, 0x61, 0x66, 0xE9], [0x80], [0x61, 0xE2, 0x82], [0xED, 0xA0, 0x80], "\U00010080 ok"u8.ToArray()];
        byte[] input = [.. lines.SelectMany(l => l.Append((byte)'\n')), .. "crlf\r\n"u8];

        var (code, stdout, stderr) = await CliProcess.RunAsync(input, "run", "-k", "--", "sh", "-c", "printf '%s|' \"$1\"", "sh");

        Assert.True(code == 0, stderr);
        Assert.Equal([.. lines.SelectMany(l => l.Append((byte)'|')), .. "crlf|"u8], stdout);
    }

    [Fact]
    public async Task Input_lines_that_are_not_UTF8_reach_a_task_on_a_remote_worker_byte_for_byte()
    {
        await using WorkerServer worker = TestRemote.StartWorker("bytes", slots: 2);
        byte[] input = [0x63, 0x61, 0x66, 0xE9, 0x0A, 0x6F, 0x6B, 0x0A];

        var (code, stdout, stderr) = await CliProcess.RunAsync(input, "run", "-k", "--worker", worker.Address(), "--", "printf", "%s|");

        Assert.True(code == 0, stderr);
        Assert.Equal([0x63, 0x61, 0x66, 0xE9, (byte)'|', 0x6F, 0x6B, (byte)'|'], stdout);
    }

    [Fact]
    public async Task A_failing_line_that_is_not_UTF8_is_named_with_its_bytes()
    {
        var (code, _, stderr) = await CliProcess.RunAsync([0x62, 0xFF, 0x0A], "run", "--", "/nonexistent/program");

        Assert.Equal(1, code);
        Assert.StartsWith("repartir: /nonexistent/program 'b\\xff': NotFound: ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_JSON_result_carries_the_raw_bytes_of_an_input_line_that_is_not_UTF8()
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync([0x62, 0xFF, 0x0A, 0x6F, 0x6B, 0x0A], "run", "-k", "--json", "--", "true");

        Assert.True(code == 0, stderr);
        JsonElement[] records = [.. Encoding.UTF8.GetString(stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];
        Assert.Equal("Yv8=", records[0].GetProperty("inputBase64").GetString()); // b, 0xFF
        Assert.Equal(JsonValueKind.Null, records[1].GetProperty("inputBase64").ValueKind);
        Assert.Equal("ok", records[1].GetProperty("input").GetString());
    }

    [Fact]
    public async Task Out_of_range_settings_are_one_line_usage_errors_not_stack_traces()
    {
        foreach (string[] args in new[] { new[] { "--workers", "100000" }, ["--workers", "-3"], ["--max-output", "9G"], ["--timeout", "-1s"] })
        {
            var (code, _, stderr) = await CliProcess.RunAsync("x\n"u8.ToArray(), ["run", .. args, "--", "true"]);

            Assert.Equal(2, code);
            Assert.Single(stderr.TrimEnd('\n').Split('\n'));
            Assert.StartsWith("repartir: ", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", stderr, StringComparison.Ordinal);
            Assert.DoesNotMatch(@"\n\s+at ", stderr);
        }
    }

    [Fact]
    public async Task A_failure_on_a_10_MB_line_does_not_echo_the_line_back()
    {
        byte[] line = [.. Enumerable.Repeat((byte)'y', 10_000_000), (byte)'\n'];

        var (code, _, stderr) = await CliProcess.RunAsync(line, "run", "--", "sh", "-c", "exit 3");

        Assert.Equal(1, code);
        Assert.True(stderr.Length < 1000, $"{stderr.Length} characters on stderr");
        Assert.Contains("… (10000015 characters): SpawnFailed", stderr, StringComparison.Ordinal); // the kernel refuses a 10 MB argument
    }
}
