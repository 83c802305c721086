using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Repartir.Cli;
using Repartir.Remote;
using Repartir.Remote.Wire;
using Repartir.Tasks;

namespace Repartir.Tests.Cli;

public sealed partial class WorkerCommandTests
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
        string executable = Path.Combine(AppContext.BaseDirectory, "repartir");
        var start = new ProcessStartInfo(executable, ["worker", "--bind", "127.0.0.1:0", "--slots", "2", "--name", "daemon-test"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using Process daemon = Process.Start(start)!;
        try
        {
            IPEndPoint endPoint = await ReadListeningEndPointAsync(daemon);
            using var client = new TcpClient();
            await client.ConnectAsync(endPoint);
            await using var connection = new Connection(client.GetStream());
            Hello worker = await connection.HandshakeAsync(new Hello(MessageCodec.ProtocolVersion, "0.1.0", "test", "t", 0, [], 1 << 20, new Dictionary<string, string>()));
            Assert.Equal("daemon-test", worker.Name);
            Assert.Equal(2, worker.Slots);

            await connection.SendAsync(new Submit(1, 1, new TaskSpec("sh", "-c", "sleep 0.5; echo drained")));
            await Task.Delay(200);
            using (Process kill = Process.Start("kill", ["-TERM", daemon.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync();
            }

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
            await daemon.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, daemon.ExitCode);
        }
        finally
        {
            if (!daemon.HasExited)
            {
                daemon.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<IPEndPoint> ReadListeningEndPointAsync(Process daemon)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await daemon.StandardError.ReadLineAsync(limit.Token) is { } line)
        {
            Match listening = ListeningLine().Match(line);
            if (listening.Success)
            {
                return IPEndPoint.Parse(listening.Groups["endpoint"].Value);
            }
        }

        throw new InvalidOperationException("the worker never said where it listens");
    }

    [GeneratedRegex(@"listening on (?<endpoint>\S+) with")]
    private static partial Regex ListeningLine();
}
