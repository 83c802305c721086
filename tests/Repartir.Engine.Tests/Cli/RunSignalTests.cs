using System.Diagnostics;
using System.Globalization;
using Repartir.Testing;

namespace Repartir.Tests.Cli;

/// <summary>
/// A real <c>repartir run</c> process stopped by SIGINT (Ctrl+C, which never reaches the tasks: each has its own
/// process group), SIGTERM or SIGHUP (a closed terminal): every task tree is killed before the run exits.
/// </summary>
public sealed class RunSignalTests
{
    [Theory]
    [InlineData("INT", 2)]
    [InlineData("TERM", 15)]
    [InlineData("HUP", 1)]
    public async Task A_signal_kills_every_running_task_before_the_run_exits_with_128_plus_its_number(string signal, int number)
    {
        using var directory = new TempDirectory();
        using Process run = Process.Start(CliProcess.StartInfo("run", "-j", "2", "--", "sh", "-c", $"echo $$ > {directory.Path}/pid.$0; exec sleep 300"))!;
        Task<string> stderr = run.StandardError.ReadToEndAsync();
        await run.StandardInput.WriteAsync("1\n2\n3\n");
        run.StandardInput.Close();
        await Eventually.TrueAsync(() => Directory.GetFiles(directory.Path, "pid.*").Count(f => File.ReadAllText(f).EndsWith('\n')) == 2, seconds: 30);
        int[] tasks = [.. Directory.GetFiles(directory.Path, "pid.*").Select(f => int.Parse(File.ReadAllText(f).Trim(), CultureInfo.InvariantCulture))];

        using (Process kill = Process.Start("kill", [$"-{signal}", run.Id.ToString(CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync();
        }

        await run.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(tasks, pid => Assert.False(Processes.IsAlive(pid), $"task {pid} outlived the run"));
        Assert.Equal(128 + number, run.ExitCode);
        Assert.Contains($"repartir: SIG{signal}: stopped; running tasks were killed", await stderr, StringComparison.Ordinal);
        Assert.Equal(2, tasks.Length); // the third line never started
        Assert.False(File.Exists(Path.Combine(directory.Path, "pid.3")));
    }
}
