using System.Text;
using Repartir.Results;
using Repartir.Testing;

namespace Repartir.Tests.Cli;

/// <summary><c>repartir run --results FILE</c>: every result as a Parquet row, or a clear error before anything runs.</summary>
public sealed class ResultsOptionTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Every_result_becomes_a_row_with_its_input_line()
    {
        string table = _directory.File("results.parquet");
        (int exitCode, _, string stderr) = await CliProcess.RunAsync(Encoding.UTF8.GetBytes("one\ntwo\nthree\n"), "run", "--results", table, "--", "sh", "-c", "echo \"got $1\"; [ \"$1\" != two ]", "sh", "{}");

        IReadOnlyList<ResultRow> rows = await ResultParquetReader.ReadAsync(table);

        Assert.Equal(1, exitCode);
        Assert.Contains($"wrote 3 results to {table}", stderr, StringComparison.Ordinal);
        Assert.Equal(["one", "three", "two"], rows.Select(r => r.Input).Order());
        ResultRow two = rows.Single(r => r.Input == "two");
        Assert.Equal((false, 1, "got two\n", "sh"), (two.Success, two.ExitCode, two.Stdout, two.Command));
        Assert.Equal(["-c", "echo \"got $1\"; [ \"$1\" != two ]", "sh", "two"], two.Arguments);
        Assert.All(rows, r => Assert.InRange(r.StartTime, DateTime.UtcNow.AddMinutes(-5), r.EndTime));
    }

    [Fact]
    public async Task A_table_that_cannot_be_written_stops_the_run_before_any_task()
    {
        string marker = _directory.File("ran");
        (int exitCode, _, string stderr) = await CliProcess.RunAsync("x\n"u8.ToArray(), "run", "--results", _directory.File("no/such/dir/r.parquet"), "--", "touch", marker);

        Assert.Equal(1, exitCode);
        Assert.Contains("no/such/dir", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task A_run_that_reaches_no_worker_leaves_no_table()
    {
        string table = _directory.File("results.parquet");
        (int exitCode, _, string stderr) = await CliProcess.RunAsync("x\n"u8.ToArray(), "run", "--worker", "127.0.0.1:1", "--results", table, "--", "true");

        Assert.Equal(2, exitCode);
        Assert.Contains("no worker could be reached, nothing was run", stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_directory.Path)); // neither the table nor its partial file
    }
}
