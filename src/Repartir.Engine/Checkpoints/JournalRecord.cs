using Repartir.Tasks;

namespace Repartir.Checkpoints;

/// <summary>A task's result as a run's journal stores it: a state tree of its fields (outputs as bytes, times in UTC).</summary>
internal static class JournalRecord
{
    /// <summary>The record of <paramref name="result"/>: its fields, and what it ran with its input's identity (for exports).</summary>
    internal static byte[] Encode(TaskResult result, string? inputIdentity) => StateTree.Encode(new Dictionary<string, object?>
    {
        ["command"] = result.Spec.Executable,
        ["arguments"] = result.Spec.Arguments,
        ["input"] = inputIdentity,
        ["id"] = result.Id.Value,
        ["name"] = result.Name,
        ["exitCode"] = result.ExitCode,
        ["signal"] = result.Signal,
        ["failure"] = (long)result.Failure,
        ["message"] = result.FailureMessage,
        ["stdout"] = result.StdoutBytes,
        ["stderr"] = result.StderrBytes,
        ["stdoutTruncated"] = result.StdoutTruncated,
        ["stderrTruncated"] = result.StderrTruncated,
        ["start"] = result.StartTime,
        ["end"] = result.EndTime,
        ["attempt"] = (long)result.Attempt,
        ["losses"] = (long)result.Losses,
        ["host"] = result.Host,
        ["worker"] = result.Worker,
        ["backend"] = (long)result.Backend,
        ["processId"] = result.ProcessId,
    });

    /// <summary>
    /// The stored result of a task, carrying this run's <paramref name="spec"/> (and so its input item); without one,
    /// a spec of the recorded command and arguments with the input's identity as its item.
    /// </summary>
    /// <exception cref="StateTreeException">The record is not one this version wrote.</exception>
    internal static TaskResult Decode(ReadOnlySpan<byte> record, TaskSpec? spec)
    {
        if (StateTree.Decode(record) is not Dictionary<string, object?> fields)
        {
            throw new StateTreeException(StateTree.Root, "A journal record is not a map.");
        }

        spec ??= new TaskSpec(Get<string>(fields, "command"), [.. Get<List<object?>>(fields, "arguments").Cast<string>()]) { InputObject = fields.GetValueOrDefault("input") as string };

        return new TaskResult
        {
            Id = new TaskId(Get<long>(fields, "id")),
            Name = Get<string>(fields, "name"),
            ExitCode = fields.GetValueOrDefault("exitCode") is long exit ? (int)exit : null,
            Signal = fields.GetValueOrDefault("signal") is long signal ? (int)signal : null,
            Failure = (FailureKind)Get<long>(fields, "failure"),
            FailureMessage = fields.GetValueOrDefault("message") as string,
            StdoutBytes = Get<byte[]>(fields, "stdout"),
            StderrBytes = Get<byte[]>(fields, "stderr"),
            StdoutTruncated = Get<bool>(fields, "stdoutTruncated"),
            StderrTruncated = Get<bool>(fields, "stderrTruncated"),
            StartTime = Get<DateTimeOffset>(fields, "start"),
            EndTime = Get<DateTimeOffset>(fields, "end"),
            Attempt = (int)Get<long>(fields, "attempt"),
            Losses = (int)Get<long>(fields, "losses"),
            Host = Get<string>(fields, "host"),
            Worker = Get<string>(fields, "worker"),
            Backend = (Backend)Get<long>(fields, "backend"),
            ProcessId = fields.GetValueOrDefault("processId") is long pid ? (int)pid : null,
            Spec = spec,
            FromJournal = true,
        };
    }

    private static T Get<T>(Dictionary<string, object?> fields, string name) =>
        fields.GetValueOrDefault(name) is T value ? value : throw new StateTreeException($"{StateTree.Root}.{name}", $"A journal record's {name} is missing or not a {typeof(T).Name}.");
}
