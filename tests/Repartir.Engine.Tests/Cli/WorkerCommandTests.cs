using Repartir.Testing;
using System.Net;
using System.Net.Sockets;
using Repartir.Cli;
using Repartir.Remote;
using Repartir.Remote.Wire;
using Repartir.Tasks;
using Repartir.Tests.Remote;

namespace Repartir.Tests.Cli;

public sealed class WorkerCommandTests
{
    [Theory]
    [InlineData("127.0.0.1:9000", "127.0.0.1:9000")]
    [InlineData("0.0.0.0:0", "0.0.0.0:0")]
    [InlineData("[::1]:9443", "[::1]:9443")]
    [InlineData("9001", "127.0.0.1:9001")]
    [InlineData("localhost:9002", "127.0.0.1:9002")]
    public void Bind_addresses_parse(string text, string expected)
    {
        Assert.True(EndPoints.TryParse(text, out IPEndPoint? endPoint, out string? error), error);
        Assert.Equal(expected, endPoint!.ToString());
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:99999")]
    [InlineData("no-such-host.invalid:9000")]
    [InlineData("")]
    public void Bad_bind_addresses_are_refused(string text)
    {
        Assert.False(EndPoints.TryParse(text, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public async Task The_daemon_serves_then_drains_on_SIGTERM_and_exits_zero()
    {
        await using WorkerProcess daemon = await WorkerProcess.StartAsync("daemon-test", slots: 2);
        using var client = new TcpClient();
        await client.ConnectAsync(daemon.EndPoint);
        await using var connection = new Connection(client.GetStream());
        Hello worker = await connection.HandshakeAsync(new Hello(MessageCodec.ProtocolVersion, "0.1.0", "test", "t", 0, [], 1 << 20, new Dictionary<string, string>()));
        Assert.Equal("daemon-test", worker.Name);
        Assert.Equal(2, worker.Slots);

        using var directory = new TempDirectory();
        string started = directory.File("started");
        await connection.SendAsync(new Submit(1, 1, new TaskSpec("sh", "-c", $"touch {started}; sleep 0.5; echo drained")));
        await Eventually.TrueAsync(() => File.Exists(started)); // running before the drain begins, so it is not refused
        daemon.Terminate();

        Message? message;
        do
        {
            message = await connection.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        while (message is Heartbeat or WorkerStatus);

        Assert.Equal("drained\n", Assert.IsType<Result>(message).Outcome.Stdout);
        do
        {
            message = await connection.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        while (message is Heartbeat);

        Assert.IsType<Goodbye>(message);
        Assert.Equal(0, await daemon.ExitCodeAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_second_SIGTERM_stops_the_daemon_at_once_even_when_a_coordinator_does_not_read_its_results()
    {
        using var directory = new TempDirectory();
        string written = directory.File("written");
        await using WorkerProcess daemon = await WorkerProcess.StartAsync("stuck", slots: 1);
        using var client = new TcpClient();
        await client.ConnectAsync(daemon.EndPoint);
        await using var connection = new Connection(client.GetStream());
        await connection.HandshakeAsync(new Hello(MessageCodec.ProtocolVersion, "0.1.0", "deaf", "d", 0, [], 64 << 20, new Dictionary<string, string>()));

        // 16 MiB of output for a coordinator that never reads: the daemon's drain cannot finish.
        await connection.SendAsync(new Submit(1, 1, new TaskSpec("sh", "-c", $"head -c 16777216 /dev/zero; touch {written}")));
        await Eventually.TrueAsync(() => File.Exists(written), seconds: 30);
        daemon.Terminate();
        Task<int> exit = daemon.ExitCodeAsync();
        Assert.NotSame(exit, await Task.WhenAny(exit, Task.Delay(TimeSpan.FromSeconds(1))));

        daemon.Terminate();
        Assert.Equal(0, await exit.WaitAsync(TimeSpan.FromSeconds(15)));
    }
}
