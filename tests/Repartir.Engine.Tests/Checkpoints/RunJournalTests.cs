using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Repartir.Checkpoints;
using Repartir.Tasks;
using Repartir.Testing;

namespace Repartir.Tests.Checkpoints;

/// <summary>The run journal alone: what it records, what it recalls, how it keys tasks and how it fails.</summary>
public sealed class RunJournalTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 2, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _store = new();
    private readonly List<string> _ran = [];

    public void Dispose() => _store.Dispose();

    /// <summary>"Runs" a task: records that it ran, and fails it when its first argument says so.</summary>
    private Task<TaskResult> Execute(TaskSpec spec)
    {
        lock (_ran)
        {
            _ran.Add(string.Join(' ', spec.Arguments));
        }

        bool fail = spec.Arguments[0] == "fail";
        return Task.FromResult(new TaskResult
        {
            Id = new TaskId(_ran.Count),
            Name = spec.DisplayName,
            ExitCode = fail ? 1 : 0,
            StdoutBytes = [.. "out "u8, .. System.Text.Encoding.UTF8.GetBytes(spec.Arguments[^1]), 0xff],
            StderrBytes = "err"u8.ToArray(),
            StdoutTruncated = true,
            StartTime = Start,
            EndTime = Start.AddMilliseconds(1500),
            Attempt = 2,
            Losses = 1,
            Host = "node1",
            Worker = "node1/cpu-3",
            Backend = Backend.Remote,
            ProcessId = 4242,
            Spec = spec,
        });
    }

    private async Task<List<TaskResult>> RunAsync(IEnumerable<TaskSpec> specs, bool restart = false)
    {
        await using RunJournal journal = RunJournal.Open(_store.Path, "nightly", restart);
        var completions = specs.Select(spec => journal.Run(spec, spec.InputObject as string, Execute)).ToList();
        return [.. await Task.WhenAll(completions)];
    }

    private static TaskSpec Spec(string first, string item) => new("tool", first, item) { InputObject = item };

    [Fact]
    public async Task A_second_run_gets_recorded_successes_back_and_runs_only_the_rest()
    {
        await RunAsync([Spec("ok", "a"), Spec("fail", "b"), Spec("ok", "c")]);
        _ran.Clear();

        List<TaskResult> again = await RunAsync([Spec("ok", "a"), Spec("fail", "b"), Spec("ok", "c"), Spec("ok", "d")]);

        Assert.Equal(["fail b", "ok d"], _ran);
        Assert.Equal([true, false, true, false], again.Select(r => r.FromJournal));
        TaskResult recalled = again[0];
        Assert.Equal("a", recalled.InputObject);
        Assert.Equal((0, FailureKind.None, "node1/cpu-3", "node1", Backend.Remote, 4242), (recalled.ExitCode, recalled.Failure, recalled.Worker, recalled.Host, recalled.Backend, recalled.ProcessId));
        Assert.Equal([.. "out a"u8, 0xff], recalled.StdoutBytes);
        Assert.Equal("err"u8.ToArray(), recalled.StderrBytes);
        Assert.True(recalled.StdoutTruncated);
        Assert.Equal((Start, TimeSpan.FromMilliseconds(1500), 2, 1), (recalled.StartTime, recalled.Duration, recalled.Attempt, recalled.Losses));
        Assert.Equal("tool ok a", recalled.Name);
    }

    [Fact]
    public async Task Restart_discards_the_journal_and_another_name_is_another_journal()
    {
        await RunAsync([Spec("ok", "a")]);
        _ran.Clear();

        await RunAsync([Spec("ok", "a")], restart: true);
        await using (RunJournal other = RunJournal.Open(_store.Path, "other", restart: false))
        {
            Assert.Equal(0, other.RecordedBefore);
        }

        Assert.Equal(["ok a"], _ran);
        await using RunJournal reopened = RunJournal.Open(_store.Path, "nightly", restart: false);
        Assert.Equal(1, reopened.RecordedBefore);
    }

    [Fact]
    public async Task A_task_is_keyed_by_everything_it_runs_with_and_a_repeated_task_runs_as_often_as_it_appears()
    {
        TaskSpec basis = Spec("ok", "a");
        TaskSpec[] variants =
        [
            basis,
            basis,
            basis with { Executable = "other-tool" },
            basis with { Arguments = ["ok", "a", "more"] },
            basis with { Environment = new Dictionary<string, string?> { ["MODE"] = "fast" } },
            basis with { Environment = new Dictionary<string, string?> { ["MODE"] = null } },
            basis with { WorkingDirectory = "/srv" },
            basis with { StandardInput = new byte[] { 1 } },
            basis with { InputObject = "a2" },
        ];
        await RunAsync(variants);
        Assert.Equal(variants.Length, _ran.Count);
        _ran.Clear();

        List<TaskResult> again = await RunAsync([.. variants, basis]);

        Assert.Equal(["ok a"], _ran); // only the third "basis", which the first run did not have
        Assert.Equal(variants.Length, again.Count(r => r.FromJournal));
        Assert.False(again[^1].FromJournal);
    }

    [Fact]
    public async Task Input_that_is_not_UTF_8_keys_by_its_bytes()
    {
        // A Latin-1 line keeps each byte that is not UTF-8 as a lone surrogate (ArgumentBytes); as UTF-8 both of these
        // names would be "caf\uFFFD", and the second run would be handed the first one's result.
        string latin1Acute = ArgumentBytes.Decode("caf\u00e9"u8.ToArray()[..3].Append((byte)0xE9).ToArray());
        string latin1Grave = ArgumentBytes.Decode("caf\u00e8"u8.ToArray()[..3].Append((byte)0xE8).ToArray());
        await RunAsync([Spec("ok", latin1Acute)]);
        _ran.Clear();

        List<TaskResult> again = await RunAsync([Spec("ok", latin1Grave)]);

        Assert.Equal(["ok " + latin1Grave], _ran);
        Assert.False(again[0].FromJournal);
    }

    [Fact]
    public async Task Every_success_is_durable_once_written_without_closing_the_journal()
    {
        var clock = new FakeTimeProvider(Start);
        RunJournal journal = RunJournal.Open(_store.Path, "nightly", restart: false, clock);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 500).Select(i => journal.Run(Spec("ok", $"item{i}"), $"item{i}", Execute)));
            Eventually.True(
                () =>
                {
                    clock.Advance(RunJournal.CommitInterval); // the writer waits this long between commits
                    return journal.Written == 500;
                },
                TimeSpan.FromSeconds(30),
                "the writer to commit 500 records");

            // Another connection, as a process started after a crash would open it, sees every record.
            using var connection = new SqliteConnection($"Data Source={Path.Combine(_store.Path, CheckpointStore.FileName)};Pooling=False");
            connection.Open();
            using SqliteCommand count = connection.CreateCommand();
            count.CommandText = "SELECT COUNT(*), MIN(recorded_ticks) FROM journal_entries WHERE journal = 'nightly'";
            using SqliteDataReader row = count.ExecuteReader();
            row.Read();
            Assert.Equal(500L, row.GetInt64(0));
            Assert.InRange(row.GetInt64(1), Start.UtcTicks, clock.GetUtcNow().UtcTicks); // stamped by the injected clock
        }
        finally
        {
            await journal.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_store_that_refuses_a_commit_is_reported_and_the_run_goes_on()
    {
        RunJournal journal = RunJournal.Open(_store.Path, "nightly", restart: false);
        CheckpointException? reported = null;
        journal.WriteFailed += e => reported = e;
        using (var saboteur = new SqliteConnection($"Data Source={Path.Combine(_store.Path, CheckpointStore.FileName)};Pooling=False"))
        {
            saboteur.Open();
            using SqliteCommand drop = saboteur.CreateCommand();
            drop.CommandText = "DROP TABLE journal_entries";
            drop.ExecuteNonQuery();
        }

        TaskResult result = await journal.Run(Spec("ok", "a"), "a", Execute);

        Assert.True(result.Success);
        Eventually.True(() => reported is not null, TimeSpan.FromSeconds(30), "the failed commit to be reported");
        CheckpointException failure = await Assert.ThrowsAsync<CheckpointException>(async () => await journal.DisposeAsync());
        Assert.Equal(CheckpointProblem.StoreUnavailable, failure.Problem);
        Assert.Contains("Journal 'nightly'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("run them again", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAll_gives_every_recorded_result_with_what_it_ran()
    {
        await RunAsync([Spec("ok", "a"), Spec("fail", "b"), Spec("ok", "c")]);

        IReadOnlyList<TaskResult> recorded = RunJournal.ReadAll(_store.Path, "nightly");

        Assert.Equal(["a", "c"], recorded.Select(r => (string?)r.InputObject).Order());
        Assert.All(recorded, r => Assert.Equal(("tool", 2), (r.Spec.Executable, r.Spec.Arguments.Count)));
        Assert.All(recorded, r => Assert.True(r.FromJournal));
        Assert.Equal(CheckpointProblem.NotFound, Assert.Throws<CheckpointException>(() => RunJournal.ReadAll(_store.Path, "other")).Problem);
    }

    [Fact]
    public void A_journal_needs_a_name_and_a_store_it_can_open()
    {
        Assert.Throws<InvalidSettingException>(() => RunJournal.Open(_store.Path, " ", restart: false));
        File.WriteAllText(Path.Combine(_store.Path, "file"), "not a directory");
        CheckpointException notADirectory = Assert.Throws<CheckpointException>(() => RunJournal.Open(Path.Combine(_store.Path, "file"), "n", restart: false));
        Assert.Equal(CheckpointProblem.StoreUnavailable, notADirectory.Problem);
    }
}
