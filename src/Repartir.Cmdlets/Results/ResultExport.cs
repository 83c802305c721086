using Repartir.Checkpoints;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Tasks;
using Repartir.Results;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Results;

/// <summary>
/// Export-RepartirResult's behaviour, free of PowerShell: results (piped, or a journal's) into a Parquet table that
/// appears at its path only once complete. Disposed before <see cref="Complete"/> (an error, Ctrl+C), it leaves
/// whatever was at the path untouched.
/// </summary>
public sealed class ResultExport : IDisposable
{
    private readonly ResultParquetWriter _writer;
    private readonly IItemFormatter _formatter;
    private bool _completed;

    private ResultExport(ResultParquetWriter writer, IItemFormatter formatter)
    {
        _writer = writer;
        _formatter = formatter;
    }

    /// <summary>Starts the table for <paramref name="path"/> (a file-system path).</summary>
    /// <exception cref="TerminatingCommandException">The file exists (with <paramref name="noClobber"/>) or cannot be created.</exception>
    public static ResultExport Start(string path, bool noClobber, IItemFormatter formatter)
    {
        try
        {
            return new ResultExport(ResultParquetWriter.CreateAsync(path, noClobber).GetAwaiter().GetResult(), formatter);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TerminatingCommandException(ErrorRecords.CannotWriteResults(path, e));
        }
    }

    /// <summary>Adds one result; its input item is written as text, as {} shows it.</summary>
    public void Add(TaskResultInfo result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Add(result.Result, result.InputObject is null ? null : _formatter.Format(result.InputObject));
    }

    /// <summary>Adds every result journal <paramref name="name"/> holds.</summary>
    /// <exception cref="TerminatingCommandException">No such journal, or its store cannot be read.</exception>
    public void AddJournal(string? directory, string name)
    {
        IReadOnlyList<TaskResult> recorded;
        try
        {
            recorded = RunJournal.ReadAll(directory, name);
        }
        catch (CheckpointException e)
        {
            throw new TerminatingCommandException(ErrorRecords.CheckpointFailed(name, e));
        }

        foreach (TaskResult result in recorded)
        {
            Add(result, (string?)result.InputObject);
        }
    }

    /// <summary>Finishes the table and moves it into place; returns its path and row count.</summary>
    /// <exception cref="TerminatingCommandException">The disk refused the rest of the table.</exception>
    public (string Path, long Rows) Complete()
    {
        try
        {
            _writer.CompleteAsync().GetAwaiter().GetResult();
            _completed = true;
            return (_writer.Path, _writer.Rows);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TerminatingCommandException(ErrorRecords.CannotWriteResults(_writer.Path, e));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_completed)
        {
            _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private void Add(TaskResult result, string? input)
    {
        try
        {
            _writer.AddAsync(ResultRow.From(result, input)).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TerminatingCommandException(ErrorRecords.CannotWriteResults(_writer.Path, e));
        }
    }
}
