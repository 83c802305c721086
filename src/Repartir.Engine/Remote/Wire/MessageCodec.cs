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

    /// <summary>Writes <paramref name="message"/> as one MessagePack map: its <c>type</c>, then its fields in schema order.</summary>
    public static void Write(ref MessagePackWriter writer, Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        (Schemas.TryGetValue(message.GetType(), out IMessageSchema? schema) ? schema : throw new ArgumentException($"{message.GetType().Name} has no wire form.", nameof(message)))
            .Write(ref writer, message);
    }

    /// <summary>Reads one message from a frame's bytes.</summary>
    /// <exception cref="ProtocolException">The frame is not a message this build can read (the code says why).</exception>
    public static Message Read(ReadOnlySpan<byte> frame, MessagePackReaderOptions? options = null)
    {
        try
        {
            var reader = new MessagePackReader(frame, options);
            string type = FindType(reader);
            if (!SchemasByType.TryGetValue(type, out IMessageSchema? schema))
            {
                throw new ProtocolException(UnknownMessage, $"'{type}' is not a message type this build knows (protocol version {ProtocolVersion}).");
            }

            var fields = new FieldValues(schema);
            int count = reader.ReadMapHeader();
            for (int i = 0; i < count; i++)
            {
                fields.Read(ref reader);
            }

            if (!reader.End)
            {
                throw new ProtocolException(BadMessage, $"{frame.Length - reader.Position} bytes follow the {type} message in its frame.");
            }

            return schema.Build(fields);
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

    /// <summary>The fields of one message as they are read, in any order, checked against its schema; unknown keys are skipped.</summary>
    private sealed class FieldValues(IMessageSchema schema)
    {
        private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);
        private readonly string type = schema.Type;

        public void Read(ref MessagePackReader reader)
        {
            if (reader.PeekType() != MessagePackType.String)
            {
                reader.Skip(); // a non-string key is nobody's field
                reader.Skip();
                return;
            }

            string key = Encoding.UTF8.GetString(reader.ReadStringBytes());
            if (!schema.TryGetKind(key, out FieldKind kind))
            {
                reader.Skip(); // "type" itself, or a field from a newer peer
                return;
            }

            _values[key] = ReadValue(ref reader, kind, key);
        }

        public T Required<T>(IField field) => Required<T>(field.Key);

        public T? Optional<T>(IField field) => Optional<T>(field.Key);

        public int? OptionalInRange(IField field, long min, long max) => OptionalInRange(field.Key, min, max);

        public TEnum ParseEnum<TEnum>(IField field, string text)
            where TEnum : struct, Enum => ParseEnum<TEnum>(field.Key, text);

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
                    FieldKind.RunningTaskList => ReadRunningTasks(ref reader),
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

        /// <summary>Each task is an array: task id, attempt, name, coordinator, elapsed milliseconds.</summary>
        private static List<RunningTaskStatus> ReadRunningTasks(ref MessagePackReader reader)
        {
            int count = reader.ReadArrayHeader();
            var list = new List<RunningTaskStatus>(Math.Min(count, WorkerStatus.MaxLongestRunning));
            for (int i = 0; i < count; i++)
            {
                int fields = reader.ReadArrayHeader();
                if (fields < 5)
                {
                    throw new ProtocolException(BadMessage, $"Running task {i} of a status has {fields} fields, not 5.");
                }

                list.Add(new RunningTaskStatus(reader.ReadInt64(), (int)Math.Clamp(reader.ReadInt64(), 0, int.MaxValue), reader.ReadString() ?? string.Empty, reader.ReadString() ?? string.Empty, TimeSpan.FromMilliseconds(Math.Max(0, reader.ReadInt64()))));
                for (int extra = 5; extra < fields; extra++)
                {
                    reader.Skip(); // a field from a newer peer
                }
            }

            return list;
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


    // ---- The schema: every message type, each field's key, kind and value, written once. ----

    private static readonly IMessageSchema[] AllSchemas =
        [HelloSchema(), SubmitSchema(), ResultSchema(), CancelSchema(), HeartbeatSchema(), StatusSchema(), ErrorSchema(), GoodbyeSchema()];

    // Each message once: its fields in wire order (key, kind, value), and how a read one is built from them.

    private static MessageSchema<Hello> HelloSchema()
    {
        var protocolVersion = Integer<Hello>("protocolVersion", m => m.ProtocolVersion);
        var softwareVersion = Text<Hello>("softwareVersion", m => m.SoftwareVersion);
        var name = Text<Hello>("name", m => m.Name);
        var id = Text<Hello>("id", m => m.Id);
        var slots = Integer<Hello>("slots", m => m.Slots);
        var backends = new StringListField<Hello>("backends", m => m.Backends);
        var maxFrameLength = Integer<Hello>("maxFrameLength", m => m.MaxFrameLength);
        var hostFacts = new StringMapField<Hello>("hostFacts", m => m.HostFacts);
        var role = Text<Hello>("role", m => m.Role);
        return new(
            "hello",
            v => new Hello(
                v.Required<int>(protocolVersion),
                v.Required<string>(softwareVersion),
                v.Required<string>(name),
                v.Required<string>(id),
                v.Required<int>(slots),
                v.Optional<IReadOnlyList<string>>(backends) ?? [],
                v.Required<int>(maxFrameLength),
                v.Optional<IReadOnlyDictionary<string, string>>(hostFacts) ?? new Dictionary<string, string>(),
                v.Optional<string>(role) ?? Hello.CoordinatorRole),
            protocolVersion, softwareVersion, name, id, slots, backends, maxFrameLength, hostFacts, role);
    }

    private static MessageSchema<Submit> SubmitSchema()
    {
        var taskId = Integer<Submit>("taskId", m => m.TaskId);
        var attempt = Integer<Submit>("attempt", m => m.Attempt);
        var executable = Text<Submit>("executable", m => m.Spec.Executable);
        var arguments = new StringListField<Submit>("arguments", m => m.Spec.Arguments);
        var environment = new EnvironmentField<Submit>("environment", m => m.Spec.Environment);
        var workingDirectory = Text<Submit>("workingDirectory", m => m.Spec.WorkingDirectory);
        var standardInput = new BinaryField<Submit>("standardInput", m => m.Spec.StandardInput);
        var priority = Text<Submit>("priority", m => m.Spec.Priority.ToString());
        var timeoutMs = Integer<Submit>("timeoutMs", m => m.Spec.Timeout is { } timeout ? (long)Math.Ceiling(timeout.TotalMilliseconds) : null);
        var name = Text<Submit>("name", m => m.Spec.Name);
        var backend = Text<Submit>("backend", m => m.Spec.Backend.ToString());
        var traceParent = Text<Submit>("traceParent", m => m.TraceParent);
        return new(
            "submit",
            v => new Submit(v.Required<long>(taskId), v.Required<int>(attempt), new TaskSpec(v.Required<string>(executable), [.. v.Optional<IReadOnlyList<string>>(arguments) ?? []])
            {
                Environment = v.Optional<IReadOnlyDictionary<string, string?>>(environment) ?? new Dictionary<string, string?>(),
                WorkingDirectory = v.Optional<string>(workingDirectory),
                // Explicit: a null byte[] would otherwise convert to an empty (non-null) stdin.
                StandardInput = v.Optional<byte[]>(standardInput) is { } input ? (ReadOnlyMemory<byte>?)input : null,
                Priority = v.Optional<string>(priority) is { } text ? v.ParseEnum<TaskPriority>(priority, text) : TaskPriority.Normal,
                Timeout = v.Optional<long?>(timeoutMs) is { } milliseconds ? TimeSpan.FromMilliseconds(milliseconds) : null,
                Name = v.Optional<string>(name),
                Backend = v.Optional<string>(backend) is { } kind ? v.ParseEnum<Backend>(backend, kind) : Backend.Cpu,
            },
            v.Optional<string>(traceParent)),
            taskId, attempt, executable, arguments, environment, workingDirectory, standardInput, priority, timeoutMs, name, backend, traceParent);
    }

    private static MessageSchema<Result> ResultSchema()
    {
        var taskId = Integer<Result>("taskId", m => m.TaskId);
        var attempt = Integer<Result>("attempt", m => m.Attempt);
        var name = Text<Result>("name", m => m.Outcome.Name);
        var exitCode = Integer<Result>("exitCode", m => m.Outcome.ExitCode);
        var signal = Integer<Result>("signal", m => m.Outcome.Signal);
        var failure = Text<Result>("failure", m => m.Outcome.Failure.ToString());
        var failureMessage = Text<Result>("failureMessage", m => m.Outcome.FailureMessage);
        var stdout = new BinaryField<Result>("stdout", m => m.Outcome.StdoutBytes);
        var stderr = new BinaryField<Result>("stderr", m => m.Outcome.StderrBytes);
        var stdoutTruncated = new BooleanField<Result>("stdoutTruncated", m => m.Outcome.StdoutTruncated);
        var stderrTruncated = new BooleanField<Result>("stderrTruncated", m => m.Outcome.StderrTruncated);
        var startTime = new TimeField<Result>("startTime", m => m.Outcome.StartTime);
        var endTime = new TimeField<Result>("endTime", m => m.Outcome.EndTime);
        var processId = Integer<Result>("processId", m => m.Outcome.ProcessId);
        var host = Text<Result>("host", m => m.Outcome.Host);
        var worker = Text<Result>("worker", m => m.Outcome.Worker);
        return new(
            "result",
            v => new Result(v.Required<long>(taskId), v.Required<int>(attempt), new TaskResult
            {
                Id = new TaskId(v.Required<long>(taskId)),
                Name = v.Optional<string>(name) ?? string.Empty,
                Spec = RemoteSpecPlaceholder,
                // Never cast: a wrapped 2^40 would read as exit code 0, a success that never happened.
                ExitCode = v.OptionalInRange(exitCode, 0, 255),
                Signal = v.OptionalInRange(signal, 1, 64),
                Failure = v.ParseEnum<FailureKind>(failure, v.Required<string>(failure)),
                FailureMessage = v.Optional<string>(failureMessage),
                StdoutBytes = v.Optional<byte[]>(stdout) ?? [],
                StderrBytes = v.Optional<byte[]>(stderr) ?? [],
                StdoutTruncated = v.Optional<bool?>(stdoutTruncated) ?? false,
                StderrTruncated = v.Optional<bool?>(stderrTruncated) ?? false,
                StartTime = v.Optional<DateTimeOffset?>(startTime) ?? default,
                EndTime = v.Optional<DateTimeOffset?>(endTime) ?? default,
                ProcessId = v.OptionalInRange(processId, 1, int.MaxValue),
                Host = v.Optional<string>(host) ?? string.Empty,
                Worker = v.Optional<string>(worker) ?? string.Empty,
                Backend = Backend.Remote,
                Attempt = v.Required<int>(attempt),
            }),
            taskId, attempt, name, exitCode, signal, failure, failureMessage, stdout, stderr, stdoutTruncated, stderrTruncated, startTime, endTime, processId, host, worker);
    }

    private static MessageSchema<Cancel> CancelSchema()
    {
        var taskId = Integer<Cancel>("taskId", m => m.TaskId);
        return new("cancel", v => new Cancel(v.Required<long>(taskId)), taskId);
    }

    private static MessageSchema<Heartbeat> HeartbeatSchema()
    {
        var sequence = Integer<Heartbeat>("sequence", m => m.Sequence);
        var running = Integer<Heartbeat>("running", m => m.Running);
        var queued = Integer<Heartbeat>("queued", m => m.Queued);
        var load = new FloatField<Heartbeat>("load", m => m.Load);
        var echo = Integer<Heartbeat>("echo", m => m.Echo);
        return new(
            "heartbeat",
            v => new Heartbeat(v.Required<long>(sequence), v.Optional<int?>(running) ?? 0, v.Optional<int?>(queued) ?? 0, v.Optional<double?>(load) ?? -1, v.Optional<long?>(echo) ?? -1),
            sequence, running, queued, load, echo);
    }

    private static MessageSchema<WorkerStatus> StatusSchema()
    {
        var state = Text<WorkerStatus>("state", m => m.State);
        var slots = Integer<WorkerStatus>("slots", m => m.Slots);
        var running = Integer<WorkerStatus>("running", m => m.Running);
        var completed = Integer<WorkerStatus>("completed", m => m.Completed);
        var failed = Integer<WorkerStatus>("failed", m => m.Failed);
        var uptimeMs = Integer<WorkerStatus>("uptimeMs", m => (long)m.Uptime.TotalMilliseconds);
        var waiting = Integer<WorkerStatus>("waiting", m => m.Waiting);
        var load = new FloatField<WorkerStatus>("load", m => m.Load);
        var coordinators = Integer<WorkerStatus>("coordinators", m => m.Coordinators);
        var throughput = new FloatField<WorkerStatus>("throughput", m => m.Throughput);
        var longestRunning = new RunningTaskListField<WorkerStatus>("longestRunning", m => m.LongestRunning);
        return new(
            "status",
            v => new WorkerStatus(
                v.Required<string>(state),
                v.Required<int>(slots),
                v.Required<int>(running),
                v.Required<long>(completed),
                v.Required<long>(failed),
                TimeSpan.FromMilliseconds(v.Required<long>(uptimeMs)),
                v.Optional<int?>(waiting) ?? 0,
                v.Optional<double?>(load) ?? -1,
                v.Optional<int?>(coordinators) ?? 0,
                v.Optional<double?>(throughput) ?? 0,
                v.Optional<IReadOnlyList<RunningTaskStatus>>(longestRunning)),
            state, slots, running, completed, failed, uptimeMs, waiting, load, coordinators, throughput, longestRunning);
    }

    private static MessageSchema<ErrorMessage> ErrorSchema()
    {
        var code = Text<ErrorMessage>("code", m => m.Code);
        var text = Text<ErrorMessage>("text", m => m.Text);
        var fatal = new BooleanField<ErrorMessage>("fatal", m => m.Fatal);
        return new("error", v => new ErrorMessage(v.Required<string>(code), v.Optional<string>(text) ?? string.Empty, v.Optional<bool?>(fatal) ?? true), code, text, fatal);
    }

    private static MessageSchema<Goodbye> GoodbyeSchema()
    {
        var reason = Text<Goodbye>("reason", m => m.Reason);
        return new("goodbye", v => new Goodbye(v.Optional<string>(reason) ?? string.Empty), reason);
    }

    private static readonly Dictionary<Type, IMessageSchema> Schemas = AllSchemas.ToDictionary(s => s.MessageType);

    private static readonly Dictionary<string, IMessageSchema> SchemasByType = AllSchemas.ToDictionary(s => s.Type, StringComparer.Ordinal);

    private static IntegerField<T> Integer<T>(string key, Func<T, long?> value) => new(key, value);

    private static TextField<T> Text<T>(string key, Func<T, string?> value) => new(key, value);

    /// <summary>How a field's value travels; the reader checks what arrives against it.</summary>
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
        RunningTaskList,
    }

    /// <summary>A message type on the wire: its name, its fields in order, and how a read one is built.</summary>
    private interface IMessageSchema
    {
        Type MessageType { get; }

        string Type { get; }

        void Write(ref MessagePackWriter writer, Message message);

        bool TryGetKind(string key, out FieldKind kind);

        Message Build(FieldValues values);
    }

    private sealed class MessageSchema<T>(string type, Func<FieldValues, T> build, params Field<T>[] fields) : IMessageSchema
        where T : Message
    {
        private readonly Dictionary<string, FieldKind> _kinds = fields.ToDictionary(f => f.Key, f => f.Kind, StringComparer.Ordinal);

        public Type MessageType => typeof(T);

        public string Type => type;

        public void Write(ref MessagePackWriter writer, Message message)
        {
            var typed = (T)message;
            writer.WriteMapHeader(fields.Length + 1);
            writer.Write("type");
            writer.Write(type);
            foreach (Field<T> field in fields)
            {
                writer.Write(field.Key);
                field.WriteValue(ref writer, typed);
            }
        }

        public bool TryGetKind(string key, out FieldKind kind) => _kinds.TryGetValue(key, out kind);

        public Message Build(FieldValues values) => build(values);
    }

    /// <summary>A field as the reader knows it: its key.</summary>
    private interface IField
    {
        string Key { get; }
    }

    /// <summary>One field of a message: its key, its kind, and how its value is written (typed: no boxing on the send path).</summary>
    private abstract class Field<T>(string key, FieldKind kind) : IField
    {
        public string Key => key;

        public FieldKind Kind => kind;

        public abstract void WriteValue(ref MessagePackWriter writer, T message);
    }

    private sealed class IntegerField<T>(string key, Func<T, long?> value) : Field<T>(key, FieldKind.Integer)
    {
        public override void WriteValue(ref MessagePackWriter writer, T message)
        {
            if (value(message) is { } present)
            {
                writer.Write(present);
            }
            else
            {
                writer.WriteNil();
            }
        }
    }

    private sealed class TextField<T>(string key, Func<T, string?> value) : Field<T>(key, FieldKind.String)
    {
        public override void WriteValue(ref MessagePackWriter writer, T message) => writer.Write(value(message));
    }

    private sealed class BooleanField<T>(string key, Func<T, bool> value) : Field<T>(key, FieldKind.Boolean)
    {
        public override void WriteValue(ref MessagePackWriter writer, T message) => writer.Write(value(message));
    }

    private sealed class FloatField<T>(string key, Func<T, double> value) : Field<T>(key, FieldKind.Float)
    {
        public override void WriteValue(ref MessagePackWriter writer, T message) => writer.Write(value(message));
    }

    private sealed class TimeField<T>(string key, Func<T, DateTimeOffset> value) : Field<T>(key, FieldKind.Time)
    {
        public override void WriteValue(ref MessagePackWriter writer, T message) => writer.Write(value(message));
    }

    private sealed class BinaryField<T>(string key, Func<T, ReadOnlyMemory<byte>?> value) : Field<T>(key, FieldKind.Binary)
    {
        public override void WriteValue(ref MessagePackWriter writer, T message)
        {
            if (value(message) is { } bytes)
            {
                writer.Write(bytes.Span);
            }
            else
            {
                writer.WriteNil();
            }
        }
    }

    private sealed class StringListField<T>(string key, Func<T, IReadOnlyList<string>> value) : Field<T>(key, FieldKind.StringList)
    {
        public override void WriteValue(ref MessagePackWriter writer, T message)
        {
            IReadOnlyList<string> values = value(message);
            writer.WriteArrayHeader(values.Count);
            foreach (string text in values)
            {
                if (ArgumentBytes.HasEscapedBytes(text))
                {
                    writer.Write(ArgumentBytes.GetBytes(text)); // bytes that are not UTF-8 (an argument read from raw input): bin, as they are
                }
                else
                {
                    writer.Write(text);
                }
            }
        }
    }

    private sealed class StringMapField<T>(string key, Func<T, IReadOnlyDictionary<string, string>> value) : Field<T>(key, FieldKind.StringMap)
    {
        public override void WriteValue(ref MessagePackWriter writer, T message)
        {
            IReadOnlyDictionary<string, string> map = value(message);
            writer.WriteMapHeader(map.Count);
            foreach (KeyValuePair<string, string> pair in map)
            {
                writer.Write(pair.Key);
                writer.Write(pair.Value);
            }
        }
    }

    private sealed class RunningTaskListField<T>(string key, Func<T, IReadOnlyList<RunningTaskStatus>?> value) : Field<T>(key, FieldKind.RunningTaskList)
    {
        public override void WriteValue(ref MessagePackWriter writer, T message)
        {
            if (value(message) is not { } tasks)
            {
                writer.WriteNil();
                return;
            }

            writer.WriteArrayHeader(tasks.Count);
            foreach (RunningTaskStatus task in tasks)
            {
                writer.WriteArrayHeader(5);
                writer.Write(task.TaskId);
                writer.Write(task.Attempt);
                writer.Write(task.Name);
                writer.Write(task.Coordinator);
                writer.Write((long)task.Elapsed.TotalMilliseconds);
            }
        }
    }

    private sealed class EnvironmentField<T>(string key, Func<T, IReadOnlyDictionary<string, string?>> value) : Field<T>(key, FieldKind.Environment)
    {
        public override void WriteValue(ref MessagePackWriter writer, T message)
        {
            IReadOnlyDictionary<string, string?> map = value(message);
            writer.WriteMapHeader(map.Count);
            foreach (KeyValuePair<string, string?> pair in map)
            {
                writer.Write(pair.Key);
                writer.Write(pair.Value);
            }
        }
    }
}
