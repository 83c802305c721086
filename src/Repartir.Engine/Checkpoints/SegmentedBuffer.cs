using System.Buffers;
using System.Security.Cryptography;

namespace Repartir.Checkpoints;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that grows by adding segments (rented from <see cref="ArrayPool{T}.Shared"/>)
/// instead of copying into ever larger arrays. One thread writes; others may take each segment as soon as the writer
/// has moved past it (<see cref="Completed"/>), so a state of hundreds of MB is hashed and stored while it is still
/// being encoded. The writer takes the lock only to move to a new segment, never per value.
/// </summary>
internal sealed class SegmentedBuffer(int segmentSize) : IBufferWriter<byte>, IDisposable
{
    private readonly object _gate = new();
    private readonly List<ArraySegment<byte>> _published = [];
    private byte[]? _current;
    private int _currentWritten;
    private bool _finished;
    private volatile bool _aborted;

    /// <summary>Bytes written in all.</summary>
    public long Length { get; private set; }

    /// <summary>
    /// The segments in order, each as soon as the writer has moved past it; ends after <see cref="Complete"/>, and
    /// throws <see cref="OperationCanceledException"/> after <see cref="Abort"/>. Several readers may each enumerate it.
    /// </summary>
    public IEnumerable<ArraySegment<byte>> Completed()
    {
        for (int index = 0; ; index++)
        {
            ArraySegment<byte> segment;
            lock (_gate)
            {
                while (index >= _published.Count && !_finished)
                {
                    Monitor.Wait(_gate);
                }

                if (_aborted)
                {
                    throw new OperationCanceledException("The state's encoding was abandoned.");
                }

                if (index >= _published.Count)
                {
                    yield break;
                }

                segment = _published[index];
            }

            yield return segment;
        }
    }

    /// <summary>The writer is done: every segment is complete.</summary>
    public void Complete() => Finish(aborted: false);

    /// <summary>The writing failed or its reader did: readers stop, and the writer's next request throws.</summary>
    public void Abort() => Finish(aborted: true);

    /// <summary>The SHA-256 of everything written, in lower-case hex, computed as segments complete.</summary>
    public string Sha256()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (ArraySegment<byte> segment in Completed())
        {
            hash.AppendData(segment);
        }

        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, (_current?.Length ?? 0) - _currentWritten);
        _currentWritten += count;
        Length += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0) => Current(sizeHint).AsMemory(_currentWritten);

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0) => Current(sizeHint).AsSpan(_currentWritten);

    /// <summary>Returns the segments to the pool; call it once no reader enumerates any more.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (ArraySegment<byte> segment in _published)
            {
                ArrayPool<byte>.Shared.Return(segment.Array!);
            }

            if (_current is not null)
            {
                ArrayPool<byte>.Shared.Return(_current);
                _current = null;
            }

            _published.Clear();
            _finished = true;
            Monitor.PulseAll(_gate);
        }
    }

    private byte[] Current(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_current is not null && _current.Length - _currentWritten >= needed && !_aborted)
        {
            return _current;
        }

        lock (_gate)
        {
            if (_aborted)
            {
                throw new OperationCanceledException("The state's encoding was abandoned: storing it failed.");
            }

            Publish();
            _current = ArrayPool<byte>.Shared.Rent(Math.Max(segmentSize, needed));
            _currentWritten = 0;
            return _current;
        }
    }

    private void Finish(bool aborted)
    {
        lock (_gate)
        {
            Publish();
            _finished = true;
            _aborted |= aborted;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Hands the segment being written to the readers (under the lock).</summary>
    private void Publish()
    {
        if (_current is not null)
        {
            _published.Add(new ArraySegment<byte>(_current, 0, _currentWritten));
            _current = null;
            Monitor.PulseAll(_gate);
        }
    }
}
