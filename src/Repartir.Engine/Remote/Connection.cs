using Repartir.Remote.Wire;

namespace Repartir.Remote;

/// <summary>
/// One protocol connection over a stream (plain TCP or TLS): messages in and out as frames, and the
/// versioned handshake. Sending is safe from many tasks at once; receiving is for one reader.
/// </summary>
public sealed class Connection : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly FrameReader _reader;
    private readonly FrameWriter _writer;
    private readonly MessagePackReaderOptions _readerOptions = MessagePackReaderOptions.Default with { MaxDepth = 16 };

    /// <summary>Speaks the protocol over <paramref name="stream"/>, which it owns.</summary>
    public Connection(Stream stream)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _reader = new FrameReader(stream);
        _writer = new FrameWriter(stream);
    }

    /// <summary>The peer's hello, once the handshake has completed.</summary>
    public Hello? Peer { get; private set; }

    /// <summary>Sends one message.</summary>
    /// <exception cref="FrameException">The message is larger than the peer accepts (nothing was sent).</exception>
    public async ValueTask SendAsync(Message message, CancellationToken cancellationToken = default)
    {
        int sent = await _writer.WriteAsync((ref MessagePackWriter writer) => MessageCodec.Write(ref writer, message), cancellationToken).ConfigureAwait(false);
        if (MeteredPeer is { } peer)
        {
            Telemetry.RepartirTelemetry.OnNetworkIo(peer, transmit: true, sent);
        }
    }

    /// <summary>The peer this connection's bytes are counted for (<c>repartir.worker.network.io</c>); null counts nothing.</summary>
    internal string? MeteredPeer { get; set; }

    /// <summary>The next message, or null when the peer closed the connection cleanly.</summary>
    /// <exception cref="FrameException">The peer sent a frame that is too large or cut short.</exception>
    /// <exception cref="ProtocolException">The peer sent a frame that is not a message this build reads.</exception>
    public async ValueTask<Message?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        using Frame? frame = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (frame is not null && MeteredPeer is { } peer)
        {
            Telemetry.RepartirTelemetry.OnNetworkIo(peer, transmit: false, frame.Span.Length + 4);
        }

        return frame is null ? null : MessageCodec.Read(frame.Span, _readerOptions);
    }

    /// <summary>
    /// Sends <paramref name="mine"/> and reads the peer's hello. On a version mismatch the peer is told,
    /// in an error frame naming both versions, and the handshake fails. Afterwards each side sends no
    /// frame larger than the other accepts.
    /// </summary>
    /// <exception cref="ProtocolException">The peer did not answer with a hello, or speaks another protocol version.</exception>
    public async Task<Hello> HandshakeAsync(Hello mine, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mine);
        await SendAsync(mine, cancellationToken).ConfigureAwait(false);
        Message? answer = await ReceiveAsync(cancellationToken).ConfigureAwait(false);
        switch (answer)
        {
            case Hello peer when peer.ProtocolVersion == mine.ProtocolVersion:
                _reader.MaxFrameLength = mine.MaxFrameLength;
                _writer.MaxFrameLength = Math.Max(1, peer.MaxFrameLength);
                Peer = peer;
                return peer;
            case Hello peer:
                string text = $"Protocol version mismatch: {mine.Name} speaks version {mine.ProtocolVersion} (Repartir {mine.SoftwareVersion}), {peer.Name} speaks version {peer.ProtocolVersion} (Repartir {peer.SoftwareVersion}).";
                await TrySendAsync(new ErrorMessage(MessageCodec.VersionMismatch, text, Fatal: true)).ConfigureAwait(false);
                throw new ProtocolException(MessageCodec.VersionMismatch, text);
            case ErrorMessage error:
                throw new ProtocolException(error.Code, "The peer refused the handshake: " + error.Text);
            case null:
                throw new ProtocolException(MessageCodec.BadMessage, "The peer closed the connection during the handshake.");
            default:
                throw new ProtocolException(MessageCodec.BadMessage, $"The peer's first message was {answer.GetType().Name}, not hello.");
        }
    }

    /// <summary>Sends a message if the connection still allows it; failures are ignored (used on the way out).</summary>
    public async Task TrySendAsync(Message message)
    {
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await SendAsync(message, limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or FrameException)
        {
            // The peer is gone or the message cannot be sent; the connection is closing anyway.
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
