using System.Buffers;

namespace Repartir.Execution;

/// <summary>
/// Collects one output stream up to a cap. Past the cap the stream is still read (so the child never
/// blocks on a full pipe) but discarded, and <see cref="Truncated"/> is set.
/// </summary>
internal sealed class OutputBuffer : IDisposable
{
    private const int InitialSize = 4096;
    private readonly int _cap;
    private byte[]? _buffer;
    private int _length;

    /// <summary>Collects up to <paramref name="cap"/> bytes; 0 for as much as one buffer holds.</summary>
    internal OutputBuffer(int cap) => _cap = cap == 0 ? Array.MaxLength : cap;

    internal bool Truncated { get; private set; }

    /// <summary>The span the next read should fill; empty once the cap is reached.</summary>
    internal Span<byte> GetWritableSpan()
    {
        if (_length >= _cap)
        {
            return Span<byte>.Empty;
        }

        if (_buffer is null || _length == _buffer.Length)
        {
            int size = Math.Min(_cap, _buffer is null ? InitialSize : _buffer.Length * 2);
            byte[] grown = ArrayPool<byte>.Shared.Rent(size);
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _length).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = grown;
        }

        return _buffer.AsSpan(_length, Math.Min(_buffer.Length, _cap) - _length);
    }

    /// <summary>Records that <paramref name="count"/> bytes were written into the span from <see cref="GetWritableSpan"/>.</summary>
    internal void Advance(int count) => _length += count;

    /// <summary>Records that bytes beyond the cap were read and dropped.</summary>
    internal void MarkTruncated() => Truncated = true;

    internal byte[] ToArray() => _length == 0 ? [] : _buffer.AsSpan(0, _length).ToArray();

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
