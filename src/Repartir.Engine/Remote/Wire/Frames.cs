using System.Buffers;
using System.Buffers.Binary;

namespace Repartir.Remote.Wire;

/// <summary>A frame the peer sent that cannot be accepted; the connection cannot continue after it.</summary>
public sealed class FrameException : IOException
{
    /// <summary>Creates the exception.</summary>
    public FrameException(string message, long declaredLength = -1)
        : base(message)
    {
        DeclaredLength = declaredLength;
    }

    /// <summary>The length the frame declared, when the problem was its size; otherwise −1.</summary>
    public long DeclaredLength { get; }
}

/// <summary>One received frame: a MessagePack value in a pooled buffer, returned to the pool on dispose.</summary>
public sealed class Frame : IDisposable
{
    private byte[]? _buffer;

    internal Frame(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    /// <summary>The value's bytes.</summary>
    public ReadOnlySpan<byte> Span => (_buffer ?? throw new ObjectDisposedException(nameof(Frame))).AsSpan(0, Length);

    /// <summary>The value's length in bytes.</summary>
    public int Length { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}

/// <summary>
/// Reads frames — a 4-byte big-endian length, then one MessagePack value — from a stream. A length above
/// <see cref="MaxFrameLength"/> is refused before anything is allocated for it. Reads go through a buffer, so a
/// frame usually costs one read of the socket, and several small frames that arrived together cost one between them.
/// </summary>
public sealed class FrameReader
{
    /// <summary>The frame size every peer accepts before the handshake negotiates another: 1 MiB.</summary>
    public const int DefaultMaxFrameLength = 1 << 20;

    private const int BufferSize = 64 * 1024;

    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[BufferSize];
    private int _start; // the first byte read from the stream and not yet handed out
    private int _end;   // one past the last byte read from the stream

    /// <summary>Reads from <paramref name="stream"/>.</summary>
    public FrameReader(Stream stream, int maxFrameLength = DefaultMaxFrameLength)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        MaxFrameLength = maxFrameLength;
    }

    /// <summary>The largest frame accepted; the handshake may change it.</summary>
    public int MaxFrameLength
    {
        get;
        set => field = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The maximum frame length must be positive.");
    }

    private int Buffered => _end - _start;

    /// <summary>
    /// The next frame, or null when the peer closed the stream cleanly between frames.
    /// </summary>
    /// <exception cref="FrameException">The frame is too large, or the stream ended inside it.</exception>
    public async ValueTask<Frame?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (!await FillAsync(4, cancellationToken).ConfigureAwait(false))
        {
            return Buffered == 0 ? null : throw new FrameException($"The stream ended inside a frame header ({Buffered} of 4 bytes).");
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start, 4));
        if (length > (uint)MaxFrameLength)
        {
            throw new FrameException($"A frame of {length} bytes exceeds the maximum of {MaxFrameLength}.", length);
        }

        _start += 4;
        byte[] frame = ArrayPool<byte>.Shared.Rent((int)Math.Max(length, 1));
        try
        {
            int copied = Math.Min(Buffered, (int)length);
            _buffer.AsSpan(_start, copied).CopyTo(frame);
            _start += copied;
            if (copied < length)
            {
                // The rest of a frame larger than what was buffered goes straight into it.
                int read = copied + await ReadAtLeastAsync(frame.AsMemory(copied, (int)length - copied), cancellationToken).ConfigureAwait(false);
                if (read < length)
                {
                    throw new FrameException($"The stream ended inside a frame ({read} of {length} bytes).");
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(frame);
            throw;
        }

        return new Frame(frame, (int)length);
    }

    /// <summary>Reads until at least <paramref name="count"/> bytes are buffered (as many as the stream has, up to the buffer's size); false at the end of the stream before that.</summary>
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (Buffered >= count)
        {
            return true;
        }

        if (_start > 0)
        {
            _buffer.AsSpan(_start, Buffered).CopyTo(_buffer);
            _end = Buffered;
            _start = 0;
        }

        while (_end < count)
        {
            int read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }

            _end += read;
        }

        return true;
    }

    private async ValueTask<int> ReadAtLeastAsync(Memory<byte> target, CancellationToken cancellationToken) =>
        target.Length == 0 ? 0 : await _stream.ReadAtLeastAsync(target, target.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
}

/// <summary>
/// Writes frames to a stream. Safe for concurrent senders: each frame is built in its own pooled buffer
/// and written whole under a lock, so frames never interleave. It owns nothing to dispose: closing the stream
/// ends a write in progress, and the senders waiting behind it then fail on the closed stream.
/// </summary>
public sealed class FrameWriter
{
    private readonly Stream _stream;

    // Never disposed: a disposed SemaphoreSlim strands the senders waiting on it (and a Release after the dispose
    // throws instead of releasing), and one whose wait handle is never asked for holds nothing to free.
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Writes to <paramref name="stream"/>.</summary>
    public FrameWriter(Stream stream, int maxFrameLength = FrameReader.DefaultMaxFrameLength)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        MaxFrameLength = maxFrameLength;
    }

    /// <summary>The largest frame the peer accepts; the handshake may change it.</summary>
    public int MaxFrameLength
    {
        get;
        set => field = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The maximum frame length must be positive.");
    }

    /// <summary>Sends one frame whose value <paramref name="write"/> writes; returns the bytes sent, its length prefix included.</summary>
    /// <exception cref="FrameException">The value is larger than the peer accepts (nothing was sent).</exception>
    public async ValueTask<int> WriteAsync(FrameContent write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);

        // Encoded in turn, not before: senders waiting for a slow reader hold their values, never a second, encoded
        // copy of each (a worker holding results with 16 MiB of output for a client that does not read).
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var buffer = new PooledBufferWriter();
            buffer.Advance(4); // room for the length, patched below
            var writer = new MessagePackWriter(buffer);
            write(ref writer);
            int length = buffer.WrittenMemory.Length - 4;
            if (length > MaxFrameLength)
            {
                throw new FrameException($"A frame of {length} bytes exceeds the peer's maximum of {MaxFrameLength}; it was not sent.", length);
            }

            BinaryPrimitives.WriteUInt32BigEndian(buffer.WrittenSpan, (uint)length);
            await _stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            return length + 4;
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>Writes one frame's MessagePack value.</summary>
public delegate void FrameContent(ref MessagePackWriter writer);
