using Repartir.Remote.Wire;
using Repartir.Tasks;

namespace Repartir.Checkpoints;

/// <summary>A task's result as a run's journal stores it: a state tree of its fields (outputs as bytes, times in UTC).</summary>
internal static class JournalRecord
{
    /// <summary>
    /// The record of <paramref name="result"/>: its fields, and what it ran with its input's identity (for exports), as a
    /// state tree map written straight through the codec (no dictionary, no boxing: one of these per task).
    /// </summary>
    internal static byte[] Encode(TaskResult result, string? inputIdentity)
    {
        using var buffer = new PooledBufferWriter(512 + result.StdoutBytes.Length + result.StderrBytes.Length);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(21);
        writer.Write("command");
        writer.Write(result.Spec.Executable);
        writer.Write("arguments");
        writer.WriteArrayHeader(result.Spec.Arguments.Count);
        foreach (string argument in result.Spec.Arguments)
        {
            writer.Write(argument);
        }

        writer.Write("input");
        writer.Write(inputIdentity);
        writer.Write("id");
        writer.Write(result.Id.Value);
        writer.Write("name");
        writer.Write(result.Name);
        writer.Write("exitCode");
        WriteNullable(ref writer, result.ExitCode);
        writer.Write("signal");
        WriteNullable(ref writer, result.Signal);
        writer.Write("failure");
        writer.Write((long)result.Failure);
        writer.Write("message");
        writer.Write(result.FailureMessage);
        writer.Write("stdout");
        writer.Write(result.StdoutBytes.AsSpan());
        writer.Write("stderr");
        writer.Write(result.StderrBytes.AsSpan());
        writer.Write("stdoutTruncated");
        writer.Write(result.StdoutTruncated);
        writer.Write("stderrTruncated");
        writer.Write(result.StderrTruncated);
        writer.Write("start");
        writer.Write(result.StartTime);
        writer.Write("end");
        writer.Write(result.EndTime);
        writer.Write("attempt");
        writer.Write((long)result.Attempt);
        writer.Write("losses");
        writer.Write((long)result.Losses);
        writer.Write("host");
        writer.Write(result.Host);
        writer.Write("worker");
        writer.Write(result.Worker);
        writer.Write("backend");
        writer.Write((long)result.Backend);
        writer.Write("processId");
        WriteNullable(ref writer, result.ProcessId);
        return buffer.WrittenMemory.ToArray();
    }

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

    private static void WriteNullable(ref MessagePackWriter writer, int? value)
    {
        if (value is { } present)
        {
            writer.Write((long)present);
        }
        else
        {
            writer.WriteNil();
        }
    }

    private static T Get<T>(Dictionary<string, object?> fields, string name) =>
        fields.GetValueOrDefault(name) is T value ? value : throw new StateTreeException($"{StateTree.Root}.{name}", $"A journal record's {name} is missing or not a {typeof(T).Name}.");
}
