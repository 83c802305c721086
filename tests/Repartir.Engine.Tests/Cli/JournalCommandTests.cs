using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Repartir.Checkpoints;
using Repartir.Testing;

namespace Repartir.Tests.Cli;

/// <summary><c>repartir run --journal</c> as a scheduled job uses it: killed with SIGKILL at any moment, then run again.</summary>
public sealed class JournalCommandTests : IDisposable
{
    private const int Tasks = 120;
    private readonly TempDirectory _directory = new();

    public JournalCommandTests() => Directory.CreateDirectory(Runs);

    public void Dispose() => _directory.Dispose();

    private string Store => _directory.File("store");

    private string Runs => _directory.File("runs");

    private static byte[] Input => Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(1, Tasks).Select(i => $"{i}\n")));

    /// <summary>Each execution of task N appends a line to runs/N before it does its work.</summary>
    private string[] RunArguments(params string[] extra) =>
        ["run", "-j", "4", "--journal", "crash", "--store", Store, .. extra, "--", "sh", "-c", $"echo x >> '{Runs}'/$1; sleep 0.02", "sh", "{}"];

    [Fact]
    public async Task A_run_killed_with_SIGKILL_at_random_moments_then_resumed_reruns_no_recorded_success_and_loses_no_task()
    {
        var random = new Random(2026);
        for (int round = 0; round < 5; round++)
        {
            HashSet<int> recorded = Recorded();
            int[] before = Executions();
            int killAt = before.Sum() + random.Next(1, 40);
            using (Process run = Process.Start(CliProcess.StartInfo(RunArguments()))!)
            {
                Task<string> draining = run.StandardOutput.ReadToEndAsync();
                Task<string> errors = run.StandardError.ReadToEndAsync();
                await run.StandardInput.BaseStream.WriteAsync(Input);
                run.StandardInput.Close();
                await Eventually.TrueAsync(() => Executions().Sum() >= killAt || run.HasExited, seconds: 60);
                run.Kill(); // SIGKILL
                await run.WaitForExitAsync();
                await Task.WhenAll(draining, errors);
            }

            // The watchdog ends the killed run's tasks; one just started could still write its line.
            await Eventually.TrueAsync(() => !TasksAlive(), seconds: 30);

            int[] after = Executions();
            Assert.All(recorded, task => Assert.True(after[task] == before[task], $"round {round}: task {task} was recorded as succeeded, yet ran again"));
        }

        HashSet<int> recordedBeforeLast = Recorded();
        int[] beforeLast = Executions();
        using var stdout = new MemoryStream();
        (int exitCode, string stderr) = await CliProcess.RunAsync(Input, stdout, new Dictionary<string, string>(), RunArguments("--json"));
        int[] afterLast = Executions();

        Assert.True(exitCode == 0, stderr);
        var results = Encoding.UTF8.GetString(stdout.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(Enumerable.Range(1, Tasks), results.Select(r => int.Parse(r.GetProperty("input").GetString()!, CultureInfo.InvariantCulture)).Order()); // each task once
        Assert.All(results, r => Assert.True(r.GetProperty("success").GetBoolean()));
        for (int task = 1; task <= Tasks; task++)
        {
            bool fromJournal = results.Single(r => r.GetProperty("input").GetString() == task.ToString(CultureInfo.InvariantCulture)).GetProperty("fromJournal").GetBoolean();
            Assert.Equal(recordedBeforeLast.Contains(task), fromJournal);
            Assert.Equal(recordedBeforeLast.Contains(task) ? 0 : 1, afterLast[task] - beforeLast[task]); // the rest ran exactly once more
            Assert.True(afterLast[task] >= 1, $"task {task} never ran");
        }

        Assert.Contains($"{recordedBeforeLast.Count} successes of earlier runs are not run again", stderr, StringComparison.Ordinal);
        Assert.True(recordedBeforeLast.Count > 0, "no round recorded anything before it was killed: the test proved nothing");
    }

    [Fact]
    public async Task Restart_runs_everything_again_and_the_options_need_a_journal()
    {
        (int first, _, _) = await CliProcess.RunAsync(Encoding.ASCII.GetBytes("1\n2\n"), RunArguments());
        (int again, _, string againErrors) = await CliProcess.RunAsync(Encoding.ASCII.GetBytes("1\n2\n"), RunArguments("--restart"));
        (int usage, _, string usageErrors) = await CliProcess.RunAsync([], "run", "--restart", "--", "true");

        Assert.Equal((0, 0), (first, again));
        Assert.Equal(2, Executions()[1]);
        Assert.DoesNotContain("not run again", againErrors, StringComparison.Ordinal);
        Assert.Equal(2, usage);
        Assert.Contains("--restart and --store go with --journal NAME", usageErrors, StringComparison.Ordinal);
    }

    /// <summary>True while a process of this test's tasks still exists (their command lines name the runs directory).</summary>
    private bool TasksAlive() =>
        Directory.EnumerateDirectories("/proc").Any(process =>
        {
            try
            {
                return Path.GetFileName(process).All(char.IsAsciiDigit) && File.ReadAllText(Path.Combine(process, "cmdline")).Contains(Runs, StringComparison.Ordinal);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false; // it ended while being looked at
            }
        });

    /// <summary>How often each task has run so far, from its side-effect file (index 0 unused).</summary>
    private int[] Executions()
    {
        var counts = new int[Tasks + 1];
        for (int task = 1; task <= Tasks; task++)
        {
            string file = Path.Combine(Runs, task.ToString(CultureInfo.InvariantCulture));
            counts[task] = File.Exists(file) ? File.ReadAllLines(file).Length : 0;
        }

        return counts;
    }

    /// <summary>The tasks whose success the journal holds now, read from the store as a later run would.</summary>
    private HashSet<int> Recorded()
    {
        var tasks = new HashSet<int>();
        if (!File.Exists(Path.Combine(Store, CheckpointStore.FileName)))
        {
            return tasks;
        }

        using var connection = new SqliteConnection($"Data Source={Path.Combine(Store, CheckpointStore.FileName)};Pooling=False");
        connection.Open();
        using SqliteCommand select = connection.CreateCommand();
        select.CommandText = "SELECT result FROM journal_entries WHERE journal = 'crash'";
        using SqliteDataReader row = select.ExecuteReader();
        while (row.Read())
        {
            var result = (Dictionary<string, object?>)StateTree.Decode((byte[])row[0])!;
            tasks.Add(int.Parse(((string)result["name"]!).Split(' ')[^1], CultureInfo.InvariantCulture)); // "sh -c '…' sh N"
        }

        return tasks;
    }
}
