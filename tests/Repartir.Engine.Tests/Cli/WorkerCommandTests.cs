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

        await connection.SendAsync(new Submit(1, 1, new TaskSpec("sh", "-c", "sleep 0.5; echo drained")));
        await Task.Delay(200);
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
}
