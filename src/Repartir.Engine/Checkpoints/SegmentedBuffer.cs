using System.Buffers;
using System.Security.Cryptography;

namespace Repartir.Checkpoints;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that grows by adding segments (rented from <see cref="ArrayPool{T}.Shared"/>)
/// instead of copying into ever larger arrays: a state of hundreds of MB is encoded once, hashed and stored a
/// segment at a time.
/// </summary>
internal sealed class SegmentedBuffer(int segmentSize) : IBufferWriter<byte>, IDisposable
{
    private readonly List<(byte[] Array, int Written)> _segments = [];

    /// <summary>Bytes written in all.</summary>
    public long Length { get; private set; }

    /// <summary>The written bytes, segment by segment, in order.</summary>
    public IEnumerable<ArraySegment<byte>> Segments => _segments.Select(s => new ArraySegment<byte>(s.Array, 0, s.Written));

    /// <summary>The SHA-256 of everything written, in lower-case hex.</summary>
    public string Sha256()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (ArraySegment<byte> segment in Segments)
        {
            hash.AppendData(segment);
        }

        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        (byte[] array, int written) = _segments[^1];
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, array.Length - written);
        _segments[^1] = (array, written + count);
        Length += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        (byte[] array, int written) = Current(sizeHint);
        return array.AsMemory(written);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        (byte[] array, int written) = Current(sizeHint);
        return array.AsSpan(written);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach ((byte[] array, _) in _segments)
        {
            ArrayPool<byte>.Shared.Return(array);
        }

        _segments.Clear();
    }

    private (byte[] Array, int Written) Current(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_segments.Count == 0 || _segments[^1].Array.Length - _segments[^1].Written < needed)
        {
            _segments.Add((ArrayPool<byte>.Shared.Rent(Math.Max(segmentSize, needed)), 0));
        }

        return _segments[^1];
    }
}
