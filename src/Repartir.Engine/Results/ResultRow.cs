using System.Text;
using System.Text.Json;
using Repartir.Tasks;

namespace Repartir.Results;

/// <summary>One task's result as a row of a results table (<see cref="ResultParquetWriter"/>): plain typed values, times in UTC.</summary>
public sealed record ResultRow
{
    /// <summary>The task's id in its run.</summary>
    public long Id { get; init; }

    /// <summary>The task's display name.</summary>
    public required string Name { get; init; }

    /// <summary>The input item as text (an input line, a file's full name); null when the task had none.</summary>
    public string? Input { get; init; }

    /// <summary>The program.</summary>
    public required string Command { get; init; }

    /// <summary>Its arguments, one element per argument.</summary>
    public required IReadOnlyList<string> Arguments { get; init; }

    /// <summary>The exit code, when the process exited by itself.</summary>
    public int? ExitCode { get; init; }

    /// <summary>The signal that ended the process, when one did.</summary>
    public int? Signal { get; init; }

    /// <summary>True when the task succeeded (exit code 0, no failure).</summary>
    public bool Success { get; init; }

    /// <summary>The failure kind's name: None, NotFound, TimedOut, …</summary>
    public required string Failure { get; init; }

    /// <summary>A sentence about the failure; null when there was none.</summary>
    public string? FailureMessage { get; init; }

    /// <summary>Which attempt of the retry policy gave the result.</summary>
    public int Attempt { get; init; }

    /// <summary>Runs lost with their worker and run again.</summary>
    public int Losses { get; init; }

    /// <summary>The machine the task ran on.</summary>
    public required string Host { get; init; }

    /// <summary>The worker that ran it.</summary>
    public required string Worker { get; init; }

    /// <summary>The backend's name: Cpu, Remote, …</summary>
    public required string Backend { get; init; }

    /// <summary>When the final attempt started (UTC).</summary>
    public DateTime StartTime { get; init; }

    /// <summary>When it ended (UTC).</summary>
    public DateTime EndTime { get; init; }

    /// <summary>How long it ran, in milliseconds.</summary>
    public double DurationMs { get; init; }

    /// <summary>Standard output as UTF-8 text (bytes that are not UTF-8 become U+FFFD).</summary>
    public required string Stdout { get; init; }

    /// <summary>True when standard output was cut at the capture limit.</summary>
    public bool StdoutTruncated { get; init; }

    /// <summary>Standard error as UTF-8 text.</summary>
    public required string Stderr { get; init; }

    /// <summary>True when standard error was cut at the capture limit.</summary>
    public bool StderrTruncated { get; init; }

    /// <summary>True when the result came from a run's journal instead of a run of the task.</summary>
    public bool FromJournal { get; init; }

    /// <summary>The row of <paramref name="result"/>, its input item shown as <paramref name="input"/>.</summary>
    public static ResultRow From(TaskResult result, string? input)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new ResultRow
        {
            Id = result.Id.Value,
            Name = result.Name,
            Input = input,
            Command = result.Spec.Executable,
            Arguments = result.Spec.Arguments,
            ExitCode = result.ExitCode,
            Signal = result.Signal,
            Success = result.Success,
            Failure = result.Failure.ToString(),
            FailureMessage = result.FailureMessage,
            Attempt = result.Attempt,
            Losses = result.Losses,
            Host = result.Host,
            Worker = result.Worker,
            Backend = result.Backend.ToString(),
            StartTime = result.StartTime.UtcDateTime,
            EndTime = result.EndTime.UtcDateTime,
            DurationMs = result.Duration.TotalMilliseconds,
            Stdout = result.Stdout,
            StdoutTruncated = result.StdoutTruncated,
            Stderr = result.Stderr,
            StderrTruncated = result.StderrTruncated,
            FromJournal = result.FromJournal,
        };
    }

    /// <summary>The row as a result again, its input text as the input item (outputs as their UTF-8 bytes).</summary>
    /// <exception cref="FormatException">A failure or backend name this version does not know.</exception>
    public TaskResult ToTaskResult() => new()
    {
        Id = new TaskId(Id),
        Name = Name,
        ExitCode = ExitCode,
        Signal = Signal,
        Failure = Enum.TryParse(Failure, out FailureKind failure) ? failure : throw new FormatException($"Row {Id} has an unknown failure kind '{Failure}'."),
        FailureMessage = FailureMessage,
        Attempt = Attempt,
        Losses = Losses,
        Host = Host,
        Worker = Worker,
        Backend = Enum.TryParse(Backend, out Backend backend) ? backend : throw new FormatException($"Row {Id} has an unknown backend '{Backend}'."),
        StartTime = new DateTimeOffset(DateTime.SpecifyKind(StartTime, DateTimeKind.Utc)),
        EndTime = new DateTimeOffset(DateTime.SpecifyKind(EndTime, DateTimeKind.Utc)),
        StdoutBytes = Encoding.UTF8.GetBytes(Stdout),
        StdoutTruncated = StdoutTruncated,
        StderrBytes = Encoding.UTF8.GetBytes(Stderr),
        StderrTruncated = StderrTruncated,
        FromJournal = FromJournal,
        Spec = new TaskSpec(Command, [.. Arguments]) { InputObject = Input },
    };

    /// <summary>The arguments as the table stores them: a JSON array of strings.</summary>
    internal string ArgumentsJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (string argument in Arguments)
            {
                writer.WriteStringValue(argument);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Arguments back from their JSON array.</summary>
    /// <exception cref="FormatException">The text is not a JSON array of strings.</exception>
    internal static string[] ParseArguments(string json)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            return [.. document.RootElement.EnumerateArray().Select(e => e.GetString() ?? throw new FormatException("An argument is null."))];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new FormatException($"The arguments column holds '{json}', which is not a JSON array of strings.", e);
        }
    }
}
