using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Repartir.Remote;
using Repartir.Remote.Wire;
using Repartir.Tasks;

namespace Repartir.Testing;

/// <summary>
/// Feeds random and mutated frames to the message decoder and to a live worker. A case is one mutated frame:
/// the decoder must read it as a message or refuse it with a <see cref="ProtocolException"/>; the worker gets it
/// on a connection of its own (after a valid hello, or in place of one) followed by end-of-stream, and must answer
/// or close within a few seconds, logging no defect, and keep serving a clean connection afterwards.
/// The same harness runs the long count in bench/ and a short one in CI.
/// </summary>
public static class FrameFuzzer
{
    /// <summary>What a run saw.</summary>
    /// <param name="Cases">Frames generated (each went to the decoder).</param>
    /// <param name="Decoded">Of those, frames the decoder read as a message.</param>
    /// <param name="Refused">Frames the decoder refused with a protocol error.</param>
    /// <param name="LiveCases">Frames sent to the live worker, each on its own connection.</param>
    /// <param name="ErrorFrames">Connections the worker closed with an error frame.</param>
    /// <param name="Answered">Connections where it answered with another message (a heartbeat, a result) before closing.</param>
    /// <param name="ClosedQuietly">Connections it closed without a word (the frame ended early, or the peer left first).</param>
    /// <param name="HealthChecks">Clean connections in between on which the worker still ran a task.</param>
    /// <param name="Failures">Anything else: a decoder exception other than ProtocolException, a worker that hung or stopped serving, a logged defect.</param>
    public sealed record Report(long Cases, long Decoded, long Refused, long LiveCases, long ErrorFrames, long Answered, long ClosedQuietly, long HealthChecks, IReadOnlyList<string> Failures);

    private static readonly Hello CoordinatorHello = new(MessageCodec.ProtocolVersion, "0.0.0", "fuzzer", "fuzz", 0, [], 1 << 20, new Dictionary<string, string>());

    /// <summary>
    /// Runs <paramref name="cases"/> cases against a worker started here; every <paramref name="liveEvery"/>-th case
    /// also goes to the worker. With <paramref name="tls"/> the worker serves mutual TLS and each case arrives through a
    /// TLS connection the given client certificate opens: what an attacker holding a stolen certificate could send.
    /// </summary>
    public static async Task<Report> RunAsync(long cases, int seed, int parallelism = 4, int liveEvery = 1, IProgress<long>? progress = null, (Repartir.Security.TlsCredentials Worker, System.Security.Cryptography.X509Certificates.X509Certificate2 Client)? tls = null)
    {
        var defects = new DefectLog();
        await using var worker = new WorkerServer(
            new WorkerOptions { Bind = new IPEndPoint(IPAddress.Loopback, 0), Name = "fuzzed", Slots = 2, HeartbeatInterval = TimeSpan.FromSeconds(5), Tls = tls?.Worker },
            defects);
        Func<Stream, CancellationToken, Task<Stream>> open = tls is { Client: var certificate } ? (stream, token) => OpenTlsAsync(stream, certificate, token) : (stream, _) => Task.FromResult(stream);
        worker.Start();
        byte[][] seeds = Seeds();
        var failures = new ConcurrentQueue<string>();
        long decoded = 0, refused = 0, live = 0, errorFrames = 0, answered = 0, quiet = 0, healthy = 0, next = -1;

        async Task RunnerAsync(int runner)
        {
            var random = new Random(seed + runner);
            long index;
            while ((index = Interlocked.Increment(ref next)) < cases)
            {
                byte[] frame = Mutate(random, seeds);
                switch (Decode(frame))
                {
                    case true: Interlocked.Increment(ref decoded); break;
                    case false: Interlocked.Increment(ref refused); break;
                    case null: failures.Enqueue($"decoder threw other than ProtocolException on {Hex(frame)}"); break;
                }

                if (index % liveEvery == 0)
                {
                    Interlocked.Increment(ref live);
                    switch (await SendToWorkerAsync(worker.LocalEndPoint, frame, random, open).ConfigureAwait(false))
                    {
                        case LiveOutcome.ErrorFrame: Interlocked.Increment(ref errorFrames); break;
                        case LiveOutcome.Answered: Interlocked.Increment(ref answered); break;
                        case LiveOutcome.Closed: Interlocked.Increment(ref quiet); break;
                        case LiveOutcome.Hung: failures.Enqueue($"the worker neither answered nor closed within 10 s after {Hex(frame)}"); break;
                    }
                }

                if (index % 5000 == 4999)
                {
                    await CheckHealthAsync(worker.LocalEndPoint, failures, open).ConfigureAwait(false);
                    Interlocked.Increment(ref healthy);
                    progress?.Report(index + 1);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, parallelism).Select(r => Task.Run(() => RunnerAsync(r)))).ConfigureAwait(false);
        await CheckHealthAsync(worker.LocalEndPoint, failures, open).ConfigureAwait(false);
        healthy++;
        foreach (string defect in defects.Errors)
        {
            failures.Enqueue("the worker logged a defect: " + defect);
        }

        return new Report(cases, decoded, refused, live, errorFrames, answered, quiet, healthy, [.. failures.Take(20)]);
    }

    private static bool? Decode(byte[] frame)
    {
        try
        {
            MessageCodec.Read(frame);
            return true;
        }
        catch (ProtocolException)
        {
            return false;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    private enum LiveOutcome
    {
        ErrorFrame,
        Answered,
        Closed,
        Hung,
    }

    private static async Task<Stream> OpenTlsAsync(Stream stream, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        var ssl = new System.Net.Security.SslStream(stream);
        await ssl.AuthenticateAsClientAsync(
            new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            },
            cancellationToken).ConfigureAwait(false);
        return ssl;
    }

    private static async Task<LiveOutcome> SendToWorkerAsync(IPEndPoint endPoint, byte[] frame, Random random, Func<Stream, CancellationToken, Task<Stream>> open)
    {
        using var client = new TcpClient { NoDelay = true, LingerState = new LingerOption(true, 0) };
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await client.ConnectAsync(endPoint, limit.Token).ConfigureAwait(false);
            await using Stream stream = await open(client.GetStream(), limit.Token).ConfigureAwait(false);
            var reader = new FrameReader(stream) { MaxFrameLength = 64 << 20 };
            bool asHello = random.Next(5) == 0; // one case in five replaces the hello itself
            if (!asHello)
            {
                await new FrameWriter(stream).WriteAsync((ref MessagePackWriter writer) => MessageCodec.Write(ref writer, CoordinatorHello), limit.Token).ConfigureAwait(false);
                using Frame? hello = await reader.ReadAsync(limit.Token).ConfigureAwait(false);
            }

            byte[] header = new byte[4];
            uint length = random.Next(10) switch
            {
                0 => (uint)random.Next(frame.Length + 1, frame.Length + 64), // declares more than follows: a truncated frame
                1 => (uint)random.Next(50 << 20, int.MaxValue), // beyond any limit
                _ => (uint)frame.Length,
            };
            BinaryPrimitives.WriteUInt32BigEndian(header, length);
            await stream.WriteAsync(header, limit.Token).ConfigureAwait(false);
            await stream.WriteAsync(frame, limit.Token).ConfigureAwait(false);
            await stream.FlushAsync(limit.Token).ConfigureAwait(false);
            if (stream is System.Net.Security.SslStream ssl)
            {
                await ssl.ShutdownAsync().ConfigureAwait(false); // TLS close_notify: the end of what this peer sends
            }
            else
            {
                client.Client.Shutdown(SocketShutdown.Send);
            }

            LiveOutcome outcome = LiveOutcome.Closed;
            while (await reader.ReadAsync(limit.Token).ConfigureAwait(false) is { } reply)
            {
                using (reply)
                {
                    outcome = MessageCodec.Read(reply.Span) is ErrorMessage ? LiveOutcome.ErrorFrame : outcome == LiveOutcome.ErrorFrame ? outcome : LiveOutcome.Answered;
                }
            }

            return outcome;
        }
        catch (OperationCanceledException)
        {
            return LiveOutcome.Hung;
        }
        catch (Exception e) when (e is IOException or SocketException or ProtocolException or System.Security.Authentication.AuthenticationException)
        {
            return LiveOutcome.Closed; // reset by the worker as it closed
        }
    }

    private static async Task CheckHealthAsync(IPEndPoint endPoint, ConcurrentQueue<string> failures, Func<Stream, CancellationToken, Task<Stream>> open)
    {
        try
        {
            using var client = new TcpClient();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await client.ConnectAsync(endPoint, limit.Token).ConfigureAwait(false);
            await using var connection = new Connection(await open(client.GetStream(), limit.Token).ConfigureAwait(false));
            await connection.HandshakeAsync(CoordinatorHello, limit.Token).ConfigureAwait(false);
            await connection.SendAsync(new Submit(1, 1, new TaskSpec("echo", "alive")), limit.Token).ConfigureAwait(false);
            while (await connection.ReceiveAsync(limit.Token).ConfigureAwait(false) is { } message)
            {
                if (message is Result { Outcome.Stdout: "alive\n" })
                {
                    return;
                }
            }

            failures.Enqueue("the worker closed a clean connection instead of running its task");
        }
        catch (Exception e) when (e is IOException or SocketException or ProtocolException or OperationCanceledException)
        {
            failures.Enqueue("the worker no longer serves clean connections: " + e.Message);
        }
    }

    private static byte[][] Seeds()
    {
        var spec = new TaskSpec("echo", "fuzz", "x") { Environment = new Dictionary<string, string?> { ["A"] = "b", ["GONE"] = null }, Timeout = TimeSpan.FromSeconds(2), StandardInput = new byte[] { 1, 2, 3 } };
        var outcome = new TaskResult { Id = new TaskId(7), Name = "n", Spec = spec, ExitCode = 3, StdoutBytes = [0xff, 0x00], StartTime = DateTimeOffset.UnixEpoch, EndTime = DateTimeOffset.UtcNow };
        Message[] messages =
        [
            CoordinatorHello,
            new Submit(1, 1, spec),
            new Submit(2, 3, new TaskSpec("true")),
            new Result(7, 1, outcome),
            new Cancel(9),
            new Heartbeat(1, 2, 3, 0.5, 0),
            new WorkerStatus("Serving", 4, 1, 10, 2, TimeSpan.FromSeconds(90)),
            new ErrorMessage(MessageCodec.BadMessage, "text", false),
            new Goodbye("bye"),
        ];
        return [.. messages.Select(Encode)];
    }

    private static byte[] Encode(Message message)
    {
        using var buffer = new PooledBufferWriter();
        var writer = new MessagePackWriter(buffer);
        MessageCodec.Write(ref writer, message);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One case: a seed message changed by one to three mutations, or pure garbage.</summary>
    private static byte[] Mutate(Random random, byte[][] seeds)
    {
        if (random.Next(20) == 0)
        {
            byte[] garbage = new byte[random.Next(0, 96)];
            random.NextBytes(garbage);
            return garbage;
        }

        var bytes = new List<byte>(seeds[random.Next(seeds.Length)]);
        for (int mutations = random.Next(1, 4); mutations > 0; mutations--)
        {
            int at = random.Next(bytes.Count + 1);
            switch (random.Next(8))
            {
                case 0 when bytes.Count > 0: // flip bits
                    bytes[Math.Min(at, bytes.Count - 1)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0: // any byte
                    bytes[Math.Min(at, bytes.Count - 1)] = (byte)random.Next(256);
                    break;
                case 2: // cut short
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3: // insert random bytes
                    bytes.InsertRange(at, Enumerable.Range(0, random.Next(1, 9)).Select(_ => (byte)random.Next(256)));
                    break;
                case 4: // delete a run
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 9), bytes.Count - at));
                    break;
                case 5: // splice another seed's tail
                    byte[] other = seeds[random.Next(seeds.Length)];
                    bytes.RemoveRange(at, bytes.Count - at);
                    bytes.AddRange(other.Skip(random.Next(other.Length)));
                    break;
                case 6: // a header that promises a huge collection or string
                    byte[][] huge = [[0xdd, 0xff, 0xff, 0xff, 0xff], [0xdf, 0x7f, 0xff, 0xff, 0xff], [0xdb, 0xff, 0xff, 0xff, 0xf0], [0xc6, 0xff, 0xff, 0xff, 0xff]];
                    bytes.InsertRange(at, huge[random.Next(huge.Length)]);
                    break;
                default: // deep nesting
                    bytes.InsertRange(at, Enumerable.Repeat((byte)0x91, random.Next(10, 200)));
                    break;
            }
        }

        return [.. bytes];
    }

    private static string Hex(byte[] frame) => Convert.ToHexString(frame.AsSpan(0, Math.Min(frame.Length, 48))) + (frame.Length > 48 ? "…" : string.Empty);

    /// <summary>Collects what the worker logs at Error or above: under fuzzing, any such line is a defect.</summary>
    private sealed class DefectLog : ILogger
    {
        private readonly ConcurrentQueue<string> _errors = new();

        public IEnumerable<string> Errors => _errors;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error)
            {
                _errors.Enqueue(formatter(state, exception) + (exception is null ? string.Empty : " " + exception));
            }
        }
    }
}
