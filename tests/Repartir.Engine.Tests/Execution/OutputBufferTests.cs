using Repartir.Execution;

namespace Repartir.Tests.Execution;

public sealed class OutputBufferTests
{
    [Theory]
    [InlineData(0, 200_000)] // no cap
    [InlineData(65_536, 200_000)] // a cap on a chunk's edge
    [InlineData(100_001, 200_000)] // a cap inside a chunk
    [InlineData(1_000_000, 150_000)] // under the cap
    public void Bytes_written_in_uneven_reads_come_back_in_order_up_to_the_cap(int cap, int written)
    {
        byte[] source = [.. Enumerable.Range(0, written).Select(i => (byte)(i * 7))];
        using var buffer = new OutputBuffer(cap);
        int offset = 0;
        var random = new Random(3);
        while (offset < written)
        {
            Span<byte> target = buffer.GetWritableSpan();
            if (target.IsEmpty)
            {
                buffer.MarkTruncated();
                break;
            }

            int count = Math.Min(Math.Min(target.Length, random.Next(1, 40_000)), written - offset);
            source.AsSpan(offset, count).CopyTo(target);
            buffer.Advance(count);
            offset += count;
        }

        int kept = cap == 0 ? written : Math.Min(cap, written);
        Assert.Equal(source.AsSpan(0, kept).ToArray(), buffer.ToArray());
        Assert.Equal(kept < written, buffer.Truncated);
    }
}
