using System.Text;

namespace Repartir.Tasks;

/// <summary>
/// The one outcome of a submitted task: how it ended, what it printed, when and where it ran,
/// and on which attempt. Every submitted task yields exactly one.
/// </summary>
/// <remarks>
/// A record so that <c>with</c> can re-address a result (a remote worker's outcome gets the coordinator's
/// id and spec), but compared by reference: two results are the same only when they are one object.
/// </remarks>
public sealed record TaskResult
{
    // The decoded text remembers the bytes it came from: a copy made with `with` may carry other bytes.
    private DecodedText? _stdout;
    private DecodedText? _stderr;

    /// <summary>The task's id within its pool.</summary>
    public required TaskId Id { get; init; }

    /// <summary>The task's display name (its name, or its command line).</summary>
    public required string Name { get; init; }

    /// <summary>The exit code, when the process exited by itself; <c>null</c> otherwise.</summary>
    public int? ExitCode { get; init; }

    /// <summary>The signal that ended the process, when one did (including the kill of a timeout or cancel).</summary>
    public int? Signal { get; init; }

    /// <summary>Why the task did not end with an exit code; <see cref="FailureKind.None"/> when it did.</summary>
    public FailureKind Failure { get; init; }

    /// <summary>A sentence about the failure, for people; <c>null</c> when there was none.</summary>
    public string? FailureMessage { get; init; }

    /// <summary>True when the process exited with code 0.</summary>
    public bool Success => Failure == FailureKind.None && ExitCode == 0;

    /// <summary>Standard output, exactly as the process wrote it (up to the pool's cap).</summary>
    public byte[] StdoutBytes { get; init; } = [];

    /// <summary>Standard error, exactly as the process wrote it (up to the pool's cap).</summary>
    public byte[] StderrBytes { get; init; } = [];

    /// <summary>Standard output decoded as UTF-8 (invalid sequences become U+FFFD; the bytes stay intact).</summary>
    public string Stdout => Decode(StdoutBytes, ref _stdout);

    /// <summary>Standard error decoded as UTF-8 (invalid sequences become U+FFFD; the bytes stay intact).</summary>
    public string Stderr => Decode(StderrBytes, ref _stderr);

    /// <summary>True when standard output exceeded the cap and the rest was discarded.</summary>
    public bool StdoutTruncated { get; init; }

    /// <summary>True when standard error exceeded the cap and the rest was discarded.</summary>
    public bool StderrTruncated { get; init; }

    /// <summary>When the final attempt started (for a task that never started: when it was given up).</summary>
    public DateTimeOffset StartTime { get; init; }

    /// <summary>When the final attempt ended.</summary>
    public DateTimeOffset EndTime { get; init; }

    /// <summary>How long the final attempt ran.</summary>
    public TimeSpan Duration => EndTime - StartTime;

    /// <summary>Which attempt of the task's retry policy this result came from (1 = the first; 0 = the task never started).</summary>
    public int Attempt { get; init; }

    /// <summary>
    /// How many runs of the task were lost with their worker and run again elsewhere. They are not retries: they use
    /// up none of the retry policy. A task whose worker died may so have run more than once; it has one result.
    /// </summary>
    public int Losses { get; init; }

    /// <summary>The machine the task ran on.</summary>
    public string Host { get; init; } = string.Empty;

    /// <summary>The worker on that machine, for example <c>cpu-3</c>; empty when the task never started.</summary>
    public string Worker { get; init; } = string.Empty;

    /// <summary>The backend that ran (or refused) the task.</summary>
    public Backend Backend { get; init; }

    /// <summary>The process id of the final attempt; <c>null</c> when no process started.</summary>
    public int? ProcessId { get; init; }

    /// <summary>
    /// True when the task did not run in this run: its success was recorded in the run's journal by an earlier run
    /// (<see cref="Checkpoints.RunJournal"/>), and this is that run's result.
    /// </summary>
    public bool FromJournal { get; init; }

    /// <summary>The output buffers of a GPU kernel task (<see cref="TaskSpec.Kernel"/>), in binding order; <c>null</c> for a process.</summary>
    public IReadOnlyList<byte[]>? GpuOutputs { get; init; }

    /// <summary>What an in-process task (<see cref="TaskSpec.ForWork"/>) produced, whether it succeeded or not; null for a process.</summary>
    public object? Value { get; init; }

    /// <summary>The spec the task was submitted with.</summary>
    public required TaskSpec Spec { get; init; }

    /// <summary>The item the task was made from, unchanged (see <see cref="TaskSpec.InputObject"/>).</summary>
    public object? InputObject => Spec.InputObject;

    /// <summary>The result of an attempt that starts now on this machine, for an executor to complete with how it ended.</summary>
    internal static TaskResult Begun(TaskSpec spec, Execution.ExecutionSlot slot, Backend backend, DateTimeOffset start) => new()
    {
        Id = slot.Id,
        Name = spec.DisplayName,
        Spec = spec,
        Attempt = slot.Attempt,
        Host = Environment.MachineName,
        Worker = slot.Worker,
        Backend = backend,
        StartTime = start,
    };

    /// <summary>The result of a task that never started a process: refused, abandoned or cancelled before it ran.</summary>
    /// <param name="id">The task's id.</param>
    /// <param name="spec">What it would have run.</param>
    /// <param name="failure">Why it did not run.</param>
    /// <param name="message">A sentence about it, for people.</param>
    /// <param name="attempt">Attempts made: 0 when the task never started.</param>
    /// <param name="host">The machine that gave it up.</param>
    /// <param name="worker">The worker that gave it up; empty when none had it.</param>
    public static TaskResult NotRun(TaskId id, TaskSpec spec, FailureKind failure, string message, int attempt, string host, string worker = "")
    {
        ArgumentNullException.ThrowIfNull(spec);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return new TaskResult
        {
            Id = id,
            Name = spec.DisplayName,
            Spec = spec,
            Failure = failure,
            FailureMessage = message,
            Attempt = attempt,
            Worker = worker,
            Host = host,
            Backend = spec.Backend,
            StartTime = now,
            EndTime = now,
        };
    }

    /// <summary>
    /// This result with its output dropped (both streams flagged truncated) and <paramref name="reason"/>
    /// added to the failure message: for when the output cannot travel, the outcome still does.
    /// </summary>
    public TaskResult WithoutOutput(string reason) => this with
    {
        FailureMessage = FailureMessage is null ? $"Output dropped: {reason}" : $"{FailureMessage} (output dropped: {reason})",
        StdoutBytes = [],
        StderrBytes = [],
        StdoutTruncated = true,
        StderrTruncated = true,
    };

    /// <inheritdoc />
    public bool Equals(TaskResult? other) => ReferenceEquals(this, other);

    /// <inheritdoc />
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);

    /// <inheritdoc />
    public override string ToString() => Failure == FailureKind.None
        ? $"{Name}: exit {ExitCode}"
        : $"{Name}: {Failure} ({FailureMessage})";

    private static string Decode(byte[] bytes, ref DecodedText? cache)
    {
        if (cache is { } cached && ReferenceEquals(cached.Bytes, bytes))
        {
            return cached.Text;
        }

        string text = bytes.Length == 0 ? string.Empty : Encoding.UTF8.GetString(bytes);
        cache = new DecodedText(bytes, text);
        return text;
    }

    private sealed record DecodedText(byte[] Bytes, string Text);
}
