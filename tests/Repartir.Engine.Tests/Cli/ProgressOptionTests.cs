using System.Diagnostics;
using System.Text;

namespace Repartir.Tests.Cli;

/// <summary><c>repartir run --progress</c> on a real terminal (a pseudo-terminal from util-linux <c>script</c>) and redirected.</summary>
public sealed class ProgressOptionTests
{
    [SkippableFact]
    public async Task On_a_terminal_one_line_is_redrawn_in_place_with_counts_and_the_final_total()
    {
        Skip.IfNot(File.Exists("/usr/bin/script"), "util-linux script is not installed: no pseudo-terminal to run the progress line on.");
        string command = $"'{CliProcess.Executable}' run -j 2 --progress -- sh -c 'sleep 0.05; [ $1 -ne 4 ]' sh {{}}";
        var start = new ProcessStartInfo("/usr/bin/script", ["-qec", command, "/dev/null"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        using Process terminal = Process.Start(start)!;
        await terminal.StandardInput.WriteAsync("1\n2\n3\n4\n5\n6\n");
        terminal.StandardInput.Close();
        string screen = await terminal.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await terminal.WaitForExitAsync();

        string[] drawings = [.. screen.Split('\r').Where(part => part.StartsWith("[#", StringComparison.Ordinal) || part.StartsWith("[.", StringComparison.Ordinal))];
        Assert.NotEmpty(drawings);
        Assert.StartsWith("[####################] 6/6 100%, 1 failed, ", drawings[^1], StringComparison.Ordinal); // the final drawing stays
        Assert.All(drawings, d => Assert.DoesNotContain("\u001b", d, StringComparison.Ordinal)); // carriage returns only: a dumb terminal shows it too
    }

    [Fact]
    public async Task Redirected_the_option_draws_nothing()
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync("a\nb\n"u8.ToArray(), "run", "-k", "--progress", "--", "echo");
        Assert.Equal(0, code);
        Assert.Equal("a\nb\n", Encoding.UTF8.GetString(stdout));
        Assert.Equal(string.Empty, stderr);
    }
}
