using Repartir.Testing;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Repartir.Remote;
using Repartir.Remote.Wire;
using Repartir.Scheduling;

namespace Repartir.Tests.Remote;

/// <summary>Remote settings quick enough for tests: a lost worker is noticed within half a second.</summary>
internal static class TestRemote
{
    /// <summary>
    /// Quick reconnects, and a heartbeat timeout no busy machine reaches: on the real clock a starved thread pool
    /// could make a healthy worker look silent, so only tests on a fake clock (<see cref="Silence"/>) see one go
    /// quiet. A lost connection is noticed at once either way.
    /// </summary>
    internal static readonly RemoteOptions Fast = new()
    {
        HeartbeatInterval = TimeSpan.FromSeconds(1),
        HeartbeatTimeout = TimeSpan.FromSeconds(120),
        ConnectTimeout = TimeSpan.FromSeconds(20),
        ReconnectInitialDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(400),
    };

    /// <summary>Heartbeats to step through on a <see cref="Microsoft.Extensions.Time.Testing.FakeTimeProvider"/>: suspected after 200 ms of silence, lost after 600 ms.</summary>
    internal static readonly RemoteOptions Silence = Fast with
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        HeartbeatTimeout = TimeSpan.FromMilliseconds(600),
    };

    internal static Pool Pool(IEnumerable<string> workers, int cpuWorkers = 0, RemoteOptions? remote = null, Microsoft.Extensions.Logging.ILogger? logger = null, TimeProvider? time = null, IReadOnlyList<string>? gpus = null) =>
        new(
            new PoolOptions
            {
                Name = "remote-test",
                CpuWorkers = cpuWorkers,
                Gpus = gpus ?? [],
                Workers = [.. workers],
                Remote = remote ?? Fast,
                Process = TestPools.FastKill,
            },
            logger,
            timeProvider: time);

    internal static WorkerServer StartWorker(string name, int slots, IReadOnlyList<string>? gpus = null)
    {
        var worker = new WorkerServer(new WorkerOptions
        {
            Bind = new IPEndPoint(IPAddress.Loopback, 0),
            Name = name,
            Slots = slots,
            Gpus = gpus ?? [],
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            Process = TestPools.FastKill,
        });
        worker.Start();
        return worker;
    }

    internal static string Address(this WorkerServer worker) => worker.LocalEndPoint.ToString();

    internal static async Task WaitOnlineAsync(Pool pool, int seconds = 20) =>
        await Eventually.TrueAsync(() => pool.RemoteWorkers.All(w => w.State == RemoteWorkerState.Online), seconds);
}

/// <summary>
/// A loopback TCP relay between a pool and a worker that a test can break: drop every connection (a network
/// cut the peers notice at once) or freeze them (a hung peer: nothing arrives, nothing is closed).
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<TcpClient, byte> _open = new();
    private readonly Task _accepting;
    private volatile bool _frozen;

    public TcpProxy(IPEndPoint target)
    {
        _target = target;
        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _accepting = AcceptAsync();
    }

    public IPEndPoint EndPoint { get; }

    public string Address => EndPoint.ToString();

    /// <summary>Closes every relayed connection now; new ones are still accepted.</summary>
    public void DropAll()
    {
        foreach (TcpClient client in _open.Keys)
        {
            try
            {
                client.Client?.LingerState = new LingerOption(true, 0); // a reset, like a vanished host
            }
            catch (ObjectDisposedException)
            {
                // Closed by its pump in the meantime.
            }

            client.Dispose();
        }
    }

    /// <summary>Stops relaying bytes without closing anything, like a peer that hangs.</summary>
    public void Freeze() => _frozen = true;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException
                || (e is InvalidOperationException && _stop.IsCancellationRequested))
            {
                return;
            }

            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(_target);
            }
            catch (SocketException)
            {
                inbound.Dispose();
                outbound.Dispose();
                continue;
            }

            _open[inbound] = 0;
            _open[outbound] = 0;
            _ = PumpAsync(inbound, outbound);
            _ = PumpAsync(outbound, inbound);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int read = await from.GetStream().ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                if (_frozen)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token); // a freeze is for good: hold the bytes until disposed
                }

                await to.GetStream().WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }
        finally
        {
            from.Dispose();
            to.Dispose();
            _open.TryRemove(from, out _);
            _open.TryRemove(to, out _);
        }
    }
}

/// <summary>A real <c>repartir worker</c> process on a loopback port, its log read as it goes.</summary>
internal sealed partial class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly TaskCompletionSource<IPEndPoint> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerProcess(Process process)
    {
        _process = process;
        _ = ReadLogAsync();
    }

    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    public string Log => string.Join('\n', _log);

    /// <summary>Starts a worker and waits until it listens; port 0 picks a free one.</summary>
    public static async Task<WorkerProcess> StartAsync(string name, int slots, int port = 0, params string[] more)
    {
        ProcessStartInfo start = Repartir.Tests.Cli.CliProcess.StartInfo(["worker", "--bind", $"127.0.0.1:{port}", "--slots", slots.ToString(System.Globalization.CultureInfo.InvariantCulture), "--name", name, "--heartbeat", "100ms", .. more]);
        var worker = new WorkerProcess(Process.Start(start)!);
        worker.EndPoint = await worker._listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return worker;
    }

    /// <summary>Sends <paramref name="signal"/> (TERM, HUP, ...) to the worker.</summary>
    public void Signal(string signal)
    {
        using Process kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>SIGTERM: the worker drains and exits.</summary>
    public void Terminate()
    {
        using Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>The exit code, once the worker has exited.</summary>
    public async Task<int> ExitCodeAsync()
    {
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the worker vanishes mid-run, as a crashed node does.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task ReadLogAsync()
    {
        while (await _process.StandardError.ReadLineAsync() is { } line)
        {
            _log.Enqueue(line);
            Match listening = ListeningLine().Match(line);
            if (listening.Success)
            {
                _listening.TrySetResult(IPEndPoint.Parse(listening.Groups["endpoint"].Value));
            }
        }

        _listening.TrySetException(new InvalidOperationException("the worker exited before it listened:\n" + Log));
    }

    [GeneratedRegex(@"listening on (?<endpoint>\S+) with")]
    private static partial Regex ListeningLine();
}

/// <summary>Keeps log lines in memory, so a failing test can show what the pool saw.</summary>
internal sealed class MemoryLogger : Microsoft.Extensions.Logging.ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    public string Text => string.Join('\n', _lines);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}");
}

/// <summary>
/// A scripted worker on a loopback port: it says hello with the slots it is given, answers heartbeats (so the pool
/// sees it Online), records what it receives, and hands each submit to a script. Each new connection starts over.
/// </summary>
internal sealed class FakeWorker : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<Reply, Submit, Task> _onSubmit;
    private readonly int _slots;
    private readonly Task _serving;

    public FakeWorker(int slots, Func<Reply, Submit, Task> onSubmit)
    {
        _slots = slots;
        _onSubmit = onSubmit;
        _listener.Start();
        _serving = ServeAsync();
    }

    public string Address => _listener.LocalEndpoint.ToString()!;

    public ConcurrentQueue<Message> Received { get; } = new();

    public int Connections;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _serving;
    }

    private async Task ServeAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref Connections);
                connections.Add(ConverseAsync(client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException
            || (e is InvalidOperationException && _stop.IsCancellationRequested))
        {
            // Stopped (a listener stopped between two accepts says "not listening").
        }

        await Task.WhenAll(connections);
    }

    private async Task ConverseAsync(TcpClient client)
    {
        var stream = new NetworkStream(client.Client, ownsSocket: true);
        using (client)
        await using (var connection = new Connection(stream))
        {
            var reply = new Reply(connection, new FrameWriter(stream));
            try
            {
                await connection.HandshakeAsync(new Hello(MessageCodec.ProtocolVersion, "0.0.0", "fake", "f", _slots, ["Cpu"], 64 << 20, new Dictionary<string, string>()), _stop.Token);
                while (await connection.ReceiveAsync(_stop.Token) is { } message)
                {
                    Received.Enqueue(message);
                    if (message is Heartbeat heartbeat)
                    {
                        await connection.SendAsync(new Heartbeat(0, 0, 0, -1, heartbeat.Sequence), _stop.Token);
                    }
                    else if (message is Submit submit)
                    {
                        await _onSubmit(reply, submit);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or ProtocolException)
            {
                // The pool went away, refused us, or the test is over.
            }
        }
    }
}

/// <summary>How a fake worker's script answers: a message as the codec writes it, or any MessagePack value as a frame.</summary>
internal sealed class Reply(Connection connection, FrameWriter raw)
{
    public Task SendAsync(Message message) => connection.SendAsync(message).AsTask();

    public Task SendRawAsync(byte[] value) => raw.WriteAsync((ref MessagePackWriter writer) => writer.WriteRaw(value)).AsTask();
}
