using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Repartir.Tasks;

namespace Repartir.Checkpoints;

/// <summary>
/// A resumable run's journal, in a checkpoint store: every task that succeeds is recorded under a stable key
/// (<see cref="JournalKey"/>), and a later run with the same journal name gets the recorded result back instead of
/// running the task again. Failures are not recorded, so they run again.
/// </summary>
/// <remarks>
/// Records are written by one background writer in group commits: whatever has arrived is committed in one durable
/// transaction (at most <see cref="MaxBatch"/> records), then the writer waits <see cref="CommitInterval"/>, and what
/// arrived meanwhile goes in the next. A success is so durable within the interval plus two commits after its task
/// ends (about 25 ms on an SSD); a coordinator killed inside that window runs the task again next time. Nothing
/// recorded is ever run again.
/// </remarks>
public sealed class RunJournal : IAsyncDisposable
{
    /// <summary>The most records one commit holds, so a commit's time stays bounded under any load.</summary>
    public const int MaxBatch = 4096;

    /// <summary>The least time between two commits: a success waits at most this long, plus one commit, to be durable.</summary>
    public static readonly TimeSpan CommitInterval = TimeSpan.FromMilliseconds(20);

    private readonly SqliteConnection _reader;
    private readonly SqliteConnection _writer;
    private readonly HashSet<string> _recorded;
    private readonly JournalKey _keys = new();
    private readonly Channel<(string Key, TaskResult Result, string? Input)> _pending = Channel.CreateUnbounded<(string, TaskResult, string?)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _writing;
    private long _written;
    private CheckpointException? _failure;

    private RunJournal(string directory, string name, SqliteConnection reader, SqliteConnection writer, HashSet<string> recorded, TimeProvider time)
    {
        Directory = directory;
        Name = name;
        _reader = reader;
        _writer = writer;
        _recorded = recorded;
        _time = time;
        _writing = Task.Run(WriteAsync);
    }

    /// <summary>The journal's name.</summary>
    public string Name { get; }

    /// <summary>The store's directory.</summary>
    public string Directory { get; }

    /// <summary>Successes recorded by earlier runs when this one opened the journal.</summary>
    public int RecordedBefore => _recorded.Count;

    /// <summary>Successes of this run made durable so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Raised (on the writer's thread) once, when the store refuses a commit: later results are not recorded.</summary>
    public event Action<CheckpointException>? WriteFailed;

    /// <summary>Opens journal <paramref name="name"/> in the store in <paramref name="directory"/> (the default store when null); <paramref name="restart"/> first discards what it recorded.</summary>
    /// <exception cref="CheckpointException">The store cannot be opened or written.</exception>
    public static RunJournal Open(string? directory, string name, bool restart, TimeProvider? time = null)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new InvalidSettingException(nameof(name), "A journal needs a name.");
        }

        string full = CheckpointStore.FullPath(directory);
        SqliteConnection reader = StoreDatabase.Open(full, allowReadOnly: false, out _);
        SqliteConnection? writer = null;
        try
        {
            // Records are appended in rowid order, so a commit rewrites the table's last page, not a page per random key
            // (with 64 KiB pages that was megabytes a commit); the keys live in a small index.
            reader.Execute("""
                CREATE TABLE IF NOT EXISTS journal_entries (id INTEGER PRIMARY KEY, journal TEXT NOT NULL, key TEXT NOT NULL, recorded_ticks INTEGER NOT NULL, result BLOB NOT NULL);
                CREATE UNIQUE INDEX IF NOT EXISTS journal_entries_key ON journal_entries (journal, key);
                """);
            if (restart)
            {
                using SqliteCommand discard = reader.Command("DELETE FROM journal_entries WHERE journal = $name", ("$name", name));
                discard.ExecuteNonQuery();
            }

            var recorded = new HashSet<string>(StringComparer.Ordinal);
            using (SqliteCommand keys = reader.Command("SELECT key FROM journal_entries WHERE journal = $name", ("$name", name)))
            using (SqliteDataReader row = keys.ExecuteReader())
            {
                while (row.Read())
                {
                    recorded.Add(row.GetString(0));
                }
            }

            writer = StoreDatabase.Open(full, allowReadOnly: false, out _);

            // A 32 MiB page cache (SQLite's default is 2 MiB, 31 of these 64 KiB pages) keeps the table's last pages and
            // the key index in memory between commits: 7.2-7.9 us of CPU a record became 6.0-7.0. The checkpoint store
            // keeps the default: a save writes each page once, and its figures did not move with the larger cache.
            writer.Execute("PRAGMA cache_size = -32768;");
            return new RunJournal(full, name, reader, writer, recorded, time ?? TimeProvider.System);
        }
        catch (SqliteException e)
        {
            reader.Dispose();
            writer?.Dispose();
            throw new CheckpointException(CheckpointProblem.StoreUnavailable, $"Journal '{name}' in {full} cannot be opened: {e.Message}", e);
        }
    }

    /// <summary>
    /// The result of the next task: the recorded one (<see cref="TaskResult.FromJournal"/>) when an earlier run
    /// recorded its success, otherwise what <paramref name="submit"/> runs, recorded when it succeeds. Called by one
    /// submitting thread at a time, in input order (the order decides which of two identical tasks is which).
    /// </summary>
    /// <exception cref="CheckpointException">A recorded result cannot be read back (damaged store).</exception>
    public Task<TaskResult> Run(TaskSpec spec, string? inputIdentity, Func<TaskSpec, Task<TaskResult>> submit)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(submit);
        string key = _keys.Next(spec, inputIdentity);
        if (_recorded.Contains(key))
        {
            return Task.FromResult(Recall(key, spec));
        }

        return submit(spec).ContinueWith(
            completed =>
            {
                TaskResult result = completed.Result;
                if (result.Success)
                {
                    // Encoded by the writer, not here: this runs on the thread that finished the task, which has the next one to start.
                    // After DisposeAsync the write is refused: that success is not recorded and a resumed run runs it again.
                    _pending.Writer.TryWrite((key, result, inputIdentity));
                }

                return result;
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Every result journal <paramref name="name"/> holds, in the order they were recorded (by task id within a commit), each with the command, arguments and input text it ran with.</summary>
    /// <exception cref="CheckpointException">The store cannot be read, the journal has no records, or a record is damaged.</exception>
    public static IReadOnlyList<TaskResult> ReadAll(string? directory, string name)
    {
        string full = CheckpointStore.FullPath(directory);
        if (!CheckpointStore.Exists(full))
        {
            throw NoSuchJournal(name, full);
        }

        using SqliteConnection connection = StoreDatabase.Open(full, allowReadOnly: true, out _);
        var results = new List<(long Recorded, TaskResult Result)>();
        try
        {
            using SqliteCommand select = connection.Command("SELECT recorded_ticks, result FROM journal_entries WHERE journal = $name", ("$name", name));
            using SqliteDataReader row = select.ExecuteReader();
            while (row.Read())
            {
                results.Add((row.GetInt64(0), JournalRecord.Decode((byte[])row[1], spec: null)));
            }
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 1 && e.Message.Contains("no such table", StringComparison.Ordinal))
        {
            // No journal was ever opened in this store.
        }
        catch (SqliteException e)
        {
            throw new CheckpointException(CheckpointProblem.StoreUnavailable, $"Journal '{name}' in {full} cannot be read: {e.Message}", e);
        }
        catch (StateTreeException e)
        {
            throw new CheckpointException(CheckpointProblem.Damaged, $"Journal '{name}' in {full} holds a damaged record: {e.Message}", e);
        }

        return results.Count > 0 ? [.. results.OrderBy(r => r.Recorded).ThenBy(r => r.Result.Id).Select(r => r.Result)] : throw NoSuchJournal(name, full);
    }

    private static CheckpointException NoSuchJournal(string name, string directory) =>
        new(CheckpointProblem.NotFound, $"No journal '{name}' in {directory}: no run with -Journal {name} (--journal {name}) recorded a success there.");

    /// <summary>Writes what is still pending and closes the journal.</summary>
    /// <exception cref="CheckpointException">A commit failed during the run: the results it names were not recorded.</exception>
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _closing.CancelAsync().ConfigureAwait(false);
        await _writing.ConfigureAwait(false);
        _closing.Dispose();
        _reader.Dispose();
        _writer.Dispose();
        _keys.Dispose();
        if (_failure is { } failure)
        {
            throw failure;
        }
    }

    private TaskResult Recall(string key, TaskSpec spec)
    {
        using SqliteCommand find = _reader.Command("SELECT result FROM journal_entries WHERE journal = $name AND key = $key", ("$name", Name), ("$key", key));
        try
        {
            return JournalRecord.Decode((byte[])find.ExecuteScalar()!, spec);
        }
        catch (StateTreeException e)
        {
            throw new CheckpointException(CheckpointProblem.Damaged, $"Journal '{Name}' in {Directory} holds a damaged record for task {spec.DisplayName}: {e.Message} Run again with -Restart (--restart) to discard the journal.", e);
        }
    }

    private async Task WriteAsync()
    {
        using SqliteCommand insert = _writer.Command(
            "INSERT OR REPLACE INTO journal_entries (journal, key, recorded_ticks, result) VALUES ($name, $key, $ticks, $result)",
            ("$name", Name), ("$key", string.Empty), ("$ticks", 0L), ("$result", Array.Empty<byte>()));
        var batch = new List<(string Key, TaskResult Result, string? Input)>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out (string, TaskResult, string?) record))
            {
                batch.Add(record);
            }

            if (_failure is null)
            {
                Commit(insert, batch);
            }

            batch.Clear();
            try
            {
                // Commits cost CPU beside the tasks: at most one per interval, whatever the rate of results (measured on
                // 2 cores: journaled local-spawn went from 0.85 to 0.94 of plain). DisposeAsync cuts the wait short.
                await Task.Delay(CommitInterval, _time, _closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Closing: what is left is committed at once.
            }
        }
    }

    private void Commit(SqliteCommand insert, List<(string Key, TaskResult Result, string? Input)> batch)
    {
        try
        {
            using SqliteTransaction transaction = _writer.BeginTransaction();
            insert.Transaction = transaction;
            insert.Parameters["$ticks"].Value = _time.GetUtcNow().UtcTicks;
            foreach ((string key, TaskResult result, string? input) in batch)
            {
                insert.Parameters["$key"].Value = key;
                insert.Parameters["$result"].Value = JournalRecord.Encode(result, input);
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
            Interlocked.Add(ref _written, batch.Count);
        }
        catch (SqliteException e)
        {
            _failure = new CheckpointException(CheckpointProblem.StoreUnavailable, $"Journal '{Name}' in {Directory} cannot be written: {e.Message} The run goes on, but its results from now on are not recorded: a resumed run will run them again.", e);
            WriteFailed?.Invoke(_failure);
        }
    }
}
