using System.Buffers.Binary;
using Repartir.Remote.Wire;

namespace Repartir.Tests.Remote;

public sealed class FrameTests
{
    [Fact]
    public async Task Frames_round_trip_in_order_and_a_clean_close_ends_the_stream()
    {
        using var stream = new MemoryStream();
        var writer = new FrameWriter(stream);
        for (int i = 0; i < 100; i++)
        {
            int value = i;
            await writer.WriteAsync((ref MessagePackWriter w) =>
            {
                w.WriteArrayHeader(2);
                w.Write((long)value);
                w.Write(new string('x', value * 100));
            });
        }

        stream.Position = 0;
        var reader = new FrameReader(stream);
        for (int i = 0; i < 100; i++)
        {
            using Frame frame = (await reader.ReadAsync())!;
            var decoded = (List<object?>)MessagePackTree.Decode(frame.Span)!;
            Assert.Equal((long)i, decoded[0]);
            Assert.Equal(i * 100, ((string)decoded[1]!).Length);
        }

        Assert.Null(await reader.ReadAsync());
    }

    [Fact]
    public async Task Frames_of_any_size_read_right_however_the_stream_splits_them()
    {
        using var written = new MemoryStream();
        var writer = new FrameWriter(written, maxFrameLength: 1 << 20);
        int[] sizes = [0, 1, 3, 70_000, 5, 65_531, 65_532, 300_000, 2];
        foreach (int size in sizes)
        {
            await writer.WriteAsync((ref MessagePackWriter w) => w.Write(Enumerable.Range(0, size).Select(i => (byte)(i * 31 + size)).ToArray()));
        }

        // Reads of 1 to 9,000 bytes: frame boundaries fall anywhere, inside headers too.
        var reader = new FrameReader(new TrickleStream(written.ToArray(), new Random(5)), maxFrameLength: 1 << 20);
        foreach (int size in sizes)
        {
            using Frame frame = (await reader.ReadAsync())!;
            Assert.Equal(Enumerable.Range(0, size).Select(i => (byte)(i * 31 + size)), (byte[])MessagePackTree.Decode(frame.Span)!);
        }

        Assert.Null(await reader.ReadAsync());
    }

    /// <summary>Hands out its bytes a few at a time, as a socket may.</summary>
    private sealed class TrickleStream(byte[] bytes, Random random) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => bytes.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, random.Next(1, 9000)), bytes.Length - _position);
            bytes.AsSpan(_position, n).CopyTo(buffer.AsSpan(offset));
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task Concurrent_senders_never_interleave_frames()
    {
        using var stream = new MemoryStream();
        var writer = new FrameWriter(stream);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(sender => Task.Run(async () =>
        {
            for (int i = 0; i < 200; i++)
            {
                await writer.WriteAsync((ref MessagePackWriter w) => w.Write(new byte[1000 + sender]));
            }
        })));

        stream.Position = 0;
        var reader = new FrameReader(stream);
        int frames = 0;
        while (await reader.ReadAsync() is { } frame)
        {
            using (frame)
            {
                Assert.InRange(((byte[])MessagePackTree.Decode(frame.Span)!).Length, 1000, 1007);
                frames++;
            }
        }

        Assert.Equal(1600, frames);
    }

    [Fact]
    public async Task An_oversized_frame_is_refused_from_its_header_without_allocating()
    {
        byte[] header = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0xFFFFFFF0);
        var reader = new FrameReader(new MemoryStream(header), maxFrameLength: 1024); // its own read buffer is not the frame's
        long before = GC.GetAllocatedBytesForCurrentThread();

        var error = await Assert.ThrowsAsync<FrameException>(async () => await reader.ReadAsync());

        Assert.Equal(0xFFFFFFF0, error.DeclaredLength);
        Assert.Contains("exceeds the maximum of 1024", error.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024, "the reader allocated for a refused frame");
    }

    [Fact]
    public async Task Streams_that_end_inside_a_frame_are_truncation_errors()
    {
        Assert.Contains("frame header", (await Assert.ThrowsAsync<FrameException>(async () => await new FrameReader(new MemoryStream([0, 0])).ReadAsync())).Message, StringComparison.Ordinal);
        Assert.Contains("3 of 10 bytes", (await Assert.ThrowsAsync<FrameException>(async () => await new FrameReader(new MemoryStream([0, 0, 0, 10, 1, 2, 3])).ReadAsync())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sender_never_sends_a_frame_larger_than_the_peer_accepts()
    {
        using var stream = new MemoryStream();
        var writer = new FrameWriter(stream, maxFrameLength: 100);

        await Assert.ThrowsAsync<FrameException>(async () => await writer.WriteAsync((ref MessagePackWriter w) => w.Write(new byte[200])));
        Assert.Equal(0, stream.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.MaxFrameLength = 0);
    }
}
