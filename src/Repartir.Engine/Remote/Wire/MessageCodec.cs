using System.Text;
using Repartir.Tasks;

namespace Repartir.Remote.Wire;

/// <summary>A message that breaks the protocol; <see cref="Code"/> goes into the error frame sent back.</summary>
public sealed class ProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ProtocolException(string code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
    }

    /// <summary>A stable code: <c>BadMessage</c>, <c>UnknownMessage</c>, <c>VersionMismatch</c>, <c>FrameTooLarge</c>.</summary>
    public string Code { get; }
}

/// <summary>Encodes and decodes <see cref="Message"/>s as MessagePack maps: the one serializer of the wire protocol.</summary>
public static class MessageCodec
{
    /// <summary>The version of the wire protocol this build speaks.</summary>
    public const int ProtocolVersion = 1;

    /// <summary>A message whose map has fields that cannot be read, or lacks one that is required.</summary>
    public const string BadMessage = "BadMessage";

    /// <summary>A message type this build does not know.</summary>
    public const string UnknownMessage = "UnknownMessage";

    /// <summary>The peers speak different protocol versions.</summary>
    public const string VersionMismatch = "VersionMismatch";

    /// <summary>A frame above the negotiated maximum.</summary>
    public const string FrameTooLarge = "FrameTooLarge";

    /// <summary>The spec a decoded <see cref="Result"/> carries until the coordinator re-attaches the one it submitted.</summary>
    private static readonly TaskSpec RemoteSpecPlaceholder = new("(remote)");

    /// <summary>Writes <paramref name="message"/> as one MessagePack map.</summary>
    public static void Write(ref MessagePackWriter writer, Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        switch (message)
        {
            case Hello hello:
                writer.WriteMapHeader(9);
                Field(ref writer, "type", "hello");
                Field(ref writer, "protocolVersion", (long)hello.ProtocolVersion);
                Field(ref writer, "softwareVersion", hello.SoftwareVersion);
                Field(ref writer, "name", hello.Name);
                Field(ref writer, "id", hello.Id);
                Field(ref writer, "slots", (long)hello.Slots);
                Field(ref writer, "backends", hello.Backends);
                Field(ref writer, "maxFrameLength", (long)hello.MaxFrameLength);
                writer.Write("hostFacts");
                writer.WriteMapHeader(hello.HostFacts.Count);
                foreach (KeyValuePair<string, string> fact in hello.HostFacts)
                {
                    writer.Write(fact.Key);
                    writer.Write(fact.Value);
                }

                break;
            case Submit submit:
                TaskSpec spec = submit.Spec;
                writer.WriteMapHeader(12);
                Field(ref writer, "type", "submit");
                Field(ref writer, "taskId", submit.TaskId);
                Field(ref writer, "attempt", (long)submit.Attempt);
                Field(ref writer, "executable", spec.Executable);
                Field(ref writer, "arguments", spec.Arguments);
                writer.Write("environment");
                writer.WriteMapHeader(spec.Environment.Count);
                foreach (KeyValuePair<string, string?> variable in spec.Environment)
                {
                    writer.Write(variable.Key);
                    writer.Write(variable.Value);
                }

                Field(ref writer, "workingDirectory", spec.WorkingDirectory);
                writer.Write("standardInput");
                if (spec.StandardInput is { } input)
                {
                    writer.Write(input.Span);
                }
                else
                {
                    writer.WriteNil();
                }

                Field(ref writer, "priority", spec.Priority.ToString());
                Field(ref writer, "timeoutMs", spec.Timeout is { } timeout ? (long)Math.Ceiling(timeout.TotalMilliseconds) : null);
                Field(ref writer, "name", spec.Name);
                Field(ref writer, "backend", spec.Backend.ToString());
                break;
            case Result result:
                TaskResult outcome = result.Outcome;
                writer.WriteMapHeader(17);
                Field(ref writer, "type", "result");
                Field(ref writer, "taskId", result.TaskId);
                Field(ref writer, "attempt", (long)result.Attempt);
                Field(ref writer, "name", outcome.Name);
                Field(ref writer, "exitCode", outcome.ExitCode);
                Field(ref writer, "signal", outcome.Signal);
                Field(ref writer, "failure", outcome.Failure.ToString());
                Field(ref writer, "failureMessage", outcome.FailureMessage);
                Field(ref writer, "stdout", outcome.StdoutBytes);
                Field(ref writer, "stderr", outcome.StderrBytes);
                Field(ref writer, "stdoutTruncated", outcome.StdoutTruncated);
                Field(ref writer, "stderrTruncated", outcome.StderrTruncated);
                Field(ref writer, "startTime", outcome.StartTime);
                Field(ref writer, "endTime", outcome.EndTime);
                Field(ref writer, "processId", outcome.ProcessId);
                Field(ref writer, "host", outcome.Host);
                Field(ref writer, "worker", outcome.Worker);
                break;
            case Cancel cancel:
                writer.WriteMapHeader(2);
                Field(ref writer, "type", "cancel");
                Field(ref writer, "taskId", cancel.TaskId);
                break;
            case Heartbeat heartbeat:
                writer.WriteMapHeader(6);
                Field(ref writer, "type", "heartbeat");
                Field(ref writer, "sequence", heartbeat.Sequence);
                Field(ref writer, "running", (long)heartbeat.Running);
                Field(ref writer, "queued", (long)heartbeat.Queued);
                Field(ref writer, "load", heartbeat.Load);
                Field(ref writer, "echo", heartbeat.Echo);
                break;
            case WorkerStatus status:
                writer.WriteMapHeader(7);
                Field(ref writer, "type", "status");
                Field(ref writer, "state", status.State);
                Field(ref writer, "slots", (long)status.Slots);
                Field(ref writer, "running", (long)status.Running);
                Field(ref writer, "completed", status.Completed);
                Field(ref writer, "failed", status.Failed);
                Field(ref writer, "uptimeMs", (long)status.Uptime.TotalMilliseconds);
                break;
            case ErrorMessage error:
                writer.WriteMapHeader(4);
                Field(ref writer, "type", "error");
                Field(ref writer, "code", error.Code);
                Field(ref writer, "text", error.Text);
                Field(ref writer, "fatal", error.Fatal);
                break;
            case Goodbye goodbye:
                writer.WriteMapHeader(2);
                Field(ref writer, "type", "goodbye");
                Field(ref writer, "reason", goodbye.Reason);
                break;
            default:
                throw new ArgumentException($"{message.GetType().Name} has no wire form.", nameof(message));
        }
    }

    /// <summary>Reads one message from a frame's bytes.</summary>
    /// <exception cref="ProtocolException">The frame is not a message this build can read (the code says why).</exception>
    public static Message Read(ReadOnlySpan<byte> frame, MessagePackReaderOptions? options = null)
    {
        try
        {
            var reader = new MessagePackReader(frame, options);
            string type = FindType(reader);
            if (!KnownTypes.Contains(type))
            {
                throw new ProtocolException(UnknownMessage, $"'{type}' is not a message type this build knows (protocol version {ProtocolVersion}).");
            }

            var fields = new Fields(type);
            int count = reader.ReadMapHeader();
            for (int i = 0; i < count; i++)
            {
                fields.Read(ref reader);
            }

            if (!reader.End)
            {
                throw new ProtocolException(BadMessage, $"{frame.Length - reader.Position} bytes follow the {type} message in its frame.");
            }

            return fields.Build();
        }
        catch (MessagePackFormatException e)
        {
            throw new ProtocolException(BadMessage, "The frame is not valid MessagePack: " + e.Message, e);
        }
        catch (OverflowException e)
        {
            throw new ProtocolException(BadMessage, "A field of the message is out of range: " + e.Message, e);
        }
    }

    private static string FindType(MessagePackReader reader)
    {
        if (reader.PeekType() != MessagePackType.Map)
        {
            throw new ProtocolException(BadMessage, $"A message is a map; this frame holds {reader.PeekType()}.");
        }

        int count = reader.ReadMapHeader();
        for (int i = 0; i < count; i++)
        {
            bool isType = reader.PeekType() == MessagePackType.String
                ? reader.ReadStringBytes().SequenceEqual("type"u8)
                : SkipAndReturnFalse(ref reader);
            if (isType)
            {
                return reader.PeekType() == MessagePackType.String
                    ? reader.ReadString()!
                    : throw new ProtocolException(BadMessage, "The message's type is not a string.");
            }

            reader.Skip(); // the value
        }

        throw new ProtocolException(BadMessage, "The message has no type.");
    }

    private static bool SkipAndReturnFalse(ref MessagePackReader reader)
    {
        reader.Skip(); // a key that is not a string
        return false;
    }

    // One key and its value: the shape of every field on the wire.
    private static void Field(ref MessagePackWriter writer, string key, string? value)
    {
        writer.Write(key);
        writer.Write(value);
    }

    private static void Field(ref MessagePackWriter writer, string key, long value)
    {
        writer.Write(key);
        writer.Write(value);
    }

    private static void Field(ref MessagePackWriter writer, string key, long? value)
    {
        writer.Write(key);
        if (value is { } present)
        {
            writer.Write(present);
        }
        else
        {
            writer.WriteNil();
        }
    }

    private static void Field(ref MessagePackWriter writer, string key, bool value)
    {
        writer.Write(key);
        writer.Write(value);
    }

    private static void Field(ref MessagePackWriter writer, string key, double value)
    {
        writer.Write(key);
        writer.Write(value);
    }

    private static void Field(ref MessagePackWriter writer, string key, ReadOnlySpan<byte> value)
    {
        writer.Write(key);
        writer.Write(value);
    }

    private static void Field(ref MessagePackWriter writer, string key, DateTimeOffset value)
    {
        writer.Write(key);
        writer.Write(value);
    }

    private static void Field(ref MessagePackWriter writer, string key, IReadOnlyList<string> values)
    {
        writer.Write(key);
        writer.WriteArrayHeader(values.Count);
        foreach (string value in values)
        {
            if (ArgumentBytes.HasEscapedBytes(value))
            {
                writer.Write(ArgumentBytes.GetBytes(value)); // bytes that are not UTF-8 (an argument read from raw input): bin, as they are
            }
            else
            {
                writer.Write(value);
            }
        }
    }

    /// <summary>The fields of one message as they are read, in any order; unknown keys are skipped.</summary>
    private sealed class Fields(string type)
    {
        private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);

        public void Read(ref MessagePackReader reader)
        {
            if (reader.PeekType() != MessagePackType.String)
            {
                reader.Skip(); // a non-string key is nobody's field
                reader.Skip();
                return;
            }

            string key = Encoding.UTF8.GetString(reader.ReadStringBytes());
            if (!Schema.TryGetValue((type, key), out FieldKind kind))
            {
                reader.Skip(); // "type" itself, or a field from a newer peer
                return;
            }

            _values[key] = ReadValue(ref reader, kind, key);
        }

        public Message Build()
        {
            switch (type)
            {
                case "hello":
                    return new Hello(
                        Required<int>("protocolVersion"),
                        Required<string>("softwareVersion"),
                        Required<string>("name"),
                        Required<string>("id"),
                        Required<int>("slots"),
                        Optional<IReadOnlyList<string>>("backends") ?? [],
                        Required<int>("maxFrameLength"),
                        Optional<IReadOnlyDictionary<string, string>>("hostFacts") ?? new Dictionary<string, string>());
                case "submit":
                    var spec = new TaskSpec(Required<string>("executable"), [.. Optional<IReadOnlyList<string>>("arguments") ?? []])
                    {
                        Environment = Optional<IReadOnlyDictionary<string, string?>>("environment") ?? new Dictionary<string, string?>(),
                        WorkingDirectory = Optional<string>("workingDirectory"),
                        // Explicit: a null byte[] would otherwise convert to an empty (non-null) stdin.
                        StandardInput = Optional<byte[]>("standardInput") is { } input ? (ReadOnlyMemory<byte>?)input : null,
                        Priority = Optional<string>("priority") is { } priority ? ParseEnum<TaskPriority>("priority", priority) : TaskPriority.Normal,
                        Timeout = Optional<long?>("timeoutMs") is { } milliseconds ? TimeSpan.FromMilliseconds(milliseconds) : null,
                        Name = Optional<string>("name"),
                        Backend = Optional<string>("backend") is { } backend ? ParseEnum<Backend>("backend", backend) : Backend.Cpu,
                    };
                    return new Submit(Required<long>("taskId"), Required<int>("attempt"), spec);
                case "result":
                    long taskId = Required<long>("taskId");
                    return new Result(taskId, Required<int>("attempt"), new TaskResult
                    {
                        Id = new TaskId(taskId),
                        Name = Optional<string>("name") ?? string.Empty,
                        Spec = RemoteSpecPlaceholder,
                        // Never cast: a wrapped 2^40 would read as exit code 0, a success that never happened.
                        ExitCode = OptionalInRange("exitCode", 0, 255),
                        Signal = OptionalInRange("signal", 1, 64),
                        Failure = ParseEnum<FailureKind>("failure", Required<string>("failure")),
                        FailureMessage = Optional<string>("failureMessage"),
                        StdoutBytes = Optional<byte[]>("stdout") ?? [],
                        StderrBytes = Optional<byte[]>("stderr") ?? [],
                        StdoutTruncated = Optional<bool?>("stdoutTruncated") ?? false,
                        StderrTruncated = Optional<bool?>("stderrTruncated") ?? false,
                        StartTime = Optional<DateTimeOffset?>("startTime") ?? default,
                        EndTime = Optional<DateTimeOffset?>("endTime") ?? default,
                        ProcessId = OptionalInRange("processId", 1, int.MaxValue),
                        Host = Optional<string>("host") ?? string.Empty,
                        Worker = Optional<string>("worker") ?? string.Empty,
                        Backend = Backend.Remote,
                        Attempt = Required<int>("attempt"),
                    });
                case "cancel":
                    return new Cancel(Required<long>("taskId"));
                case "heartbeat":
                    return new Heartbeat(Required<long>("sequence"), Optional<int?>("running") ?? 0, Optional<int?>("queued") ?? 0, Optional<double?>("load") ?? -1, Optional<long?>("echo") ?? -1);
                case "status":
                    return new WorkerStatus(Required<string>("state"), Required<int>("slots"), Required<int>("running"), Required<long>("completed"), Required<long>("failed"), TimeSpan.FromMilliseconds(Required<long>("uptimeMs")));
                case "error":
                    return new ErrorMessage(Required<string>("code"), Optional<string>("text") ?? string.Empty, Optional<bool?>("fatal") ?? true);
                case "goodbye":
                    return new Goodbye(Optional<string>("reason") ?? string.Empty);
                default:
                    throw new InvalidOperationException($"'{type}' is in KnownTypes but has no builder.");
            }
        }

        private T Required<T>(string key) => _values.TryGetValue(key, out object? value) && value is not null
            ? Convert<T>(key, value)
            : throw new ProtocolException(BadMessage, $"The {type} message lacks its '{key}' field.");

        private T? Optional<T>(string key) => _values.TryGetValue(key, out object? value) && value is not null ? Convert<T>(key, value) : default;

        /// <summary>An integer field that must lie within [<paramref name="min"/>, <paramref name="max"/>] when present.</summary>
        private int? OptionalInRange(string key, long min, long max) => Optional<long?>(key) is { } value
            ? value >= min && value <= max ? (int)value : throw new ProtocolException(BadMessage, $"The '{key}' field of a {type} message is {value}, outside {min}–{max}.")
            : null;

        // Integers travel as 64 bits; an int field that does not fit is the peer's error, not an overflow here.
        private T Convert<T>(string key, object value) => typeof(T) == typeof(int) || typeof(T) == typeof(int?)
            ? (T)(object)(int)OptionalInRange(key, int.MinValue, int.MaxValue)!
            : (T)value;

        private TEnum ParseEnum<TEnum>(string key, string text)
            where TEnum : struct, Enum =>
            Enum.TryParse(text, ignoreCase: false, out TEnum value) && Enum.IsDefined(value)
                ? value
                : throw new ProtocolException(BadMessage, $"'{text}' is not a valid {key} in a {type} message.");

        private object? ReadValue(ref MessagePackReader reader, FieldKind kind, string key)
        {
            if (reader.TryReadNil())
            {
                return null;
            }

            try
            {
                return kind switch
                {
                    FieldKind.Integer => reader.ReadInt64(),
                    FieldKind.Float => reader.ReadDouble(),
                    FieldKind.Boolean => reader.ReadBoolean(),
                    FieldKind.String => reader.ReadString(),
                    FieldKind.Binary => reader.ReadBinary().ToArray(),
                    FieldKind.Time => reader.ReadDateTimeOffset(),
                    FieldKind.StringList => ReadStringList(ref reader),
                    FieldKind.StringMap => ReadStringMap(ref reader),
                    _ => ReadEnvironment(ref reader),
                };
            }
            catch (MessagePackFormatException e) when (e.Error is MessagePackError.UnexpectedType or MessagePackError.Overflow)
            {
                throw new ProtocolException(BadMessage, $"The '{key}' field of a {type} message is not a valid {kind}: {e.Message}", e);
            }
        }

        private static List<string> ReadStringList(ref MessagePackReader reader)
        {
            int count = reader.ReadArrayHeader();
            var list = new List<string>(count);
            for (int i = 0; i < count; i++)
            {
                list.Add(reader.PeekType() == MessagePackType.Binary
                    ? ArgumentBytes.Decode(reader.ReadBinary())
                    : reader.ReadString() ?? throw new ProtocolException(BadMessage, $"Element {i} of a string list is nil."));
            }

            return list;
        }

        private static Dictionary<string, string> ReadStringMap(ref MessagePackReader reader)
        {
            int count = reader.ReadMapHeader();
            var map = new Dictionary<string, string>(count, StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                string key = reader.ReadString() ?? throw new ProtocolException(BadMessage, "A map key is nil.");
                map[key] = reader.ReadString() ?? string.Empty;
            }

            return map;
        }

        private static Dictionary<string, string?> ReadEnvironment(ref MessagePackReader reader)
        {
            int count = reader.ReadMapHeader();
            var map = new Dictionary<string, string?>(count, StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                string key = reader.ReadString() ?? throw new ProtocolException(BadMessage, "An environment variable name is nil.");
                map[key] = reader.ReadString();
            }

            return map;
        }
    }

    private enum FieldKind
    {
        Integer,
        Float,
        Boolean,
        String,
        Binary,
        Time,
        StringList,
        StringMap,
        Environment,
    }

    private static readonly HashSet<string> KnownTypes = ["hello", "submit", "result", "cancel", "heartbeat", "status", "error", "goodbye"];

    /// <summary>Every field of every message, by message type and key.</summary>
    private static readonly Dictionary<(string Type, string Key), FieldKind> Schema = new()
    {
        [("hello", "protocolVersion")] = FieldKind.Integer,
        [("hello", "softwareVersion")] = FieldKind.String,
        [("hello", "name")] = FieldKind.String,
        [("hello", "id")] = FieldKind.String,
        [("hello", "slots")] = FieldKind.Integer,
        [("hello", "backends")] = FieldKind.StringList,
        [("hello", "maxFrameLength")] = FieldKind.Integer,
        [("hello", "hostFacts")] = FieldKind.StringMap,
        [("submit", "taskId")] = FieldKind.Integer,
        [("submit", "attempt")] = FieldKind.Integer,
        [("submit", "executable")] = FieldKind.String,
        [("submit", "arguments")] = FieldKind.StringList,
        [("submit", "environment")] = FieldKind.Environment,
        [("submit", "workingDirectory")] = FieldKind.String,
        [("submit", "standardInput")] = FieldKind.Binary,
        [("submit", "priority")] = FieldKind.String,
        [("submit", "timeoutMs")] = FieldKind.Integer,
        [("submit", "name")] = FieldKind.String,
        [("submit", "backend")] = FieldKind.String,
        [("result", "taskId")] = FieldKind.Integer,
        [("result", "attempt")] = FieldKind.Integer,
        [("result", "name")] = FieldKind.String,
        [("result", "exitCode")] = FieldKind.Integer,
        [("result", "signal")] = FieldKind.Integer,
        [("result", "failure")] = FieldKind.String,
        [("result", "failureMessage")] = FieldKind.String,
        [("result", "stdout")] = FieldKind.Binary,
        [("result", "stderr")] = FieldKind.Binary,
        [("result", "stdoutTruncated")] = FieldKind.Boolean,
        [("result", "stderrTruncated")] = FieldKind.Boolean,
        [("result", "startTime")] = FieldKind.Time,
        [("result", "endTime")] = FieldKind.Time,
        [("result", "processId")] = FieldKind.Integer,
        [("result", "host")] = FieldKind.String,
        [("result", "worker")] = FieldKind.String,
        [("cancel", "taskId")] = FieldKind.Integer,
        [("heartbeat", "sequence")] = FieldKind.Integer,
        [("heartbeat", "running")] = FieldKind.Integer,
        [("heartbeat", "queued")] = FieldKind.Integer,
        [("heartbeat", "load")] = FieldKind.Float,
        [("heartbeat", "echo")] = FieldKind.Integer,
        [("status", "state")] = FieldKind.String,
        [("status", "slots")] = FieldKind.Integer,
        [("status", "running")] = FieldKind.Integer,
        [("status", "completed")] = FieldKind.Integer,
        [("status", "failed")] = FieldKind.Integer,
        [("status", "uptimeMs")] = FieldKind.Integer,
        [("error", "code")] = FieldKind.String,
        [("error", "text")] = FieldKind.String,
        [("error", "fatal")] = FieldKind.Boolean,
        [("goodbye", "reason")] = FieldKind.String,
    };
}
