using System.Text;

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
