using Parquet.Schema;

namespace Repartir.Results;

/// <summary>The columns of a results table, in order: the one schema the writer writes and the reader expects.</summary>
internal static class ResultColumns
{
    internal static readonly DataField Id = new("id", typeof(long), isNullable: false);
    internal static readonly DataField Name = new("name", typeof(string), isNullable: false);
    internal static readonly DataField Input = new("input", typeof(string), isNullable: true);
    internal static readonly DataField Command = new("command", typeof(string), isNullable: false);
    internal static readonly DataField Arguments = new("arguments", typeof(string), isNullable: false); // a JSON array of strings
    internal static readonly DataField ExitCode = new("exit_code", typeof(int), isNullable: true);
    internal static readonly DataField Signal = new("signal", typeof(int), isNullable: true);
    internal static readonly DataField Success = new("success", typeof(bool), isNullable: false);
    internal static readonly DataField Failure = new("failure", typeof(string), isNullable: false);
    internal static readonly DataField FailureMessage = new("failure_message", typeof(string), isNullable: true);
    internal static readonly DataField Attempt = new("attempt", typeof(int), isNullable: false);
    internal static readonly DataField Losses = new("losses", typeof(int), isNullable: false);
    internal static readonly DataField Host = new("host", typeof(string), isNullable: false);
    internal static readonly DataField Worker = new("worker", typeof(string), isNullable: false);
    internal static readonly DataField Backend = new("backend", typeof(string), isNullable: false);
    internal static readonly DataField StartTime = new DateTimeDataField("start_time", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: false);
    internal static readonly DataField EndTime = new DateTimeDataField("end_time", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: false);
    internal static readonly DataField DurationMs = new("duration_ms", typeof(double), isNullable: false);
    internal static readonly DataField Stdout = new("stdout", typeof(string), isNullable: false);
    internal static readonly DataField StdoutTruncated = new("stdout_truncated", typeof(bool), isNullable: false);
    internal static readonly DataField Stderr = new("stderr", typeof(string), isNullable: false);
    internal static readonly DataField StderrTruncated = new("stderr_truncated", typeof(bool), isNullable: false);
    internal static readonly DataField FromJournal = new("from_journal", typeof(bool), isNullable: false);

    internal static readonly ParquetSchema Schema = new(
        Id, Name, Input, Command, Arguments, ExitCode, Signal, Success, Failure, FailureMessage, Attempt, Losses, Host, Worker, Backend,
        StartTime, EndTime, DurationMs, Stdout, StdoutTruncated, Stderr, StderrTruncated, FromJournal);
}
