using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Repartir.Checkpoints;

/// <summary>
/// Named, versioned checkpoints in one SQLite database per store directory (WAL, durable commits). Each save is a new
/// version with its SHA-256, written in one transaction: a crash leaves the previous versions and never half of a
/// new one. Restore checks the hash; a damaged version is an error naming it, and every other version stays readable.
/// Several processes (or several instances in one process) may save into one store at once; one instance is used by
/// one thread at a time.
/// </summary>
public sealed class CheckpointStore : IDisposable
{
    /// <summary>The database file in a store directory.</summary>
    public const string FileName = "repartir.db";

    private const int ChunkSize = 1 << 20;
    private readonly SqliteConnection _connection;
    private readonly TimeProvider _time;

    /// <summary>Opens (creating when missing) the store in <paramref name="directory"/>, or the <see cref="DefaultDirectory"/>.</summary>
    /// <exception cref="CheckpointException">The directory or database cannot be created or opened.</exception>
    public CheckpointStore(string? directory = null, TimeProvider? time = null)
    {
        Directory = FullPath(directory);
        _time = time ?? TimeProvider.System;
        _connection = StoreDatabase.Open(Directory, allowReadOnly: true, out bool readOnly);
        IsReadOnly = readOnly;
        if (readOnly)
        {
            return; // read as it is: a store nobody can write has its tables already, or is not a store (its queries say so)
        }

        try
        {
            // A save is durable once its log is synced; copying the log into the database is left to Dispose, so a
            // large save writes its bytes once, not twice, before it returns.
            Execute("PRAGMA wal_autocheckpoint = 0;");
            // A payload is stored in rows of at most a segment each: written and read a row at a time, never as one huge value.
            Execute("""
                CREATE TABLE IF NOT EXISTS checkpoints (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    created_ticks INTEGER NOT NULL,
                    iteration INTEGER,
                    size INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    UNIQUE (name, version));
                CREATE TABLE IF NOT EXISTS checkpoint_chunks (
                    checkpoint INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    data BLOB NOT NULL,
                    PRIMARY KEY (checkpoint, seq));
                """);
        }
        catch (SqliteException e)
        {
            _connection.Dispose();
            throw new CheckpointException(CheckpointProblem.StoreUnavailable, $"The checkpoint store in {Directory} cannot be opened: {e.Message}", e);
        }
    }

    /// <summary>
    /// Where checkpoints go unless told: <c>REPARTIR_HOME</c>, else <c>$XDG_DATA_HOME/repartir</c> or
    /// <c>~/.local/share/repartir</c> (<c>%LOCALAPPDATA%\Repartir</c> on Windows).
    /// </summary>
    public static string DefaultDirectory =>
        Environment.GetEnvironmentVariable("REPARTIR_HOME") is { Length: > 0 } home ? home
        : OperatingSystem.IsWindows() ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "Repartir")
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } data ? data : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share"), "repartir");

    /// <summary>The store's directory.</summary>
    public string Directory { get; }

    /// <summary>True when <paramref name="directory"/> (the <see cref="DefaultDirectory"/> when null) holds a store: reading commands check first, so a mistyped path creates nothing.</summary>
    public static bool Exists(string? directory) => File.Exists(Path.Combine(FullPath(directory), FileName));

    /// <summary>Opens the store in <paramref name="directory"/> for a command about checkpoint <paramref name="name"/> that only reads it.</summary>
    /// <exception cref="CheckpointException">There is no store there (<see cref="CheckpointProblem.NotFound"/>, naming the checkpoint); nothing was created.</exception>
    public static CheckpointStore OpenExisting(string? directory, string name, TimeProvider? time = null) =>
        Exists(directory)
            ? new CheckpointStore(directory, time)
            : throw new CheckpointException(CheckpointProblem.NotFound, $"No checkpoint '{name}' in {FullPath(directory)}: there is no checkpoint store there.");

    /// <summary>The store directory <paramref name="directory"/> names, in full (the <see cref="DefaultDirectory"/> when null).</summary>
    public static string FullPath(string? directory) => Path.GetFullPath(directory ?? DefaultDirectory);

    /// <summary>True when the store is on a read-only file system or directory: its checkpoints restore, nothing can be saved or removed.</summary>
    public bool IsReadOnly { get; }

    /// <summary>Saves <paramref name="state"/> (a <see cref="StateTree"/>, its values unwrapped by <paramref name="unwrap"/>) as the next version of <paramref name="name"/>.</summary>
    /// <exception cref="StateTreeException">A value the state tree cannot hold; nothing was written.</exception>
    /// <exception cref="CheckpointException">The store cannot be written (read-only, full); what was saved before is intact.</exception>
    public CheckpointInfo Save(string name, object? state, long? iteration = null, Func<object, object?>? unwrap = null)
    {
        CheckName(name);
        RefuseWhenReadOnly($"Checkpoint '{name}' cannot be saved");
        DateTimeOffset created = _time.GetUtcNow();

        // Three at once: this thread encodes (it must: unwrapping a PowerShell value belongs to its thread), one task
        // hashes and another stores each segment as soon as the encoding has moved past it.
        using var payload = new SegmentedBuffer(ChunkSize);
        Task<string> hashing = Task.Run(payload.Sha256);
        Task<CheckpointInfo> storing = Task.Run(() => Store(name, created, iteration, payload, hashing));
        Exception? refused = null;
        try
        {
            StateTree.Write(payload, state, unwrap);
            payload.Complete();
        }
        catch (Exception e) when (e is StateTreeException or OperationCanceledException)
        {
            refused = e; // a value the tree cannot hold, or the store failed and stopped the encoding
            payload.Abort();
        }

        // Both tasks end before the segments go back to the pool; the store's own failure says more than the encoding it stopped.
        try
        {
            Task.WaitAll(storing, hashing);
        }
        catch (AggregateException)
        {
            // Looked at below.
        }

        if (storing.Exception?.InnerException is CheckpointException failed)
        {
            throw failed;
        }

        if (refused is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refused);
        }

        return storing.GetAwaiter().GetResult();
    }

    /// <summary>Stores the segments as they come, in one transaction: a version row, its chunk rows, then its size and hash.</summary>
    private CheckpointInfo Store(string name, DateTimeOffset created, long? iteration, SegmentedBuffer payload, Task<string> hashing)
    {
        try
        {
            using SqliteTransaction transaction = _connection.BeginTransaction(deferred: false); // takes the write lock now: versions never collide
            using SqliteCommand insert = Command(
                "INSERT INTO checkpoints (name, version, created_ticks, iteration, size, sha256) " +
                "VALUES ($name, COALESCE((SELECT MAX(version) FROM checkpoints WHERE name = $name), 0) + 1, $created, $iteration, 0, '') RETURNING id, version",
                ("$name", name), ("$created", created.UtcTicks), ("$iteration", iteration));
            insert.Transaction = transaction;
            long id, version;
            using (SqliteDataReader row = insert.ExecuteReader())
            {
                row.Read();
                id = row.GetInt64(0);
                version = row.GetInt64(1);
            }

            using SqliteCommand chunk = Command("INSERT INTO checkpoint_chunks (checkpoint, seq, data) VALUES ($id, $seq, $data)", ("$id", id), ("$seq", 0L), ("$data", Array.Empty<byte>()));
            chunk.Transaction = transaction;
            SqliteParameter data = chunk.Parameters["$data"];
            long seq = 0;
            foreach (ArraySegment<byte> segment in payload.Completed())
            {
                chunk.Parameters["$seq"].Value = seq++;
                data.Value = segment.Array; // a rented array: Size binds only its written part
                data.Size = segment.Count;
                chunk.ExecuteNonQuery();
            }

            string sha256 = hashing.GetAwaiter().GetResult();
            using SqliteCommand seal = Command("UPDATE checkpoints SET size = $size, sha256 = $sha WHERE id = $id", ("$size", payload.Length), ("$sha", sha256), ("$id", id));
            seal.Transaction = transaction;
            seal.ExecuteNonQuery();
            transaction.Commit();
            return new CheckpointInfo(name, version, created, iteration, payload.Length, sha256, Directory);
        }
        catch (SqliteException e)
        {
            payload.Abort();
            throw new CheckpointException(CheckpointProblem.StoreUnavailable, $"Checkpoint '{name}' could not be saved in {Directory}: {e.Message} Nothing of it was written; earlier versions are intact.", e);
        }
    }

    /// <summary>The latest version of <paramref name="name"/>, or the one with <paramref name="version"/> or (the latest with) <paramref name="iteration"/>, checked against its hash.</summary>
    /// <exception cref="CheckpointException">No such checkpoint or version, or it is damaged (the message names it).</exception>
    public (CheckpointInfo Info, object? State) Restore(string name, long? version = null, long? iteration = null)
    {
        CheckName(name);
        (long id, CheckpointInfo info) = Find(name, version, iteration);
        if (info.Size > Array.MaxLength)
        {
            throw new CheckpointException(CheckpointProblem.Damaged, $"Checkpoint '{name}' version {info.Version} in {Directory} says it holds {info.Size} bytes, more than one state can.");
        }

        byte[] payload = GC.AllocateUninitializedArray<byte>((int)info.Size);
        int filled = 0;
        try
        {
            using SqliteCommand chunks = Command("SELECT data FROM checkpoint_chunks WHERE checkpoint = $id ORDER BY seq", ("$id", id));
            using SqliteDataReader row = chunks.ExecuteReader();
            while (row.Read())
            {
                long length = row.GetBytes(0, 0, null, 0, 0);
                if (length > payload.Length - filled)
                {
                    throw new CheckpointException(CheckpointProblem.Damaged, $"Checkpoint '{name}' version {info.Version} in {Directory} is damaged: its chunks hold more than the {info.Size} bytes it was saved with.");
                }

                filled += (int)row.GetBytes(0, 0, payload, filled, (int)length);
            }
        }
        catch (SqliteException e)
        {
            throw new CheckpointException(CheckpointProblem.StoreUnavailable, $"Checkpoint '{name}' version {info.Version} in {Directory} cannot be read: {e.Message}", e);
        }

        if (filled != payload.Length)
        {
            throw new CheckpointException(CheckpointProblem.Damaged, $"Checkpoint '{name}' version {info.Version} in {Directory} is damaged: {filled} of its {info.Size} bytes are there. Other versions are unaffected; restore one of them by its version.");
        }

        // The hash is checked on another core while the tree is decoded; a tree from a payload that fails it is dropped.
        Task<string> hashing = Task.Run(() => Convert.ToHexString(SHA256.HashData(payload)).ToLowerInvariant());
        object? state = null;
        StateTreeException? notATree = null;
        try
        {
            state = StateTree.Decode(payload);
        }
        catch (StateTreeException e)
        {
            notATree = e;
        }

        string actual = hashing.GetAwaiter().GetResult();
        if (actual != info.Sha256)
        {
            throw new CheckpointException(CheckpointProblem.Damaged, $"Checkpoint '{name}' version {info.Version} in {Directory} is damaged: its payload's SHA-256 is {actual}, not the {info.Sha256} it was saved with. Other versions are unaffected; restore one of them by its version.");
        }

        return notATree is null
            ? (info, state)
            : throw new CheckpointException(CheckpointProblem.Damaged, $"Checkpoint '{name}' version {info.Version} in {Directory} is not a state tree: {notATree.Message}", notATree);
    }

    /// <summary>Every version of every checkpoint whose name matches <paramref name="pattern"/> (<c>*</c> and <c>?</c>), by name then version.</summary>
    public IReadOnlyList<CheckpointInfo> List(string pattern = "*")
    {
        ArgumentNullException.ThrowIfNull(pattern);
        using SqliteCommand list = Command("SELECT name, version, created_ticks, iteration, size, sha256 FROM checkpoints ORDER BY name, version");
        var found = new List<CheckpointInfo>();
        using SqliteDataReader row = list.ExecuteReader();
        while (row.Read())
        {
            string name = row.GetString(0);
            if (System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(pattern, name, ignoreCase: false))
            {
                found.Add(Info(row));
            }
        }

        return found;
    }

    /// <summary>
    /// The versions of <paramref name="name"/> that a removal selects: all of them; or all but the last
    /// <paramref name="keepLast"/>; or those saved before <paramref name="olderThan"/> (both: a version goes when either says so).
    /// </summary>
    public IReadOnlyList<CheckpointInfo> Expired(string name, int? keepLast = null, DateTimeOffset? olderThan = null)
    {
        CheckName(name);
        if (keepLast < 0)
        {
            throw new InvalidSettingException(nameof(keepLast), $"KeepLast must be 0 or more, not {keepLast}.");
        }

        IReadOnlyList<CheckpointInfo> versions = List(name).Where(v => v.Name == name).ToList();
        return versions
            .Where((v, index) => (keepLast is null && olderThan is null)
                || (keepLast is { } keep && index < versions.Count - keep)
                || (olderThan is { } before && v.Created < before))
            .ToList();
    }

    /// <summary>Removes the versions <see cref="Expired"/> selects, in one transaction, and returns them.</summary>
    public IReadOnlyList<CheckpointInfo> Remove(string name, int? keepLast = null, DateTimeOffset? olderThan = null)
    {
        IReadOnlyList<CheckpointInfo> doomed = Expired(name, keepLast, olderThan);
        Remove(doomed);
        return doomed;
    }

    /// <summary>Removes exactly <paramref name="versions"/> (by name and version), in one transaction; one already gone is no error.</summary>
    /// <exception cref="CheckpointException">The store cannot be written; nothing was removed.</exception>
    public void Remove(IEnumerable<CheckpointInfo> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        RefuseWhenReadOnly("Checkpoints cannot be removed");
        try
        {
            using SqliteTransaction transaction = _connection.BeginTransaction(deferred: false);
            foreach (CheckpointInfo version in versions)
            {
                using SqliteCommand delete = Command(
                    "DELETE FROM checkpoint_chunks WHERE checkpoint = (SELECT id FROM checkpoints WHERE name = $name AND version = $version); " +
                    "DELETE FROM checkpoints WHERE name = $name AND version = $version",
                    ("$name", version.Name), ("$version", version.Version));
                delete.Transaction = transaction;
                delete.ExecuteNonQuery();
            }

            transaction.Commit();
        }
        catch (SqliteException e)
        {
            throw new CheckpointException(CheckpointProblem.StoreUnavailable, $"Checkpoints could not be removed from {Directory}: {e.Message} Nothing was removed.", e);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_connection.State == System.Data.ConnectionState.Open && !IsReadOnly)
        {
            // Folds the write-ahead log into the database, so a closed store is one file again.
            try
            {
                Execute("PRAGMA wal_checkpoint(TRUNCATE);");
            }
            catch (SqliteException)
            {
                // Another process holds the store; it folds the log when it closes.
            }
        }

        _connection.Dispose();
    }

    private (long Id, CheckpointInfo Info) Find(string name, long? version, long? iteration)
    {
        const string Columns = "SELECT name, version, created_ticks, iteration, size, sha256, id FROM checkpoints WHERE name = $name";
        using SqliteCommand find = version is not null
            ? Command(Columns + " AND version = $version", ("$name", name), ("$version", version))
            : iteration is not null
                ? Command(Columns + " AND iteration = $iteration ORDER BY version DESC LIMIT 1", ("$name", name), ("$iteration", iteration))
                : Command(Columns + " ORDER BY version DESC LIMIT 1", ("$name", name));
        using SqliteDataReader row = find.ExecuteReader();
        if (row.Read())
        {
            return (row.GetInt64(6), Info(row));
        }

        string which = version is not null ? $" version {version}" : iteration is not null ? $" at iteration {iteration}" : string.Empty;
        throw new CheckpointException(CheckpointProblem.NotFound, $"No checkpoint '{name}'{which} in {Directory}.");
    }

    private CheckpointInfo Info(SqliteDataReader row) => new(
        row.GetString(0),
        row.GetInt64(1),
        new DateTimeOffset(row.GetInt64(2), TimeSpan.Zero),
        row.IsDBNull(3) ? null : row.GetInt64(3),
        row.GetInt64(4),
        row.GetString(5),
        Directory);

    private void RefuseWhenReadOnly(string what)
    {
        if (IsReadOnly)
        {
            throw new CheckpointException(CheckpointProblem.StoreUnavailable, $"{what}: the checkpoint store in {Directory} is read-only (its file system or directory cannot be written). What it holds is intact and restores.");
        }
    }

    private static void CheckName(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new InvalidSettingException(nameof(name), "A checkpoint needs a name.");
        }
    }

    private void Execute(string sql) => _connection.Execute(sql);

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters) => _connection.Command(sql, parameters);
}
