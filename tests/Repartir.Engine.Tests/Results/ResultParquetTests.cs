using System.Text.Json;
using Repartir.Results;
using Repartir.Tasks;
using Repartir.Testing;

namespace Repartir.Tests.Results;

/// <summary>Results as Parquet: written here, read back here and by an independent reader (npm hyparquet).</summary>
public sealed class ResultParquetTests : IDisposable
{
    private static readonly NodeInterop Hyparquet = new("parquet", "hyparquet", "the proof that hyparquet reads the results table");
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 3, 4, 5, 678, TimeSpan.Zero);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static TaskResult Result(long id, string input, int? exitCode, FailureKind failure = FailureKind.None) => new()
    {
        Id = new TaskId(id),
        Name = $"convert {input}",
        ExitCode = exitCode,
        Signal = exitCode is null ? 9 : null,
        Failure = failure,
        FailureMessage = failure == FailureKind.None ? null : "killed after 30 s",
        StdoutBytes = System.Text.Encoding.UTF8.GetBytes($"out ünï {id}\n"),
        StderrBytes = "warn\n"u8.ToArray(),
        StdoutTruncated = id == 2,
        StartTime = Start.AddSeconds(id),
        EndTime = Start.AddSeconds(id).AddMilliseconds(250.5),
        Attempt = (int)id,
        Losses = id == 3 ? 1 : 0,
        Host = "node1",
        Worker = $"node1/cpu-{id}",
        Backend = Backend.Remote,
        FromJournal = id == 1,
        Spec = new TaskSpec("convert", "--in", input, "a \"quoted\" arg") { InputObject = input },
    };

    private static readonly TaskResult[] Results = [Result(1, "a.csv", 0), Result(2, "b é.csv", 3), Result(3, "c.csv", null, FailureKind.TimedOut)];

    private async Task<string> WriteAsync(IEnumerable<TaskResult> results, string name = "results.parquet")
    {
        string path = _directory.File(name);
        await using ResultParquetWriter writer = await ResultParquetWriter.CreateAsync(path);
        foreach (TaskResult result in results)
        {
            await writer.AddAsync(ResultRow.From(result, (string?)result.InputObject));
        }

        await writer.CompleteAsync();
        return path;
    }

    [Fact]
    public async Task Rows_come_back_with_every_value_and_type()
    {
        string path = await WriteAsync(Results);

        IReadOnlyList<ResultRow> rows = await ResultParquetReader.ReadAsync(path);

        ResultRow[] written = [.. Results.Select(r => ResultRow.From(r, (string?)r.InputObject))];
        Assert.Equal(written.Select(r => r with { Arguments = [] }), rows.Select(r => r with { Arguments = [] }));
        Assert.Equal(written.Select(r => r.Arguments), rows.Select(r => r.Arguments));
        Assert.Equal(DateTimeKind.Utc, rows[0].StartTime.Kind);
        Assert.Equal(Start.AddSeconds(1).UtcDateTime, rows[0].StartTime);
        TaskResult back = rows[2].ToTaskResult();
        Assert.Equal((FailureKind.TimedOut, (int?)null, (int?)9, "c.csv", Backend.Remote), (back.Failure, back.ExitCode, back.Signal, (string?)back.InputObject, back.Backend));
        Assert.Equal(["--in", "c.csv", "a \"quoted\" arg"], back.Spec.Arguments);
        Assert.Equal(Results[2].StdoutBytes, back.StdoutBytes);
    }

    [Fact]
    public async Task A_long_run_streams_in_row_groups_and_an_abandoned_table_leaves_the_old_file()
    {
        string path = await WriteAsync(Enumerable.Range(1, ResultParquetWriter.RowGroupRows * 2 + 7).Select(i => Result(i, $"f{i}", 0)));
        Assert.Equal(ResultParquetWriter.RowGroupRows * 2 + 7, (await ResultParquetReader.ReadAsync(path)).Count);
        byte[] complete = await File.ReadAllBytesAsync(path);

        await using (ResultParquetWriter abandoned = await ResultParquetWriter.CreateAsync(path))
        {
            await abandoned.AddAsync(ResultRow.From(Results[0], "x"));
        }

        Assert.Equal(complete, await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(path + ".partial"));
        await Assert.ThrowsAsync<IOException>(() => ResultParquetWriter.CreateAsync(path, noClobber: true));
    }

    [Fact]
    public async Task A_table_that_cannot_be_moved_into_place_leaves_no_partial_file()
    {
        string path = _directory.File("taken");
        Directory.CreateDirectory(path); // the destination is a directory: the final move fails

        await using ResultParquetWriter writer = await ResultParquetWriter.CreateAsync(path);
        await writer.AddAsync(ResultRow.From(Results[0], "a"));

        await Assert.ThrowsAsync<IOException>(() => writer.CompleteAsync());
        Assert.False(File.Exists(path + ".partial"));
        Assert.True(Directory.Exists(path));
    }

    [Fact]
    public async Task A_file_that_is_not_a_results_table_is_a_clear_error()
    {
        string text = _directory.File("text.parquet");
        await File.WriteAllTextAsync(text, "id,name\n1,a\n");

        FormatException notParquet = await Assert.ThrowsAsync<FormatException>(() => ResultParquetReader.ReadAsync(text));
        Assert.Contains("is not a Parquet file", notParquet.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<FileNotFoundException>(() => ResultParquetReader.ReadAsync(_directory.File("missing.parquet")));
    }

    [SkippableFact]
    public async Task Hyparquet_reads_the_same_values()
    {
        Hyparquet.Require();
        string path = await WriteAsync(Results);

        using JsonDocument read = JsonDocument.Parse(Hyparquet.Node("read.mjs", path));

        JsonElement[] rows = [.. read.RootElement.EnumerateArray()];
        Assert.Equal(3, rows.Length);
        for (int i = 0; i < rows.Length; i++)
        {
            TaskResult expected = Results[i];
            JsonElement row = rows[i];
            Assert.Equal(expected.Id.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), row.GetProperty("id").ToString());
            Assert.Equal(expected.Name, row.GetProperty("name").GetString());
            Assert.Equal((string?)expected.InputObject, row.GetProperty("input").GetString());
            Assert.Equal("convert", row.GetProperty("command").GetString());
            Assert.Equal(expected.Spec.Arguments, JsonSerializer.Deserialize<string[]>(row.GetProperty("arguments").GetString()!));
            Assert.Equal(expected.ExitCode, row.GetProperty("exit_code").ValueKind == JsonValueKind.Null ? null : row.GetProperty("exit_code").GetInt32());
            Assert.Equal(expected.Success, row.GetProperty("success").GetBoolean());
            Assert.Equal(expected.Failure.ToString(), row.GetProperty("failure").GetString());
            Assert.Equal(expected.Attempt, row.GetProperty("attempt").GetInt32());
            Assert.Equal(expected.Losses, row.GetProperty("losses").GetInt32());
            Assert.Equal(expected.Worker, row.GetProperty("worker").GetString());
            Assert.Equal(Millis(expected.StartTime), DateTimeOffset.Parse(row.GetProperty("start_time").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(Millis(expected.EndTime), DateTimeOffset.Parse(row.GetProperty("end_time").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(250.5, row.GetProperty("duration_ms").GetDouble());
            Assert.Equal(expected.Stdout, row.GetProperty("stdout").GetString());
            Assert.Equal(expected.StdoutTruncated, row.GetProperty("stdout_truncated").GetBoolean());
            Assert.Equal(expected.FromJournal, row.GetProperty("from_journal").GetBoolean());
        }
    }

    /// <summary>A time as JavaScript's Date holds it: whole milliseconds.</summary>
    private static DateTimeOffset Millis(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
}
