using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Repartir.Remote;
using Repartir.Remote.Wire;
using Repartir.Tasks;
using Repartir.Testing;

namespace Repartir.Tests.Remote;

/// <summary>A worker no client can take over or take down: its policy, its limits, and fair turns between clients.</summary>
public sealed class WorkerHardeningTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly MemoryLogger _log = new();

    public void Dispose() => _directory.Dispose();

    private WorkerServer Start(int slots = 2, TaskPolicy? policy = null, WorkerLimits? limits = null, TimeProvider? time = null)
    {
        var worker = new WorkerServer(
            new WorkerOptions
            {
                Bind = new IPEndPoint(IPAddress.Loopback, 0),
                Name = "hardened",
                Slots = slots,
                HeartbeatInterval = TimeSpan.FromSeconds(30), // quiet: the tests read only what they ask for
                Process = TestPools.FastKill,
                Policy = policy ?? new TaskPolicy(),
                Limits = limits ?? new WorkerLimits(),
            },
            _log,
            time);
        worker.Start();
        return worker;
    }

    private static async Task<(TcpClient Client, Connection Connection)> ConnectAsync(WorkerServer worker)
    {
        var client = new TcpClient();
        await client.ConnectAsync(worker.LocalEndPoint);
        var connection = new Connection(client.GetStream());
        await connection.HandshakeAsync(new Hello(MessageCodec.ProtocolVersion, "0.1.0", "test", "t", 0, [], 64 << 20, new Dictionary<string, string>())).WaitAsync(TimeSpan.FromSeconds(30));
        return (client, connection);
    }

    private static async Task<Result> ResultAsync(Connection connection)
    {
        while (true)
        {
            Message? message = await connection.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            if (message is Result result)
            {
                return result;
            }

            Assert.True(message is Heartbeat or WorkerStatus, $"unexpected {message}");
        }
    }

    /// <summary>
    /// Sends harmless messages (a Cancel for no task) until the worker leaves the connection unread: any message makes it
    /// look at its limits before it reads the next one.
    /// </summary>
    private static async Task ProbeUntilThrottledAsync(WorkerServer worker, Connection connection, string failure)
    {
        for (int probes = 0; worker.ThrottledConnections == 0; probes++)
        {
            Assert.True(probes < 3000, failure);
            await connection.SendAsync(new Cancel(999));
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Programs_outside_the_allow_list_are_rejected_naming_the_rule_and_never_run()
    {
        string marker = _directory.File("ran");
        string decoy = _directory.File("echo");
        await File.WriteAllTextAsync(decoy, $"#!/bin/sh\ntouch {marker}\n");
        File.SetUnixFileMode(decoy, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        string echo = Repartir.Execution.ExecutableResolver.Resolve("echo", Environment.GetEnvironmentVariable("PATH")).FullPath!;
        await using WorkerServer worker = Start(policy: new TaskPolicy { AllowedExecutables = [echo] });
        var (client, connection) = await ConnectAsync(worker);
        using (client)
        await using (connection)
        {
            await connection.SendAsync(new Submit(1, 1, new TaskSpec("echo", "allowed")));
            Result allowed = await ResultAsync(connection);
            await connection.SendAsync(new Submit(2, 1, new TaskSpec("touch", marker)));
            Result outside = await ResultAsync(connection);
            await connection.SendAsync(new Submit(3, 1, new TaskSpec("echo", "x") { Environment = new Dictionary<string, string?> { ["PATH"] = _directory.Path } }));
            Result hijacked = await ResultAsync(connection);

            Assert.Equal("allowed\n", allowed.Outcome.Stdout);
            Assert.Equal(FailureKind.Rejected, outside.Outcome.Failure);
            Assert.Contains("outside the worker's --allow rules (" + echo, outside.Outcome.FailureMessage, StringComparison.Ordinal);
            Assert.Equal(FailureKind.Rejected, hijacked.Outcome.Failure); // a PATH of the client's choosing resolves to its decoy, which is not allowed
            Assert.Contains(decoy, hijacked.Outcome.FailureMessage, StringComparison.Ordinal);
            Assert.False(File.Exists(marker));
            Assert.Contains("Refused task", _log.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Loader_variables_are_refused_unless_the_worker_lifts_them()
    {
        var preload = new Dictionary<string, string?> { ["LD_PRELOAD"] = "/nonexistent/evil.so", ["SAFE"] = "1" };
        await using WorkerServer strict = Start();
        await using WorkerServer lenient = Start(policy: new TaskPolicy { AllowedEnvironment = ["LD_PRELOAD"] });

        foreach ((WorkerServer worker, FailureKind expected) in new[] { (strict, FailureKind.Rejected), (lenient, FailureKind.None) })
        {
            var (client, connection) = await ConnectAsync(worker);
            using (client)
            await using (connection)
            {
                await connection.SendAsync(new Submit(1, 1, new TaskSpec("sh", "-c", "echo $SAFE") { Environment = preload }));
                Result result = await ResultAsync(connection);
                Assert.Equal(expected, result.Outcome.Failure);
                if (expected == FailureKind.Rejected)
                {
                    Assert.Contains("does not let a task set LD_PRELOAD (rule LD_*", result.Outcome.FailureMessage, StringComparison.Ordinal);
                    Assert.Contains("--allow-env LD_PRELOAD", result.Outcome.FailureMessage, StringComparison.Ordinal);
                }
            }
        }
    }

    [Fact]
    public void Malformed_policy_rules_and_limits_are_refused_naming_the_setting()
    {
        Assert.Equal(nameof(TaskPolicy.AllowedExecutables), Assert.Throws<InvalidSettingException>(new TaskPolicy { AllowedExecutables = ["python3"] }.Validate).ParamName);
        Assert.Equal(nameof(TaskPolicy.AllowedEnvironment), Assert.Throws<InvalidSettingException>(new TaskPolicy { AllowedEnvironment = ["A=1"] }.Validate).ParamName);
        Assert.Equal(nameof(WorkerLimits.MaxConnections), Assert.Throws<InvalidSettingException>(new WorkerLimits { MaxConnections = 0 }.Validate).ParamName);
        Assert.Equal(nameof(WorkerLimits.IdleTimeout), Assert.Throws<InvalidSettingException>(new WorkerLimits { IdleTimeout = TimeSpan.FromMilliseconds(10) }.Validate).ParamName);
    }

    [Fact]
    public async Task Connections_past_the_limit_are_closed_at_once_and_the_worker_goes_on_serving()
    {
        await using WorkerServer worker = Start(limits: new WorkerLimits { MaxConnections = 3 });
        var silent = new List<TcpClient>();
        for (int i = 0; i < 3; i++)
        {
            var held = new TcpClient();
            await held.ConnectAsync(worker.LocalEndPoint);
            silent.Add(held);
        }

        await Eventually.TrueAsync(() => worker.Connections == 3);
        using (var extra = new TcpClient())
        {
            await extra.ConnectAsync(worker.LocalEndPoint);
            int read = await extra.GetStream().ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, read); // closed without a byte
        }

        Assert.Contains("connections are open already", _log.Text, StringComparison.Ordinal);
        silent.ForEach(c => c.Dispose());
        await Eventually.TrueAsync(() => worker.Connections == 0);
        var (client, connection) = await ConnectAsync(worker);
        using (client)
        await using (connection)
        {
            await connection.SendAsync(new Submit(1, 1, new TaskSpec("echo", "still serving")));
            Assert.Equal("still serving\n", (await ResultAsync(connection)).Outcome.Stdout);
        }
    }

    [Fact]
    public async Task A_silent_socket_and_a_half_sent_frame_are_cut_at_their_deadlines()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using WorkerServer worker = Start(limits: new WorkerLimits { IdleTimeout = TimeSpan.FromSeconds(60) }, time: time);
        using var silent = new TcpClient();
        await silent.ConnectAsync(worker.LocalEndPoint);
        var (client, connection) = await ConnectAsync(worker);
        using (client)
        await using (connection)
        {
            // The worker sends its hello before it reads ours: wait until it has read it, or the clock could overtake it.
            await Eventually.TrueAsync(() => _log.Text.Contains("Coordinator test", StringComparison.Ordinal));

            // A frame that promises 40 MiB and delivers 3 bytes of it, then stalls (slowloris).
            await client.GetStream().WriteAsync(new byte[] { 0x02, 0x80, 0x00, 0x00, 0x81, 0xA1, 0x61 });
            await Eventually.TrueAsync(() => worker.Connections == 2);

            time.Advance(TimeSpan.FromSeconds(11)); // past the 10 s handshake limit: the silent socket goes
            await Eventually.TrueAsync(() => worker.Connections == 1);
            time.Advance(TimeSpan.FromSeconds(50)); // past the idle timeout: the stalled frame goes
            await Eventually.TrueAsync(() => worker.Connections == 0);
        }

        Assert.Contains("idle timeout", _log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_with_too_many_tasks_here_is_not_read_until_one_ends()
    {
        string[] markers = [.. Enumerable.Range(1, 3).Select(i => _directory.File($"task{i}"))];
        await using WorkerServer worker = Start(slots: 4, limits: new WorkerLimits { MaxTasksPerConnection = 2 });
        var (client, connection) = await ConnectAsync(worker);
        using (client)
        await using (connection)
        {
            // The pid is written beside and renamed: the marker never exists empty.
            await connection.SendAsync(new Submit(1, 1, new TaskSpec("sh", "-c", $"echo $$ > {markers[0]}.tmp; mv {markers[0]}.tmp {markers[0]}; exec sleep 60")));
            await connection.SendAsync(new Submit(2, 1, new TaskSpec("sh", "-c", $"echo $$ > {markers[1]}.tmp; mv {markers[1]}.tmp {markers[1]}; exec sleep 60")));
            await connection.SendAsync(new Submit(3, 1, new TaskSpec("touch", markers[2])));
            await Eventually.TrueAsync(() => worker.ThrottledConnections == 1 && File.Exists(markers[0]) && File.Exists(markers[1]), seconds: 30);

            Assert.False(File.Exists(markers[2])); // its submit is still unread: throttled after exactly two messages
            Processes.Kill(int.Parse((await File.ReadAllTextAsync(markers[0])).Trim(), System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(1, (await ResultAsync(connection)).TaskId);
            await Eventually.TrueAsync(() => File.Exists(markers[2]), seconds: 30);
            Processes.Kill(int.Parse((await File.ReadAllTextAsync(markers[1])).Trim(), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task A_client_that_leaves_output_unread_stops_being_read_itself()
    {
        string[] markers = [.. Enumerable.Range(2, 3).Select(i => _directory.File($"task{i}"))];
        await using WorkerServer worker = Start(slots: 1, limits: new WorkerLimits { MaxPendingResultBytes = 1 << 20, MaxTasksPerConnection = 100 });
        var (client, connection) = await ConnectAsync(worker);
        using (client)
        await using (connection)
        {
            // 32 MiB of output, more than the sockets hold: its result waits for a reader that never comes.
            await connection.SendAsync(new Submit(1, 1, new TaskSpec("head", "-c", "33554432", "/dev/zero")));
            await ProbeUntilThrottledAsync(worker, connection, "the worker kept reading a client that left 32 MiB unread");

            foreach (string marker in markers)
            {
                await connection.SendAsync(new Submit(int.Parse(Path.GetFileName(marker)[4..], System.Globalization.CultureInfo.InvariantCulture), 1, new TaskSpec("touch", marker)));
            }

            Assert.All(markers, m => Assert.False(File.Exists(m))); // unread while throttled: the loop waits before reading
            Assert.Equal(1, (await ResultAsync(connection)).TaskId); // reading frees the held output, and its submits are read again
            for (int i = 0; i < markers.Length; i++)
            {
                Assert.Equal(FailureKind.None, (await ResultAsync(connection)).Outcome.Failure);
            }

            Assert.All(markers, m => Assert.True(File.Exists(m)));
        }
    }

    [Fact]
    public async Task A_client_over_its_unread_output_limit_starts_no_more_tasks_until_it_reads()
    {
        string[] markers = [.. Enumerable.Range(2, 3).Select(i => _directory.File($"queued{i}"))];
        await using WorkerServer worker = Start(slots: 1, limits: new WorkerLimits { MaxPendingResultBytes = 1 << 20, MaxTasksPerConnection = 100 });
        var (client, connection) = await ConnectAsync(worker);
        using (client)
        await using (connection)
        {
            // All four are read at once; the first leaves 16 MiB the client does not read, the others wait for the one slot.
            await connection.SendAsync(new Submit(1, 1, new TaskSpec("head", "-c", "33554432", "/dev/zero")));
            for (int i = 0; i < markers.Length; i++)
            {
                await connection.SendAsync(new Submit(i + 2, 1, new TaskSpec("touch", markers[i])));
            }

            await Eventually.TrueAsync(() => worker.WaitingTasks == 3, seconds: 30);
            await ProbeUntilThrottledAsync(worker, connection, "the worker never held the unread output against the client");

            Assert.Equal(3, worker.WaitingTasks); // the slot is free, but not for a client that left 16 MiB unread
            Assert.All(markers, m => Assert.False(File.Exists(m)));
            var (otherClient, other) = await ConnectAsync(worker);
            using (otherClient)
            await using (other)
            {
                await other.SendAsync(new Submit(1, 1, new TaskSpec("echo", "another client")));
                Assert.Equal("another client\n", (await ResultAsync(other)).Outcome.Stdout); // the free slot is its
            }

            Assert.Equal(1, (await ResultAsync(connection)).TaskId); // reading frees the held output, and the others start
            for (int i = 0; i < markers.Length; i++)
            {
                Assert.Equal(FailureKind.None, (await ResultAsync(connection)).Outcome.Failure);
            }

            Assert.All(markers, m => Assert.True(File.Exists(m)));
        }
    }

    [Fact]
    public async Task Connections_take_turns_for_slots_so_a_long_queue_does_not_starve_another_client()
    {
        string log = _directory.File("order");
        string release = _directory.File("release");
        await using WorkerServer worker = Start(slots: 1);
        var (clientA, a) = await ConnectAsync(worker);
        var (clientB, b) = await ConnectAsync(worker);
        using (clientA)
        using (clientB)
        await using (a)
        await using (b)
        {
            await a.SendAsync(new Submit(1, 1, new TaskSpec("sh", "-c", $"while [ ! -e {release} ]; do sleep 0.01; done; echo A1 >> {log}")));
            for (int i = 2; i <= 5; i++)
            {
                await a.SendAsync(new Submit(i, 1, new TaskSpec("sh", "-c", $"echo A{i} >> {log}")));
            }

            await Eventually.TrueAsync(() => worker.WaitingTasks == 4, seconds: 30);
            await b.SendAsync(new Submit(1, 1, new TaskSpec("sh", "-c", $"echo B1 >> {log}")));
            await Eventually.TrueAsync(() => worker.WaitingTasks == 5, seconds: 30);
            await File.WriteAllTextAsync(release, "");
            for (int i = 0; i < 5; i++)
            {
                await ResultAsync(a);
            }

            await ResultAsync(b);
        }

        Assert.Equal(["A1", "B1", "A2", "A3", "A4", "A5"], await File.ReadAllLinesAsync(log));
    }
}
