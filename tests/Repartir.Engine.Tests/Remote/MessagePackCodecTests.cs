using System.Buffers;
using Repartir.Remote.Wire;

namespace Repartir.Tests.Remote;

public sealed class MessagePackCodecTests
{
    private delegate void Writing(ref MessagePackWriter writer);

    private static byte[] Encode(Writing write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        return buffer.WrittenSpan.ToArray();
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    [Theory]
    [InlineData(0L, "00")]
    [InlineData(127L, "7f")]
    [InlineData(128L, "cc80")]
    [InlineData(255L, "ccff")]
    [InlineData(256L, "cd0100")]
    [InlineData(65535L, "cdffff")]
    [InlineData(65536L, "ce00010000")]
    [InlineData(4294967295L, "ceffffffff")]
    [InlineData(4294967296L, "cf0000000100000000")]
    [InlineData(long.MaxValue, "cf7fffffffffffffff")]
    [InlineData(-1L, "ff")]
    [InlineData(-32L, "e0")]
    [InlineData(-33L, "d0df")]
    [InlineData(-128L, "d080")]
    [InlineData(-129L, "d1ff7f")]
    [InlineData(-32768L, "d18000")]
    [InlineData(-32769L, "d2ffff7fff")]
    [InlineData(-2147483648L, "d280000000")]
    [InlineData(-2147483649L, "d3ffffffff7fffffff")]
    [InlineData(long.MinValue, "d38000000000000000")]
    public void Integers_use_the_smallest_encoding_at_every_width_boundary(long value, string hex)
    {
        byte[] bytes = Encode((ref MessagePackWriter w) => w.Write(value));

        Assert.Equal(hex, Hex(bytes));
        var reader = new MessagePackReader(bytes);
        Assert.Equal(value, reader.ReadInt64());
        Assert.True(reader.End);
    }

    [Fact]
    public void UInt64_above_the_signed_range_round_trips_and_is_refused_as_signed()
    {
        byte[] bytes = Encode((ref MessagePackWriter w) => w.Write(ulong.MaxValue));
        Assert.Equal("cfffffffffffffffff", Hex(bytes));
        Assert.Equal(ulong.MaxValue, new MessagePackReader(bytes).ReadUInt64());

        var error = Assert.Throws<MessagePackFormatException>(() => new MessagePackReader(bytes).ReadInt64());
        Assert.Equal(MessagePackError.Overflow, error.Error);
        Assert.Equal(MessagePackError.Overflow, Assert.Throws<MessagePackFormatException>(() => new MessagePackReader([0xff]).ReadUInt64()).Error);
        Assert.Equal(MessagePackError.Overflow, Assert.Throws<MessagePackFormatException>(() => new MessagePackReader([0xce, 0xff, 0xff, 0xff, 0xff]).ReadInt32()).Error);
    }

    [Fact]
    public void Nil_booleans_and_floats_have_their_spec_bytes()
    {
        Assert.Equal("c0", Hex(Encode((ref MessagePackWriter w) => w.WriteNil())));
        Assert.Equal("c3c2", Hex(Encode((ref MessagePackWriter w) => { w.Write(true); w.Write(false); })));
        Assert.Equal("ca3fc00000", Hex(Encode((ref MessagePackWriter w) => w.Write(1.5f))));
        Assert.Equal("cb3ff8000000000000", Hex(Encode((ref MessagePackWriter w) => w.Write(1.5))));

        foreach (double special in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, double.Epsilon, double.MaxValue })
        {
            byte[] bytes = Encode((ref MessagePackWriter w) => w.Write(special));
            Assert.Equal(BitConverter.DoubleToInt64Bits(special), BitConverter.DoubleToInt64Bits(new MessagePackReader(bytes).ReadDouble()));
        }

        Assert.Equal(float.NaN, new MessagePackReader(Encode((ref MessagePackWriter w) => w.Write(float.NaN))).ReadSingle());
    }

    [Theory]
    [InlineData(0, "a0")]
    [InlineData(31, "bf")]
    [InlineData(32, "d920")]
    [InlineData(255, "d9ff")]
    [InlineData(256, "da0100")]
    [InlineData(65535, "daffff")]
    [InlineData(65536, "db00010000")]
    public void Strings_use_fixstr_then_str8_16_32(int length, string headerHex)
    {
        string text = new('x', length);
        byte[] bytes = Encode((ref MessagePackWriter w) => w.Write(text));

        Assert.StartsWith(headerHex, Hex(bytes[..(headerHex.Length / 2)]), StringComparison.Ordinal);
        Assert.Equal(text, new MessagePackReader(bytes).ReadString());
    }

    [Fact]
    public void Multibyte_UTF8_is_counted_in_bytes_and_invalid_UTF8_is_refused()
    {
        byte[] bytes = Encode((ref MessagePackWriter w) => w.Write("héllo 🌍"));
        Assert.Equal(0xa0 | 11, bytes[0]);
        Assert.Equal("héllo 🌍", new MessagePackReader(bytes).ReadString());

        var error = Assert.Throws<MessagePackFormatException>(() => new MessagePackReader([0xa2, 0xc3, 0x28]).ReadString());
        Assert.Equal(MessagePackError.InvalidUtf8, error.Error);
        Assert.Null(new MessagePackReader([0xc0]).ReadString());
    }

    [Theory]
    [InlineData(0, "c400")]
    [InlineData(255, "c4ff")]
    [InlineData(256, "c50100")]
    [InlineData(70000, "c600011170")]
    public void Binaries_use_bin8_16_32_and_come_back_as_slices(int length, string headerHex)
    {
        byte[] payload = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        byte[] bytes = Encode((ref MessagePackWriter w) => w.Write(payload));

        Assert.Equal(headerHex, Hex(bytes[..(headerHex.Length / 2)]));
        Assert.True(new MessagePackReader(bytes).ReadBinary().SequenceEqual(payload));
    }

    [Theory]
    [InlineData(0, "90", "80")]
    [InlineData(15, "9f", "8f")]
    [InlineData(16, "dc0010", "de0010")]
    [InlineData(65535, "dcffff", "deffff")]
    [InlineData(65536, "dd00010000", "df00010000")]
    public void Collection_headers_use_fix_then_16_then_32(int count, string arrayHex, string mapHex)
    {
        Assert.Equal(arrayHex, Hex(Encode((ref MessagePackWriter w) => w.WriteArrayHeader(count))));
        Assert.Equal(mapHex, Hex(Encode((ref MessagePackWriter w) => w.WriteMapHeader(count))));
    }

    [Theory]
    [InlineData(1, "d405")]
    [InlineData(2, "d505")]
    [InlineData(4, "d605")]
    [InlineData(8, "d705")]
    [InlineData(16, "d805")]
    [InlineData(3, "c70305")]
    [InlineData(0, "c70005")]
    [InlineData(300, "c8012c05")]
    [InlineData(70000, "c90001117005")]
    public void Extensions_use_fixext_when_the_length_allows(int length, string headerHex)
    {
        byte[] payload = Enumerable.Repeat((byte)0xab, length).ToArray();
        byte[] bytes = Encode((ref MessagePackWriter w) => w.WriteExtension(5, payload));

        Assert.Equal(headerHex, Hex(bytes[..(headerHex.Length / 2)]));
        var reader = new MessagePackReader(bytes);
        Assert.Equal(5, reader.ReadExtension(out ReadOnlySpan<byte> read));
        Assert.True(read.SequenceEqual(payload));
    }

    [Theory]
    [InlineData(0L, 0u, "d6ff00000000")]
    [InlineData(4294967295L, 0u, "d6ffffffffff")]
    [InlineData(1L, 1u, "d7ff0000000400000001")]
    [InlineData(17179869183L, 999999999u, "d7ffee6b27ffffffffff")]
    [InlineData(17179869184L, 0u, "c70cff000000000000000400000000")]
    [InlineData(-1L, 500u, "c70cff000001f4ffffffffffffffff")]
    public void Timestamps_use_the_smallest_of_the_three_forms(long seconds, uint nanoseconds, string hex)
    {
        byte[] bytes = Encode((ref MessagePackWriter w) => w.WriteTimestamp(seconds, nanoseconds));

        Assert.Equal(hex, Hex(bytes));
        Assert.Equal((seconds, nanoseconds), new MessagePackReader(bytes).ReadTimestamp());
    }

    [Fact]
    public void DateTimeOffset_round_trips_to_the_tick_including_before_1970()
    {
        foreach (DateTimeOffset moment in new[] { DateTimeOffset.UnixEpoch, new DateTimeOffset(2026, 11, 21, 11, 13, 0, TimeSpan.Zero).AddTicks(1234567), new DateTimeOffset(1969, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(1), DateTimeOffset.MaxValue, DateTimeOffset.MinValue })
        {
            byte[] bytes = Encode((ref MessagePackWriter w) => w.Write(moment));
            Assert.Equal(moment.UtcTicks, new MessagePackReader(bytes).ReadDateTimeOffset().UtcTicks);
        }

        Assert.Equal(MessagePackError.InvalidTimestamp, Assert.Throws<MessagePackFormatException>(() => new MessagePackReader([0xd5, 0xff, 0, 0]).ReadTimestamp()).Error);
    }

    [Fact]
    public void Declared_lengths_beyond_the_input_are_refused_before_allocating()
    {
        Assert.Equal(MessagePackError.LengthExceedsInput, Assert.Throws<MessagePackFormatException>(() => new MessagePackReader([0xdb, 0xff, 0xff, 0xff, 0xff, 0x41]).ReadString()).Error);
        Assert.Equal(MessagePackError.LengthExceedsInput, Assert.Throws<MessagePackFormatException>(() => new MessagePackReader([0xc6, 0x7f, 0xff, 0xff, 0xff]).ReadBinary()).Error);
        Assert.Equal(MessagePackError.LengthExceedsInput, Assert.Throws<MessagePackFormatException>(() => new MessagePackReader([0xc9, 0x7f, 0xff, 0xff, 0xff, 0x01]).ReadExtension(out _)).Error);
        Assert.Equal(MessagePackError.Truncated, Assert.Throws<MessagePackFormatException>(() => new MessagePackReader([0xcd, 0x01]).ReadInt64()).Error);
        Assert.Equal(MessagePackError.Truncated, Assert.Throws<MessagePackFormatException>(() => new MessagePackReader([]).ReadInt64()).Error);
    }

    [Fact]
    public void Collection_counts_beyond_the_limit_or_the_input_are_refused()
    {
        Assert.Equal(MessagePackError.CollectionTooLarge, Assert.Throws<MessagePackFormatException>(() => new MessagePackReader([0xdd, 0xff, 0xff, 0xff, 0xff]).ReadArrayHeader()).Error);
        Assert.Equal(MessagePackError.CollectionTooLarge, Assert.Throws<MessagePackFormatException>(() => new MessagePackReader([0x93, 0x01, 0x02]).ReadArrayHeader()).Error);
        Assert.Equal(MessagePackError.CollectionTooLarge, Assert.Throws<MessagePackFormatException>(() => new MessagePackReader([0x82, 0x01, 0x02, 0x03]).ReadMapHeader()).Error);
        byte[] many = [0xdc, 0x00, 0x10, .. Enumerable.Repeat((byte)0, 16)];
        Assert.Equal(MessagePackError.CollectionTooLarge, Assert.Throws<MessagePackFormatException>(() => new MessagePackReader(many, new MessagePackReaderOptions(MaxCollectionCount: 8)).ReadArrayHeader()).Error);
        Assert.Equal(16, new MessagePackReader(many).ReadArrayHeader());
    }

    [Fact]
    public void Skip_walks_nested_values_and_refuses_nesting_beyond_the_limit()
    {
        byte[] nested = Encode((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            w.Write("list");
            w.WriteArrayHeader(3);
            w.Write(1);
            w.Write(new byte[300]);
            w.WriteTimestamp(5, 6);
            w.Write("map");
            w.WriteMapHeader(1);
            w.Write(-40000);
            w.Write(2.5);
        });
        byte[] withTrailer = [.. nested, 0x2a];
        var reader = new MessagePackReader(withTrailer);
        reader.Skip();
        Assert.Equal(nested.Length, reader.Position);
        Assert.Equal(42, reader.ReadInt32());

        byte[] deep = [.. Enumerable.Repeat((byte)0x91, 100), 0x00];
        Assert.Equal(MessagePackError.TooDeep, Assert.Throws<MessagePackFormatException>(() => new MessagePackReader(deep).Skip()).Error);
        var shallowEnough = new MessagePackReader(deep, new MessagePackReaderOptions(MaxDepth: 100));
        shallowEnough.Skip();
        Assert.True(shallowEnough.End);
    }

    [Fact]
    public void Limits_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MessagePackReader([0x00], default(MessagePackReaderOptions)));
        Assert.Equal(64, MessagePackReaderOptions.Default.MaxDepth);
    }

    [Fact]
    public void The_reserved_byte_and_wrong_types_are_named()
    {
        Assert.Equal(MessagePackError.ReservedByte, Assert.Throws<MessagePackFormatException>(() => new MessagePackReader([0xc1]).PeekType()).Error);
        var wrong = Assert.Throws<MessagePackFormatException>(() => new MessagePackReader([0xa1, 0x41]).ReadInt64());
        Assert.Equal(MessagePackError.UnexpectedType, wrong.Error);
        Assert.Contains("expected an integer, found String", wrong.Message, StringComparison.Ordinal);
        Assert.Equal(MessagePackError.UnexpectedType, Assert.Throws<MessagePackFormatException>(() => new MessagePackReader([0xcb, 0, 0, 0, 0, 0, 0, 0, 0]).ReadSingle()).Error);
    }

    [Fact]
    public void Random_garbage_never_escapes_as_anything_but_a_format_exception()
    {
        var random = new Random(20261121);
        byte[] buffer = new byte[64];
        for (int i = 0; i < 200_000; i++)
        {
            random.NextBytes(buffer);
            int length = random.Next(0, buffer.Length + 1);
            try
            {
                var reader = new MessagePackReader(buffer.AsSpan(0, length), new MessagePackReaderOptions(MaxDepth: 8, MaxCollectionCount: 1000));
                while (!reader.End)
                {
                    reader.Skip();
                }
            }
            catch (MessagePackFormatException)
            {
                // Refused cleanly: the only acceptable failure.
            }
        }
    }
}
