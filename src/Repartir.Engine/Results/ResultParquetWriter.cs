using Parquet;
using Parquet.Schema;

namespace Repartir.Results;

/// <summary>
/// Writes results as a Parquet table, one row per task (<see cref="ResultRow"/>), a row group per
/// <see cref="RowGroupRows"/> rows so a long run streams. The file is written beside its destination and moved into
/// place when complete: a reader never sees half a table, and an existing file is replaced only by a whole one.
/// </summary>
public sealed class ResultParquetWriter : IAsyncDisposable
{
    /// <summary>Rows per row group.</summary>
    public const int RowGroupRows = 10_000;

    private readonly string _partial;
    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    private readonly List<ResultRow> _rows = new(RowGroupRows);
    private bool _closed;

    private ResultParquetWriter(string path, string partial, FileStream stream, ParquetWriter writer)
    {
        Path = path;
        _partial = partial;
        _stream = stream;
        _writer = writer;
    }

    /// <summary>The file the table goes to, once complete.</summary>
    public string Path { get; }

    /// <summary>Rows added so far.</summary>
    public long Rows { get; private set; }

    /// <summary>Starts a table for <paramref name="path"/>; with <paramref name="noClobber"/> an existing file is an error.</summary>
    /// <exception cref="IOException">The file exists (with <paramref name="noClobber"/>) or cannot be created.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory cannot be written.</exception>
    public static async Task<ResultParquetWriter> CreateAsync(string path, bool noClobber = false, CancellationToken cancellationToken = default)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (noClobber && File.Exists(full))
        {
            throw new IOException($"{full} exists; remove it, or leave out -NoClobber to replace it.");
        }

        string partial = full + ".partial";
        var stream = new FileStream(partial, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        try
        {
            ParquetWriter writer = await ParquetWriter.CreateAsync(ResultColumns.Schema, stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new ResultParquetWriter(full, partial, stream, writer);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            File.Delete(partial);
            throw;
        }
    }

    /// <summary>Adds a row; a full row group is written out.</summary>
    public async ValueTask AddAsync(ResultRow row, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(row);
        ObjectDisposedException.ThrowIf(_closed, this);
        _rows.Add(row);
        Rows++;
        if (_rows.Count == RowGroupRows)
        {
            await WriteRowGroupAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes what is left and the footer, makes it durable, and moves the file into place.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_rows.Count > 0)
        {
            await WriteRowGroupAsync(cancellationToken).ConfigureAwait(false);
        }

        _closed = true;
        try
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
            _stream.Flush(flushToDisk: true);
            await _stream.DisposeAsync().ConfigureAwait(false);
            File.Move(_partial, Path, overwrite: true);
        }
        catch
        {
            // The footer, the sync or the move failed: no half table stays behind, and the destination is untouched.
            await _stream.DisposeAsync().ConfigureAwait(false);
            File.Delete(_partial);
            throw;
        }
    }

    /// <summary>Abandons an incomplete table: the partial file goes, and whatever was at the destination stays.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        try
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The disk refused the footer; the partial file is deleted all the same.
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        File.Delete(_partial);
    }

    private async Task WriteRowGroupAsync(CancellationToken cancellationToken)
    {
        using ParquetRowGroupWriter group = _writer.CreateRowGroup();
        await Values(group, ResultColumns.Id, r => r.Id, cancellationToken).ConfigureAwait(false);
        await Strings(group, ResultColumns.Name, r => r.Name).ConfigureAwait(false);
        await Strings(group, ResultColumns.Input, r => r.Input).ConfigureAwait(false);
        await Strings(group, ResultColumns.Command, r => r.Command).ConfigureAwait(false);
        await Strings(group, ResultColumns.Arguments, r => r.ArgumentsJson()).ConfigureAwait(false);
        await Nullable(group, ResultColumns.ExitCode, r => r.ExitCode, cancellationToken).ConfigureAwait(false);
        await Nullable(group, ResultColumns.Signal, r => r.Signal, cancellationToken).ConfigureAwait(false);
        await Values(group, ResultColumns.Success, r => r.Success, cancellationToken).ConfigureAwait(false);
        await Strings(group, ResultColumns.Failure, r => r.Failure).ConfigureAwait(false);
        await Strings(group, ResultColumns.FailureMessage, r => r.FailureMessage).ConfigureAwait(false);
        await Values(group, ResultColumns.Attempt, r => r.Attempt, cancellationToken).ConfigureAwait(false);
        await Values(group, ResultColumns.Losses, r => r.Losses, cancellationToken).ConfigureAwait(false);
        await Strings(group, ResultColumns.Host, r => r.Host).ConfigureAwait(false);
        await Strings(group, ResultColumns.Worker, r => r.Worker).ConfigureAwait(false);
        await Strings(group, ResultColumns.Backend, r => r.Backend).ConfigureAwait(false);
        await Values(group, ResultColumns.StartTime, r => r.StartTime, cancellationToken).ConfigureAwait(false);
        await Values(group, ResultColumns.EndTime, r => r.EndTime, cancellationToken).ConfigureAwait(false);
        await Values(group, ResultColumns.DurationMs, r => r.DurationMs, cancellationToken).ConfigureAwait(false);
        await Strings(group, ResultColumns.Stdout, r => r.Stdout).ConfigureAwait(false);
        await Values(group, ResultColumns.StdoutTruncated, r => r.StdoutTruncated, cancellationToken).ConfigureAwait(false);
        await Strings(group, ResultColumns.Stderr, r => r.Stderr).ConfigureAwait(false);
        await Values(group, ResultColumns.StderrTruncated, r => r.StderrTruncated, cancellationToken).ConfigureAwait(false);
        await Values(group, ResultColumns.FromJournal, r => r.FromJournal, cancellationToken).ConfigureAwait(false);
        group.CompleteValidate();
        _rows.Clear();
    }

    private Task Values<T>(ParquetRowGroupWriter group, DataField field, Func<ResultRow, T> value, CancellationToken cancellationToken)
        where T : struct =>
        group.WriteAsync<T>(field, _rows.Select(value).ToArray(), cancellationToken: cancellationToken);

    private Task Nullable<T>(ParquetRowGroupWriter group, DataField field, Func<ResultRow, T?> value, CancellationToken cancellationToken)
        where T : struct =>
        group.WriteAsync<T>(field, (ReadOnlyMemory<T?>)_rows.Select(value).ToArray(), cancellationToken: cancellationToken);

    private Task Strings(ParquetRowGroupWriter group, DataField field, Func<ResultRow, string?> value) =>
        group.WriteAsync(field, _rows.Select(value).ToArray()!);
}
