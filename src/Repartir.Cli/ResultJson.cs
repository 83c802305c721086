using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Repartir.Tasks;

namespace Repartir.Cli;

/// <summary>The JSON form of one <see cref="TaskResult"/>: every field, one object per line.</summary>
internal sealed record ResultRecord
{
    public long Id { get; init; }

    public long Number { get; init; }

    public string? Input { get; init; }

    /// <summary>The input line's raw bytes, only when they are not valid UTF-8 (<see cref="Input"/> then shows U+FFFD for them).</summary>
    public string? InputBase64 { get; init; }

    public required string Name { get; init; }

    public required string[] Command { get; init; }

    public bool Success { get; init; }

    public int? ExitCode { get; init; }

    public int? Signal { get; init; }

    public string Failure { get; init; } = nameof(FailureKind.None);

    public string? FailureMessage { get; init; }

    public required string Stdout { get; init; }

    public required string Stderr { get; init; }

    /// <summary>The raw bytes, only when they are not valid UTF-8 (otherwise <see cref="Stdout"/> is exact).</summary>
    public string? StdoutBase64 { get; init; }

    public string? StderrBase64 { get; init; }

    public bool StdoutTruncated { get; init; }

    public bool StderrTruncated { get; init; }

    public DateTimeOffset StartTime { get; init; }

    public DateTimeOffset EndTime { get; init; }

    public double DurationMs { get; init; }

    public int Attempt { get; init; }

    public int Losses { get; init; }

    public required string Host { get; init; }

    public required string Worker { get; init; }

    public required string Backend { get; init; }

    public int? ProcessId { get; init; }

    /// <summary>True when the task did not run: an earlier run with the same journal recorded this result.</summary>
    public bool FromJournal { get; init; }

    internal static ResultRecord From(TaskResult result, long number, string input) => new()
    {
        Id = result.Id.Value,
        Number = number,
        Input = input,
        InputBase64 = ArgumentBytes.HasEscapedBytes(input) ? Convert.ToBase64String(ArgumentBytes.GetBytes(input)) : null,
        Name = result.Name,
        Command = [result.Spec.Executable, .. result.Spec.Arguments],
        Success = result.Success,
        ExitCode = result.ExitCode,
        Signal = result.Signal,
        Failure = result.Failure.ToString(),
        FailureMessage = result.FailureMessage,
        Stdout = result.Stdout,
        Stderr = result.Stderr,
        StdoutBase64 = IsUtf8(result.StdoutBytes) ? null : Convert.ToBase64String(result.StdoutBytes),
        StderrBase64 = IsUtf8(result.StderrBytes) ? null : Convert.ToBase64String(result.StderrBytes),
        StdoutTruncated = result.StdoutTruncated,
        StderrTruncated = result.StderrTruncated,
        StartTime = result.StartTime,
        EndTime = result.EndTime,
        DurationMs = result.Duration.TotalMilliseconds,
        Attempt = result.Attempt,
        Losses = result.Losses,
        Host = result.Host,
        Worker = result.Worker,
        Backend = result.Backend.ToString(),
        ProcessId = result.ProcessId,
        FromJournal = result.FromJournal,
    };

    private static bool IsUtf8(byte[] bytes) => System.Text.Unicode.Utf8.IsValid(bytes);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ResultRecord))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
}
