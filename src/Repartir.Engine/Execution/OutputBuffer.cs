using System.Buffers;

namespace Repartir.Execution;

/// <summary>
/// Collects one output stream up to a cap. Past the cap the stream is still read (so the child never
/// blocks on a full pipe) but discarded, and <see cref="Truncated"/> is set.
/// </summary>
/// <remarks>
/// The bytes are kept in pooled chunks the size of a pipe's buffer and copied once, into the result's array. A
/// buffer that doubled as it grew would allocate, copy and drop every size up to the output's on the large object
/// heap, and the GC would see that garbage late: tasks with 16 MiB of output each drove a run past 1 GB.
/// </remarks>
internal sealed class OutputBuffer : IDisposable
{
    private const int ChunkSize = 64 * 1024; // a Linux pipe's default capacity, and below the large object heap
    private readonly int _cap;
    private readonly List<byte[]> _chunks = [];
    private int _length;

    /// <summary>Collects up to <paramref name="cap"/> bytes; 0 for as much as one array holds.</summary>
    internal OutputBuffer(int cap) => _cap = cap == 0 ? Array.MaxLength : cap;

    internal bool Truncated { get; private set; }

    /// <summary>The span the next read should fill; empty once the cap is reached.</summary>
    internal Span<byte> GetWritableSpan()
    {
        if (_length >= _cap)
        {
            return Span<byte>.Empty;
        }

        int used = _length % ChunkSize;
        if (used == 0 && _length / ChunkSize == _chunks.Count)
        {
            _chunks.Add(ArrayPool<byte>.Shared.Rent(ChunkSize));
        }

        return _chunks[^1].AsSpan(used, Math.Min(ChunkSize - used, _cap - _length));
    }

    /// <summary>Records that <paramref name="count"/> bytes were written into the span from <see cref="GetWritableSpan"/>.</summary>
    internal void Advance(int count) => _length += count;

    /// <summary>Records that bytes beyond the cap were read and dropped.</summary>
    internal void MarkTruncated() => Truncated = true;

    internal byte[] ToArray()
    {
        if (_length == 0)
        {
            return [];
        }

        byte[] bytes = GC.AllocateUninitializedArray<byte>(_length);
        for (int i = 0, offset = 0; offset < _length; i++, offset += ChunkSize)
        {
            _chunks[i].AsSpan(0, Math.Min(ChunkSize, _length - offset)).CopyTo(bytes.AsSpan(offset));
        }

        return bytes;
    }

    public void Dispose()
    {
        foreach (byte[] chunk in _chunks)
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        _chunks.Clear();
    }
}
