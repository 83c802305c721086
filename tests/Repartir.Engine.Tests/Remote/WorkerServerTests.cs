using Repartir.Testing;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Repartir.Remote;
using Repartir.Remote.Wire;
using Repartir.Tasks;

namespace Repartir.Tests.Remote;

public sealed class WorkerServerTests : IAsyncLifetime
{
    private readonly MemoryLogger _log = new();
    private readonly WorkerServer _worker;

    public WorkerServerTests() => _worker = new(
        new WorkerOptions
        {
            Bind = new IPEndPoint(IPAddress.Loopback, 0),
            Name = "test-worker",
            Slots = 4,
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            Process = TestPools.FastKill,
        },
        _log);

    public Task InitializeAsync()
    {
        _worker.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    private static Hello CoordinatorHello(int version = MessageCodec.ProtocolVersion) =>
        new(version, "0.1.0", "test-coordinator", "c-1", 0, [], 64 << 20, new Dictionary<string, string>());

    private async Task<(TcpClient Client, Connection Connection)> ConnectAsync(bool handshake = true)
    {
        var client = new TcpClient();
        await client.ConnectAsync(_worker.LocalEndPoint);
        var connection = new Connection(client.GetStream());
        if (handshake)
        {
            await connection.HandshakeAsync(CoordinatorHello()).WaitAsync(TimeSpan.FromSeconds(10));
        }

        return (client, connection);
    }

    /// <summary>The next message that is not a heartbeat.</summary>
    private static async Task<Message?> NextAsync(Connection connection, int seconds = 30)
    {
        while (true)
        {
            Message? message = await connection.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(seconds));
            if (message is not Heartbeat)
            {
                return message;
            }
        }
    }

    [Fact]
    public async Task The_handshake_tells_each_side_who_the_other_is()
    {
        var (client, connection) = await ConnectAsync();
        using (client)
        await using (connection)
        {
            Hello worker = connection.Peer!;
            Assert.Equal("test-worker", worker.Name);
            Assert.Equal(4, worker.Slots);
            Assert.Equal(["Cpu"], worker.Backends);
            Assert.Equal(_worker.Id, worker.Id);
            Assert.Equal(MessageCodec.ProtocolVersion, worker.ProtocolVersion);
            Assert.True(worker.HostFacts.ContainsKey("cores"));
        }
    }

    [Fact]
    public async Task Many_tasks_in_flight_come_back_correlated_by_id_in_any_order()
    {
        var (client, connection) = await ConnectAsync();
        using (client)
        await using (connection)
        {
            for (int id = 1; id <= 40; id++)
            {
                await connection.SendAsync(new Submit(id, 1, new TaskSpec("sh", "-c", $"sleep 0.0{(40 - id) % 10}; echo {id}")));
            }

            var seen = new Dictionary<long, Result>();
            while (seen.Count < 40)
            {
                var result = Assert.IsType<Result>(await NextAsync(connection));
                Assert.True(seen.TryAdd(result.TaskId, result), $"task {result.TaskId} answered twice");
            }

            Assert.All(seen, pair => Assert.Equal($"{pair.Key}\n", pair.Value.Outcome.Stdout));
            Assert.All(seen.Values, r => Assert.Equal(Environment.MachineName, r.Outcome.Host));
            Assert.NotEqual(seen.Keys.Order(), seen.Keys); // they really did come back out of order
        }
    }

    [Fact]
    public async Task Output_too_large_for_the_coordinators_frames_is_dropped_but_the_outcome_arrives()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(_worker.LocalEndPoint);
        await using var connection = new Connection(client.GetStream());
        await connection.HandshakeAsync(CoordinatorHello() with { MaxFrameLength = 4096 });
        await connection.SendAsync(new Submit(5, 1, new TaskSpec("sh", "-c", "head -c 20000 /dev/zero; exit 3")));

        var result = Assert.IsType<Result>(await NextAsync(connection));
        Assert.Equal(3, result.Outcome.ExitCode);
        Assert.Empty(result.Outcome.StdoutBytes);
        Assert.True(result.Outcome.StdoutTruncated);
        Assert.Contains("Output dropped", result.Outcome.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancel_kills_the_remote_process_tree()
    {
        using var directory = new TempDirectory();
        string started = directory.File("started");
        var (client, connection) = await ConnectAsync();
        using (client)
        await using (connection)
        {
            await connection.SendAsync(new Submit(7, 1, new TaskSpec("sh", "-c", $"sleep 60 & echo $!; touch {started}; wait")));
            await Eventually.TrueAsync(() => File.Exists(started));
            var clock = Stopwatch.StartNew();
            await connection.SendAsync(new Cancel(7));

            var result = Assert.IsType<Result>(await NextAsync(connection));
            Assert.Equal(FailureKind.Cancelled, result.Outcome.Failure);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
            await TestPools.WaitUntilGone(int.Parse(result.Outcome.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task The_worker_sends_heartbeats_and_echoes_the_coordinators()
    {
        var (client, connection) = await ConnectAsync();
        using (client)
        await using (connection)
        {
            var first = Assert.IsType<Heartbeat>(await connection.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
            await connection.SendAsync(new Heartbeat(41, 0, 0, -1, first.Sequence));
            Heartbeat echoed;
            do
            {
                echoed = Assert.IsType<Heartbeat>(await connection.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
            }
            while (echoed.Echo != 41);

            Assert.True(echoed.Sequence > first.Sequence);
        }
    }

    [Fact]
    public async Task A_version_mismatch_is_answered_with_an_error_naming_both_versions()
    {
        var (client, connection) = await ConnectAsync(handshake: false);
        using (client)
        await using (connection)
        {
            await connection.SendAsync(CoordinatorHello(version: 99));
            Assert.IsType<Hello>(await connection.ReceiveAsync());
            var error = Assert.IsType<ErrorMessage>(await connection.ReceiveAsync());
            Assert.Equal(MessageCodec.VersionMismatch, error.Code);
            Assert.Contains("version 1", error.Text, StringComparison.Ordinal);
            Assert.Contains("version 99", error.Text, StringComparison.Ordinal);
            Assert.Null(await connection.ReceiveAsync()); // then the worker closes
        }
    }

    [Fact]
    public async Task An_oversized_frame_is_refused_and_the_worker_keeps_serving_others()
    {
        var (client, connection) = await ConnectAsync();
        using (client)
        await using (connection)
        {
            byte[] header = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(header, 100 << 20);
            await client.GetStream().WriteAsync(header);
            var error = Assert.IsType<ErrorMessage>(await NextAsync(connection));
            Assert.Equal(MessageCodec.FrameTooLarge, error.Code);
        }

        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    [InlineData("not-a-message")]
    public async Task Bad_bytes_from_a_raw_socket_close_that_connection_only(string kind)
    {
        using (var raw = new TcpClient())
        {
            await raw.ConnectAsync(_worker.LocalEndPoint);
            NetworkStream stream = raw.GetStream();
            byte[] bytes = kind switch
            {
                "garbage" => Enumerable.Range(0, 64).Select(i => (byte)(i * 37)).ToArray(),
                "truncated" => [0, 0, 0, 50, 0x81, 0xa4],
                _ => [0, 0, 0, 1, 0x2a],
            };
            await stream.WriteAsync(bytes);
            if (kind == "truncated")
            {
                raw.Client.Shutdown(SocketShutdown.Send);
            }

            // The worker answers (its hello, maybe an error) and then closes: reading reaches the end.
            byte[] buffer = new byte[4096];
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (await stream.ReadAsync(buffer, limit.Token) > 0)
            {
            }
        }

        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_lost_coordinator_connection_kills_its_running_tasks()
    {
        var (client, connection) = await ConnectAsync();
        await connection.SendAsync(new Submit(1, 1, new TaskSpec("sh", "-c", "echo $$ > " + Path.Combine(Path.GetTempPath(), "repartir-lost-" + _worker.Id) + "; sleep 60")));
        string pidFile = Path.Combine(Path.GetTempPath(), "repartir-lost-" + _worker.Id);
        await Eventually.TrueAsync(() => File.Exists(pidFile) && new FileInfo(pidFile).Length > 0);
        int pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        File.Delete(pidFile);

        client.Client.Close(); // no goodbye: the connection just dies
        await connection.DisposeAsync();
        client.Dispose();

        await Eventually.TrueAsync(() => !Processes.IsAlive(pid));
    }

    [Fact]
    public async Task A_forced_stop_reports_its_killed_tasks_as_lost_never_as_cancelled_by_the_coordinator()
    {
        using var directory = new TempDirectory();
        var (client, connection) = await ConnectAsync();
        using (client)
        await using (connection)
        {
            for (int id = 1; id <= 4; id++)
            {
                await connection.SendAsync(new Submit(id, 1, new TaskSpec("sh", "-c", $"touch {directory.File(id.ToString(System.Globalization.CultureInfo.InvariantCulture))}; sleep 60")));
            }

            await Eventually.TrueAsync(() => Directory.GetFiles(directory.Path).Length == 4);
            Task stopping = _worker.StopAsync(drain: false);

            // Whatever results get out before the connection closes must tell the coordinator to run the task elsewhere:
            // a Cancelled result would end a task nobody cancelled.
            var outcomes = new List<TaskResult>();
            while (await NextOrEndAsync(connection) is { } message)
            {
                if (message is Result result)
                {
                    outcomes.Add(result.Outcome);
                }
            }

            await stopping.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.All(outcomes, o => Assert.Equal(FailureKind.WorkerLost, o.Failure));
        }
    }

    private static async Task<Message?> NextOrEndAsync(Connection connection)
    {
        try
        {
            return await NextAsync(connection);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    [Fact]
    public async Task Draining_announces_itself_finishes_running_tasks_sends_their_results_then_goodbye()
    {
        using var directory = new TempDirectory();
        string release = directory.File("release");
        var (client, connection) = await ConnectAsync();
        using (client)
        await using (connection)
        {
            Task stopping = await DrainWithATaskRunningAsync(connection, directory, release);

            var status = Assert.IsType<WorkerStatus>(await NextAsync(connection));
            Assert.Equal("Draining", status.State);
            Assert.Equal(1, status.Running);
            await File.WriteAllTextAsync(release, "");
            var result = Assert.IsType<Result>(await NextAsync(connection));
            Assert.Equal("done\n", result.Outcome.Stdout);
            Assert.IsType<Goodbye>(await NextAsync(connection));
            await stopping.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("test-worker", connection.Peer!.Name);
            Assert.NotEqual(0, _worker.LocalEndPoint.Port); // still the port it really had
        }
    }

    [Fact]
    public async Task A_submit_a_draining_worker_refuses_is_preceded_by_its_status()
    {
        using var directory = new TempDirectory();
        string release = directory.File("release");
        var (client, connection) = await ConnectAsync();
        using (client)
        await using (connection)
        {
            Task stopping = await DrainWithATaskRunningAsync(connection, directory, release);
            Assert.IsType<WorkerStatus>(await NextAsync(connection));

            // However it raced the stop's own announcement, a refusal for draining comes right after a status that says so.
            await connection.SendAsync(new Submit(4, 1, new TaskSpec("true")));
            Assert.Equal("Draining", Assert.IsType<WorkerStatus>(await NextAsync(connection)).State);
            var refused = Assert.IsType<Result>(await NextAsync(connection));
            Assert.Equal((4L, FailureKind.Rejected), (refused.TaskId, refused.Outcome.Failure));

            await File.WriteAllTextAsync(release, "");
            await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>
    /// Starts a task that runs until <paramref name="release"/> exists (a fixed sleep would race a busy machine), waits
    /// until it runs, so the drain does not refuse it, and begins a drain.
    /// </summary>
    private async Task<Task> DrainWithATaskRunningAsync(Connection connection, TempDirectory directory, string release)
    {
        string started = directory.File("started");
        await connection.SendAsync(new Submit(3, 1, new TaskSpec("sh", "-c", $"touch {started}; while [ ! -e {release} ]; do sleep 0.01; done; echo done")));
        await Eventually.TrueAsync(() => File.Exists(started));
        return _worker.StopAsync(drain: true);
    }

    private async Task AssertStillServingAsync()
    {
        var (client, connection) = await ConnectAsync();
        using (client)
        await using (connection)
        {
            await connection.SendAsync(new Submit(99, 1, new TaskSpec("echo", "alive")));
            Assert.Equal("alive\n", Assert.IsType<Result>(await NextAsync(connection)).Outcome.Stdout);
        }
    }

    [Fact]
    public async Task A_drain_held_by_a_coordinator_that_stopped_reading_ends_when_its_token_is_cancelled()
    {
        using var directory = new TempDirectory();
        string written = directory.File("written");
        (TcpClient client, Connection connection) = await ConnectAsync();
        using (client)
        await using (connection)
        {
            // 16 MiB of output: far more than the socket buffers hold for a coordinator that never reads.
            await connection.SendAsync(new Submit(1, 1, new TaskSpec("sh", "-c", $"head -c 16777216 /dev/zero; touch {written}")));
            await Eventually.TrueAsync(() => File.Exists(written), seconds: 30);
            using var forced = new CancellationTokenSource();

            Task drain = _worker.StopAsync(drain: true, forced.Token);
            Assert.NotSame(drain, await Task.WhenAny(drain, Task.Delay(TimeSpan.FromSeconds(1)))); // a drain cannot finish while its coordinator does not read the result

            await forced.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => drain.WaitAsync(TimeSpan.FromSeconds(10)));
            Task stop = _worker.StopAsync(drain: false);
            Assert.True(await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(10))) == stop, "the forced stop did not end:\n" + _log.Text);
            Assert.Equal("Stopped", _worker.State);
        }
    }
}
