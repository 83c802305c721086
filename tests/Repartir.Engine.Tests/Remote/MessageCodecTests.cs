using System.Buffers;
using Repartir.Remote.Wire;
using Repartir.Tasks;
using Repartir.Testing;

namespace Repartir.Tests.Remote;

public sealed class MessageCodecTests
{
    private static byte[] Encode(Message message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        MessageCodec.Write(ref writer, message);
        return buffer.WrittenSpan.ToArray();
    }

    private static T RoundTrip<T>(T message)
        where T : Message => Assert.IsType<T>(MessageCodec.Read(Encode(message)));

    [Fact]
    public void Hello_round_trips()
    {
        var hello = new Hello(MessageCodec.ProtocolVersion, "0.1.0", "node-a", "id-1", 16, ["Cpu"], 4 << 20, new Dictionary<string, string> { ["os"] = "linux", ["cores"] = "16" });
        Hello back = RoundTrip(hello);

        Assert.Equal(hello.ProtocolVersion, back.ProtocolVersion);
        Assert.Equal("node-a", back.Name);
        Assert.Equal(16, back.Slots);
        Assert.Equal(["Cpu"], back.Backends);
        Assert.Equal(4 << 20, back.MaxFrameLength);
        Assert.Equal("16", back.HostFacts["cores"]);
    }

    [Fact]
    public void Submit_carries_every_field_of_the_spec_and_nil_stdin_stays_dev_null()
    {
        var spec = new TaskSpec("sh", "-c", "echo $X", "")
        {
            Environment = new Dictionary<string, string?> { ["X"] = "1", ["DROP"] = null },
            WorkingDirectory = "/tmp",
            StandardInput = new byte[] { 0, 1, 255 },
            Priority = TaskPriority.High,
            Timeout = TimeSpan.FromMilliseconds(1500),
            Name = "job",
        };
        Submit back = RoundTrip(new Submit(77, 2, spec));

        Assert.Equal(77, back.TaskId);
        Assert.Equal(2, back.Attempt);
        Assert.Equal("sh", back.Spec.Executable);
        Assert.Equal(["-c", "echo $X", ""], back.Spec.Arguments);
        Assert.Equal("1", back.Spec.Environment["X"]);
        Assert.True(back.Spec.Environment.ContainsKey("DROP"));
        Assert.Null(back.Spec.Environment["DROP"]);
        Assert.Equal("/tmp", back.Spec.WorkingDirectory);
        Assert.Equal(new byte[] { 0, 1, 255 }, back.Spec.StandardInput!.Value.ToArray());
        Assert.Equal(TaskPriority.High, back.Spec.Priority);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), back.Spec.Timeout);
        Assert.Equal("job", back.Spec.Name);

        Assert.Null(RoundTrip(new Submit(1, 1, new TaskSpec("true"))).Spec.StandardInput);
    }

    [Fact]
    public void An_argument_that_is_not_UTF8_crosses_as_its_bytes_and_text_stays_a_string()
    {
        string raw = ArgumentBytes.Decode([0x63, 0x61, 0x66, 0xE9]); // "café" in Latin-1

        Submit back = RoundTrip(new Submit(1, 1, new TaskSpec("printf", "%s", raw, "plain")));

        Assert.Equal(new byte[] { 0x63, 0x61, 0x66, 0xE9 }, ArgumentBytes.GetBytes(back.Spec.Arguments[1]));
        Assert.Equal("plain", back.Spec.Arguments[2]);
        byte[] frame = Encode(new Submit(1, 1, new TaskSpec("printf", "plain")));
        Assert.True(frame.AsSpan().IndexOf((byte[])[0xA5, .. "plain"u8]) >= 0); // valid text is still a MessagePack str, as before
    }

    [Fact]
    public void Result_carries_the_outcome()
    {
        DateTimeOffset start = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
        var outcome = new TaskResult
        {
            Id = new TaskId(5),
            Name = "job",
            Spec = new TaskSpec("x"),
            Signal = 9,
            Failure = FailureKind.TimedOut,
            FailureMessage = "Timed out",
            StdoutBytes = [0xff, 0x00],
            StderrBytes = "err"u8.ToArray(),
            StdoutTruncated = true,
            StartTime = start,
            EndTime = start.AddMilliseconds(1234.5),
            ProcessId = 4321,
            Host = "node-a",
            Worker = "cpu-3",
            Attempt = 2,
        };
        Result back = RoundTrip(new Result(5, 2, outcome));

        Assert.Equal(5, back.Outcome.Id.Value);
        Assert.Null(back.Outcome.ExitCode);
        Assert.Equal(9, back.Outcome.Signal);
        Assert.Equal(FailureKind.TimedOut, back.Outcome.Failure);
        Assert.Equal(new byte[] { 0xff, 0x00 }, back.Outcome.StdoutBytes);
        Assert.Equal("err", back.Outcome.Stderr);
        Assert.True(back.Outcome.StdoutTruncated);
        Assert.Equal(outcome.EndTime, back.Outcome.EndTime);
        Assert.Equal(4321, back.Outcome.ProcessId);
        Assert.Equal("cpu-3", back.Outcome.Worker);
        Assert.Equal(Backend.Remote, back.Outcome.Backend);
    }

    [Fact]
    public void The_small_messages_round_trip()
    {
        Assert.Equal(9, RoundTrip(new Cancel(9)).TaskId);
        Assert.Equal(new Heartbeat(3, 2, 1, 0.5, 2), RoundTrip(new Heartbeat(3, 2, 1, 0.5, 2)));
        Assert.Equal(new WorkerStatus("Serving", 4, 1, 10, 2, TimeSpan.FromSeconds(90)), RoundTrip(new WorkerStatus("Serving", 4, 1, 10, 2, TimeSpan.FromSeconds(90))));
        Assert.Equal(new ErrorMessage("VersionMismatch", "v1 vs v2", true), RoundTrip(new ErrorMessage("VersionMismatch", "v1 vs v2", true)));
        Assert.Equal(new Goodbye("draining"), RoundTrip(new Goodbye("draining")));
    }

    [Fact]
    public void A_hello_says_its_role_and_one_without_a_role_is_a_coordinators()
    {
        var monitor = new Hello(MessageCodec.ProtocolVersion, "0.1.0", "top", "m", 0, [], 1 << 20, new Dictionary<string, string>(), Hello.MonitorRole);
        Assert.True(RoundTrip(monitor).IsMonitor);

        // An older peer's hello has no role key at all.
        byte[] frame = MessagePackTree.Encode(new Map
        {
            new("type", "hello"), new("protocolVersion", (long)MessageCodec.ProtocolVersion), new("softwareVersion", "0.0.9"), new("name", "old"),
            new("id", "o"), new("slots", 0L), new("maxFrameLength", 4096L),
        });
        Hello old = Assert.IsType<Hello>(MessageCodec.Read(frame));
        Assert.Equal(Hello.CoordinatorRole, old.Role);
        Assert.False(old.IsMonitor);
    }

    [Fact]
    public void A_status_carries_the_workers_figures_and_its_longest_running_tasks()
    {
        var status = new WorkerStatus("Serving", 8, 3, 120, 4, TimeSpan.FromMinutes(5), Waiting: 2, Load: 1.25, Coordinators: 2, Throughput: 3.5,
            LongestRunning: [new RunningTaskStatus(41, 2, "sleep 60", "host/run", TimeSpan.FromMilliseconds(61_250)), new RunningTaskStatus(7, 1, "échelle ☃", "other", TimeSpan.Zero)]);
        WorkerStatus back = RoundTrip(status);

        Assert.Equal(status with { LongestRunning = null }, back with { LongestRunning = null });
        Assert.Equal(status.LongestRunning, back.LongestRunning);

        // An older worker's status has none of the figures after the uptime: they read as unknown, not as errors.
        byte[] frame = MessagePackTree.Encode(new Map
        {
            new("type", "status"), new("state", "Draining"), new("slots", 4L), new("running", 1L), new("completed", 9L), new("failed", 0L), new("uptimeMs", 1000L),
        });
        WorkerStatus old = Assert.IsType<WorkerStatus>(MessageCodec.Read(frame));
        Assert.Equal(new WorkerStatus("Draining", 4, 1, 9, 0, TimeSpan.FromSeconds(1)), old);
        Assert.Equal(-1, old.Load);
        Assert.Null(old.LongestRunning);
    }

    [Fact]
    public void A_running_task_with_too_few_fields_is_named()
    {
        byte[] frame = MessagePackTree.Encode(new Map
        {
            new("type", "status"), new("state", "Serving"), new("slots", 4L), new("running", 1L), new("completed", 9L), new("failed", 0L), new("uptimeMs", 1000L),
            new("longestRunning", new List<object?> { new List<object?> { 1L, 1L, "x" } }),
        });
        ProtocolException e = Assert.Throws<ProtocolException>(() => MessageCodec.Read(frame));
        Assert.Equal(MessageCodec.BadMessage, e.Code);
        Assert.Contains("Running task 0 of a status has 3 fields, not 5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_keys_are_ignored_and_the_type_may_stand_anywhere()
    {
        byte[] frame = MessagePackTree.Encode(new Map
        {
            new("futureField", new List<object?> { 1L, new Map { new("deep", "x") } }),
            new("taskId", 12L),
            new("type", "cancel"),
            new(7L, "a non-string key"),
        });

        Assert.Equal(new Cancel(12), MessageCodec.Read(frame));
    }

    [Theory]
    [InlineData("teleport", MessageCodec.UnknownMessage)]
    [InlineData("cancel", MessageCodec.BadMessage)]
    public void Unknown_types_and_missing_fields_are_named(string type, string code)
    {
        byte[] frame = MessagePackTree.Encode(new Map { new("type", type) });

        ProtocolException error = Assert.Throws<ProtocolException>(() => MessageCodec.Read(frame));
        Assert.Equal(code, error.Code);
        Assert.Contains(type == "cancel" ? "'taskId'" : "'teleport'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_frames_are_BadMessage()
    {
        Assert.Equal(MessageCodec.BadMessage, Assert.Throws<ProtocolException>(() => MessageCodec.Read([0x01])).Code);
        Assert.Equal(MessageCodec.BadMessage, Assert.Throws<ProtocolException>(() => MessageCodec.Read([0x81, 0xa4, (byte)'t', (byte)'y'])).Code);
        Assert.Equal(MessageCodec.BadMessage, Assert.Throws<ProtocolException>(() => MessageCodec.Read(MessagePackTree.Encode(new Map { new("type", "cancel"), new("taskId", "twelve") }))).Code);
        Assert.Equal(MessageCodec.BadMessage, Assert.Throws<ProtocolException>(() => MessageCodec.Read(MessagePackTree.Encode(new Map { new("type", "submit"), new("taskId", 1L), new("attempt", 1L << 40), new("executable", "x") }))).Code);
        Assert.Equal(MessageCodec.BadMessage, Assert.Throws<ProtocolException>(() => MessageCodec.Read([.. Encode(new Cancel(1)), 0xc0])).Code);
        Assert.Equal(MessageCodec.BadMessage, Assert.Throws<ProtocolException>(() => MessageCodec.Read(MessagePackTree.Encode(new Map { new("type", "result"), new("taskId", 1L), new("attempt", 1L), new("failure", "Exploded") }))).Code);
    }

    [Fact]
    public async Task Random_and_mutated_frames_are_refused_cleanly_by_the_decoder_and_a_live_worker()
    {
        // The short CI run of the fuzz harness; bench/ runs it a million times (docs/benchmarks.md).
        FrameFuzzer.Report report = await FrameFuzzer.RunAsync(cases: 4000, seed: 17, parallelism: 2);

        Assert.True(report.Failures.Count == 0, string.Join('\n', report.Failures));
        Assert.Equal(report.Cases, report.Decoded + report.Refused);
        Assert.Equal(report.LiveCases, report.ErrorFrames + report.Answered + report.ClosedQuietly);
        Assert.True(report.Refused > report.Cases / 2, $"most mutations should be refused, {report.Refused} of {report.Cases} were");
        Assert.True(report.ErrorFrames > 0 && report.Answered > 0 && report.ClosedQuietly > 0, report.ToString());
        Assert.True(report.HealthChecks >= 1);
    }

    [Theory]
    [InlineData("exitCode", 1L << 40)] // once read as exit code 0: a success that never happened
    [InlineData("exitCode", 256L)]
    [InlineData("exitCode", -1L)]
    [InlineData("signal", 0L)]
    [InlineData("signal", 65L)]
    [InlineData("processId", 0L)]
    [InlineData("processId", 1L << 33)]
    public void A_result_with_a_value_outside_the_platforms_range_is_refused(string field, long value)
    {
        var map = new Map { new("type", "result"), new("taskId", 7L), new("attempt", 1L), new("failure", "None"), new(field, value) };

        ProtocolException error = Assert.Throws<ProtocolException>(() => MessageCodec.Read(MessagePackTree.Encode(map)));

        Assert.Equal(MessageCodec.BadMessage, error.Code);
        Assert.Contains($"'{field}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exit_codes_at_the_edges_of_the_range_are_read()
    {
        Assert.Equal(255, ((Result)MessageCodec.Read(MessagePackTree.Encode(new Map { new("type", "result"), new("taskId", 7L), new("attempt", 1L), new("failure", "None"), new("exitCode", 255L) }))).Outcome.ExitCode);
        Assert.Equal(0, ((Result)MessageCodec.Read(MessagePackTree.Encode(new Map { new("type", "result"), new("taskId", 7L), new("attempt", 1L), new("failure", "None"), new("exitCode", 0L) }))).Outcome.ExitCode);
    }
}
