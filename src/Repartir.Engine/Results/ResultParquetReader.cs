using Parquet;
using Parquet.Schema;

namespace Repartir.Results;

/// <summary>Reads a results table that <see cref="ResultParquetWriter"/> wrote (or any Parquet file with its columns).</summary>
public static class ResultParquetReader
{
    /// <summary>Every row of the table at <paramref name="path"/>, in file order.</summary>
    /// <exception cref="FormatException">The file is not Parquet, or lacks a column of a results table (the message names it).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static async Task<IReadOnlyList<ResultRow>> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        string full = Path.GetFullPath(path);
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(full, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException && e is not FileNotFoundException and not DirectoryNotFoundException || e is InvalidDataException)
        {
            throw new FormatException($"{full} is not a Parquet file: {e.Message}", e);
        }

        await using (reader.ConfigureAwait(false))
        {
            var rows = new List<ResultRow>();
            for (int index = 0; index < reader.RowGroupCount; index++)
            {
                using ParquetRowGroupReader group = reader.OpenRowGroupReader(index);
                var columns = new Columns(reader.Schema, group, full);
                int count = checked((int)group.RowCount);
                long[] ids = await columns.Values<long>(ResultColumns.Id, count, cancellationToken).ConfigureAwait(false);
                string?[] names = await columns.Strings(ResultColumns.Name, count, cancellationToken).ConfigureAwait(false);
                string?[] inputs = await columns.Strings(ResultColumns.Input, count, cancellationToken).ConfigureAwait(false);
                string?[] commands = await columns.Strings(ResultColumns.Command, count, cancellationToken).ConfigureAwait(false);
                string?[] arguments = await columns.Strings(ResultColumns.Arguments, count, cancellationToken).ConfigureAwait(false);
                int?[] exitCodes = await columns.Nullable<int>(ResultColumns.ExitCode, count, cancellationToken).ConfigureAwait(false);
                int?[] signals = await columns.Nullable<int>(ResultColumns.Signal, count, cancellationToken).ConfigureAwait(false);
                bool[] successes = await columns.Values<bool>(ResultColumns.Success, count, cancellationToken).ConfigureAwait(false);
                string?[] failures = await columns.Strings(ResultColumns.Failure, count, cancellationToken).ConfigureAwait(false);
                string?[] messages = await columns.Strings(ResultColumns.FailureMessage, count, cancellationToken).ConfigureAwait(false);
                int[] attempts = await columns.Values<int>(ResultColumns.Attempt, count, cancellationToken).ConfigureAwait(false);
                int[] losses = await columns.Values<int>(ResultColumns.Losses, count, cancellationToken).ConfigureAwait(false);
                string?[] hosts = await columns.Strings(ResultColumns.Host, count, cancellationToken).ConfigureAwait(false);
                string?[] workers = await columns.Strings(ResultColumns.Worker, count, cancellationToken).ConfigureAwait(false);
                string?[] backends = await columns.Strings(ResultColumns.Backend, count, cancellationToken).ConfigureAwait(false);
                DateTime[] starts = await columns.Values<DateTime>(ResultColumns.StartTime, count, cancellationToken).ConfigureAwait(false);
                DateTime[] ends = await columns.Values<DateTime>(ResultColumns.EndTime, count, cancellationToken).ConfigureAwait(false);
                double[] durations = await columns.Values<double>(ResultColumns.DurationMs, count, cancellationToken).ConfigureAwait(false);
                string?[] stdouts = await columns.Strings(ResultColumns.Stdout, count, cancellationToken).ConfigureAwait(false);
                bool[] stdoutCuts = await columns.Values<bool>(ResultColumns.StdoutTruncated, count, cancellationToken).ConfigureAwait(false);
                string?[] stderrs = await columns.Strings(ResultColumns.Stderr, count, cancellationToken).ConfigureAwait(false);
                bool[] stderrCuts = await columns.Values<bool>(ResultColumns.StderrTruncated, count, cancellationToken).ConfigureAwait(false);
                bool[] journaled = await columns.Values<bool>(ResultColumns.FromJournal, count, cancellationToken).ConfigureAwait(false);
                for (int i = 0; i < count; i++)
                {
                    rows.Add(new ResultRow
                    {
                        Id = ids[i],
                        Name = names[i] ?? string.Empty,
                        Input = inputs[i],
                        Command = commands[i] ?? string.Empty,
                        Arguments = ResultRow.ParseArguments(arguments[i] ?? "[]"),
                        ExitCode = exitCodes[i],
                        Signal = signals[i],
                        Success = successes[i],
                        Failure = failures[i] ?? string.Empty,
                        FailureMessage = messages[i],
                        Attempt = attempts[i],
                        Losses = losses[i],
                        Host = hosts[i] ?? string.Empty,
                        Worker = workers[i] ?? string.Empty,
                        Backend = backends[i] ?? string.Empty,
                        StartTime = DateTime.SpecifyKind(starts[i], DateTimeKind.Utc), // Parquet.Net gives Unspecified; the column is UTC
                        EndTime = DateTime.SpecifyKind(ends[i], DateTimeKind.Utc),
                        DurationMs = durations[i],
                        Stdout = stdouts[i] ?? string.Empty,
                        StdoutTruncated = stdoutCuts[i],
                        Stderr = stderrs[i] ?? string.Empty,
                        StderrTruncated = stderrCuts[i],
                        FromJournal = journaled[i],
                    });
                }
            }

            return rows;
        }
    }

    /// <summary>The columns of one row group, found by name in the file's own schema.</summary>
    private sealed class Columns(ParquetSchema schema, ParquetRowGroupReader group, string path)
    {
        internal async Task<T[]> Values<T>(DataField expected, int count, CancellationToken cancellationToken)
            where T : struct
        {
            var values = new T[count];
            await group.ReadAsync<T>(Find(expected), values, cancellationToken: cancellationToken).ConfigureAwait(false);
            return values;
        }

        internal async Task<T?[]> Nullable<T>(DataField expected, int count, CancellationToken cancellationToken)
            where T : struct
        {
            var values = new T?[count];
            await group.ReadAsync<T>(Find(expected), values.AsMemory(), cancellationToken: cancellationToken).ConfigureAwait(false);
            return values;
        }

        internal async Task<string?[]> Strings(DataField expected, int count, CancellationToken cancellationToken)
        {
            var values = new string?[count];
            await group.ReadAsync(Find(expected), values.AsMemory()!, cancellationToken: cancellationToken).ConfigureAwait(false);
            return values;
        }

        private DataField Find(DataField expected) =>
            schema.DataFields.FirstOrDefault(f => f.Name == expected.Name && f.ClrType == expected.ClrType)
            ?? throw new FormatException($"{path} is not a Repartir results table: it has no {expected.ClrType.Name} column '{expected.Name}'.");
    }
}
