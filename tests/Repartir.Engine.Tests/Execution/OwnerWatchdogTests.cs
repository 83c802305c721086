using System.Diagnostics;
using System.Globalization;
using Repartir.Execution;
using Repartir.Scheduling;
using Repartir.Tasks;
using Repartir.Testing;
using Repartir.Tests.Remote;

namespace Repartir.Tests.Execution;

/// <summary>Nothing a run starts outlives its owner: tasks carry their owner's marker and its watchdog ends them when the owner dies, however it dies.</summary>
public sealed class OwnerWatchdogTests
{
    [Fact]
    public async Task Every_task_carries_its_executors_marker_which_no_task_setting_can_change()
    {
        using var executor = new LocalProcessExecutor(TestPools.FastKill);
        using var other = new LocalProcessExecutor(TestPools.FastKill);
        var spec = new TaskSpec("sh", "-c", "echo $REPARTIR_OWNER") { Environment = new Dictionary<string, string?> { ["REPARTIR_OWNER"] = "forged" } };

        TaskResult result = executor.Execute(spec, new ExecutionSlot(new TaskId(1), 1, "cpu-1"), CancellationToken.None);

        Assert.Equal(executor.OwnerMarker + "\n", result.Stdout);
        Assert.StartsWith(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-", executor.OwnerMarker, StringComparison.Ordinal);
        Assert.NotEqual(executor.OwnerMarker, other.OwnerMarker);
    }

    [Fact]
    public async Task A_stopped_pool_leaves_no_watchdog_behind()
    {
        var pool = TestPools.Create(workers: 1);
        string marker = (await pool.SubmitAsync(new TaskSpec("sh", "-c", "printf %s \"$REPARTIR_OWNER\"")).Within()).Stdout;
        int watchdog = Assert.Single(WatchdogsFor(marker));

        await pool.DisposeAsync();

        await Eventually.TrueAsync(() => !Processes.IsAlive(watchdog), seconds: 10);
    }

    [Fact]
    public async Task Tasks_of_a_repartir_run_killed_with_SIGKILL_die_with_it()
    {
        using var directory = new TempDirectory();
        string pidFile = directory.File("pid");
        using Process coordinator = Process.Start(Repartir.Tests.Cli.CliProcess.StartInfo("run", "--", "sh", "-c", $"echo $$ > {pidFile}; exec sleep 300 # {{}}"))!;
        await coordinator.StandardInput.WriteLineAsync("x");
        coordinator.StandardInput.Close();
        int task = await PidFrom(pidFile);

        coordinator.Kill(); // SIGKILL: no handler runs in the coordinator
        await coordinator.WaitForExitAsync();

        await Eventually.TrueAsync(() => !Processes.IsAlive(task), seconds: 10);
    }

    [Fact]
    public async Task Tasks_of_a_repartir_worker_killed_with_SIGKILL_die_with_it_instead_of_running_on_as_orphans()
    {
        using var directory = new TempDirectory();
        string pidFile = directory.File("pid");
        await using WorkerProcess worker = await WorkerProcess.StartAsync("doomed", slots: 1);
        await using Pool pool = TestRemote.Pool([worker.EndPoint.ToString()]);
        await TestRemote.WaitOnlineAsync(pool);
        _ = pool.SubmitAsync(new TaskSpec("sh", "-c", $"echo $$ > {pidFile}; exec sleep 300"));
        int task = await PidFrom(pidFile);

        await worker.KillAsync();

        await Eventually.TrueAsync(() => !Processes.IsAlive(task), seconds: 10);
    }

    private static async Task<int> PidFrom(string file)
    {
        await Eventually.TrueAsync(() => File.Exists(file) && File.ReadAllText(file).EndsWith('\n'), seconds: 30);
        return int.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>The watchdog shells of one owner: their command line carries its marker.</summary>
    private static int[] WatchdogsFor(string marker) =>
        [.. Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(d => d!.All(char.IsAsciiDigit)).Select(d => int.Parse(d!, CultureInfo.InvariantCulture))
            .Where(pid => CommandLineOf(pid).Contains("repartir-watchdog\0REPARTIR_OWNER=" + marker + "\0", StringComparison.Ordinal))];

    private static string CommandLineOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}
