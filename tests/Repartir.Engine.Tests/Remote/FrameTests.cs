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
        long before = GC.GetAllocatedBytesForCurrentThread();

        var error = await Assert.ThrowsAsync<FrameException>(async () => await new FrameReader(new MemoryStream(header), maxFrameLength: 1024).ReadAsync());

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
