using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Repartir.Remote.Wire;

/// <summary>
/// Writes MessagePack straight into an <see cref="IBufferWriter{T}"/>, always in the smallest encoding
/// the specification allows for the value (fixint before uint8, fixstr before str8, and so on).
/// </summary>
public ref struct MessagePackWriter
{
    /// <summary>The span asked for at a time when copying raw bytes: small enough for any output's segments.</summary>
    private const int RawPiece = 1 << 16;

    private readonly IBufferWriter<byte> _output;

    /// <summary>Writes to <paramref name="output"/>.</summary>
    public MessagePackWriter(IBufferWriter<byte> output) => _output = output ?? throw new ArgumentNullException(nameof(output));

    /// <summary>nil.</summary>
    public readonly void WriteNil() => WriteByte(MessagePackCode.Nil);

    /// <summary>true or false.</summary>
    public readonly void Write(bool value) => WriteByte(value ? MessagePackCode.True : MessagePackCode.False);

    /// <summary>A signed integer, in the smallest format that holds it (non-negative values use the unsigned formats).</summary>
    public readonly void Write(long value)
    {
        if (value >= 0)
        {
            Write((ulong)value);
        }
        else if (value >= -32)
        {
            WriteByte(unchecked((byte)(sbyte)value));
        }
        else if (value >= sbyte.MinValue)
        {
            Span<byte> span = _output.GetSpan(2);
            span[0] = MessagePackCode.Int8;
            span[1] = unchecked((byte)(sbyte)value);
            _output.Advance(2);
        }
        else if (value >= short.MinValue)
        {
            Span<byte> span = _output.GetSpan(3);
            span[0] = MessagePackCode.Int16;
            BinaryPrimitives.WriteInt16BigEndian(span[1..], (short)value);
            _output.Advance(3);
        }
        else if (value >= int.MinValue)
        {
            Span<byte> span = _output.GetSpan(5);
            span[0] = MessagePackCode.Int32;
            BinaryPrimitives.WriteInt32BigEndian(span[1..], (int)value);
            _output.Advance(5);
        }
        else
        {
            Span<byte> span = _output.GetSpan(9);
            span[0] = MessagePackCode.Int64;
            BinaryPrimitives.WriteInt64BigEndian(span[1..], value);
            _output.Advance(9);
        }
    }

    /// <summary>An unsigned integer, in the smallest format that holds it.</summary>
    public readonly void Write(ulong value)
    {
        if (value <= MessagePackCode.MaxPositiveFixInt)
        {
            WriteByte((byte)value);
        }
        else if (value <= byte.MaxValue)
        {
            Span<byte> span = _output.GetSpan(2);
            span[0] = MessagePackCode.UInt8;
            span[1] = (byte)value;
            _output.Advance(2);
        }
        else if (value <= ushort.MaxValue)
        {
            WriteHeader16(MessagePackCode.UInt16, (ushort)value);
        }
        else if (value <= uint.MaxValue)
        {
            WriteHeader32(MessagePackCode.UInt32, (uint)value);
        }
        else
        {
            Span<byte> span = _output.GetSpan(9);
            span[0] = MessagePackCode.UInt64;
            BinaryPrimitives.WriteUInt64BigEndian(span[1..], value);
            _output.Advance(9);
        }
    }

    /// <summary>A float32.</summary>
    public readonly void Write(float value)
    {
        Span<byte> span = _output.GetSpan(5);
        span[0] = MessagePackCode.Float32;
        BinaryPrimitives.WriteSingleBigEndian(span[1..], value);
        _output.Advance(5);
    }

    /// <summary>A float64.</summary>
    public readonly void Write(double value)
    {
        Span<byte> span = _output.GetSpan(9);
        span[0] = MessagePackCode.Float64;
        BinaryPrimitives.WriteDoubleBigEndian(span[1..], value);
        _output.Advance(9);
    }

    /// <summary>A string as UTF-8 (nil when <paramref name="value"/> is null).</summary>
    public readonly void Write(string? value)
    {
        if (value is null)
        {
            WriteNil();
            return;
        }

        int length = Encoding.UTF8.GetByteCount(value);
        WriteStringHeader(length);
        Span<byte> span = _output.GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        _output.Advance(length);
    }

    /// <summary>The header of a string of <paramref name="byteCount"/> UTF-8 bytes (the bytes follow with <see cref="WriteRaw"/>).</summary>
    public readonly void WriteStringHeader(int byteCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        if (byteCount <= 31)
        {
            WriteByte((byte)(MessagePackCode.MinFixStr | byteCount));
        }
        else if (byteCount <= byte.MaxValue)
        {
            Span<byte> span = _output.GetSpan(2);
            span[0] = MessagePackCode.Str8;
            span[1] = (byte)byteCount;
            _output.Advance(2);
        }
        else if (byteCount <= ushort.MaxValue)
        {
            WriteHeader16(MessagePackCode.Str16, (ushort)byteCount);
        }
        else
        {
            WriteHeader32(MessagePackCode.Str32, (uint)byteCount);
        }
    }

    /// <summary>A byte array (bin8–32).</summary>
    public readonly void Write(ReadOnlySpan<byte> value)
    {
        WriteBinaryHeader(value.Length);
        WriteRaw(value);
    }

    /// <summary>The header of a byte array of <paramref name="length"/> bytes.</summary>
    public readonly void WriteBinaryHeader(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length <= byte.MaxValue)
        {
            Span<byte> span = _output.GetSpan(2);
            span[0] = MessagePackCode.Bin8;
            span[1] = (byte)length;
            _output.Advance(2);
        }
        else if (length <= ushort.MaxValue)
        {
            WriteHeader16(MessagePackCode.Bin16, (ushort)length);
        }
        else
        {
            WriteHeader32(MessagePackCode.Bin32, (uint)length);
        }
    }

    /// <summary>The header of an array of <paramref name="count"/> elements (the elements follow).</summary>
    public readonly void WriteArrayHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 15)
        {
            WriteByte((byte)(MessagePackCode.MinFixArray | count));
        }
        else if (count <= ushort.MaxValue)
        {
            WriteHeader16(MessagePackCode.Array16, (ushort)count);
        }
        else
        {
            WriteHeader32(MessagePackCode.Array32, (uint)count);
        }
    }

    /// <summary>The header of a map of <paramref name="count"/> key–value pairs (the pairs follow).</summary>
    public readonly void WriteMapHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 15)
        {
            WriteByte((byte)(MessagePackCode.MinFixMap | count));
        }
        else if (count <= ushort.MaxValue)
        {
            WriteHeader16(MessagePackCode.Map16, (ushort)count);
        }
        else
        {
            WriteHeader32(MessagePackCode.Map32, (uint)count);
        }
    }

    /// <summary>An extension value: a type code and its payload (fixext when the length allows).</summary>
    public readonly void WriteExtension(sbyte type, ReadOnlySpan<byte> payload)
    {
        byte fixCode = payload.Length switch
        {
            1 => MessagePackCode.FixExt1,
            2 => MessagePackCode.FixExt2,
            4 => MessagePackCode.FixExt4,
            8 => MessagePackCode.FixExt8,
            16 => MessagePackCode.FixExt16,
            _ => 0,
        };
        if (fixCode != 0)
        {
            Span<byte> span = _output.GetSpan(2);
            span[0] = fixCode;
            span[1] = unchecked((byte)type);
            _output.Advance(2);
        }
        else if (payload.Length <= byte.MaxValue)
        {
            Span<byte> span = _output.GetSpan(3);
            span[0] = MessagePackCode.Ext8;
            span[1] = (byte)payload.Length;
            span[2] = unchecked((byte)type);
            _output.Advance(3);
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            Span<byte> span = _output.GetSpan(4);
            span[0] = MessagePackCode.Ext16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)payload.Length);
            span[3] = unchecked((byte)type);
            _output.Advance(4);
        }
        else
        {
            Span<byte> span = _output.GetSpan(6);
            span[0] = MessagePackCode.Ext32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)payload.Length);
            span[5] = unchecked((byte)type);
            _output.Advance(6);
        }

        WriteRaw(payload);
    }

    /// <summary>
    /// A timestamp (extension −1) in the smallest of the specification's three forms: 32-bit seconds,
    /// 64-bit (30-bit nanoseconds and 34-bit seconds), or 96-bit (32-bit nanoseconds and signed 64-bit seconds).
    /// </summary>
    public readonly void WriteTimestamp(long seconds, uint nanoseconds)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(nanoseconds, 1_000_000_000u);
        Span<byte> payload = stackalloc byte[12];
        if (seconds >> 34 == 0)
        {
            ulong packed = ((ulong)nanoseconds << 34) | (ulong)seconds;
            if ((packed & 0xffffffff00000000UL) == 0)
            {
                BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)packed);
                WriteExtension(MessagePackCode.TimestampExtension, payload[..4]);
            }
            else
            {
                BinaryPrimitives.WriteUInt64BigEndian(payload, packed);
                WriteExtension(MessagePackCode.TimestampExtension, payload[..8]);
            }
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(payload, nanoseconds);
            BinaryPrimitives.WriteInt64BigEndian(payload[4..], seconds);
            WriteExtension(MessagePackCode.TimestampExtension, payload);
        }
    }

    /// <summary>A point in time as a timestamp extension (sub-tick precision is not representable in .NET).</summary>
    public readonly void Write(DateTimeOffset value)
    {
        long ticks = value.UtcTicks - DateTimeOffset.UnixEpoch.Ticks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }

        WriteTimestamp(seconds, (uint)(remainder * 100));
    }

    /// <summary>
    /// Bytes as they are (the payload after a header written with one of the Write*Header methods), copied in as many
    /// pieces as the output hands out: a segmented output (a checkpoint's chunks) never needs one span of a large value's size.
    /// </summary>
    public readonly void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            Span<byte> span = _output.GetSpan(Math.Min(bytes.Length, RawPiece));
            int piece = Math.Min(span.Length, bytes.Length);
            bytes[..piece].CopyTo(span);
            _output.Advance(piece);
            bytes = bytes[piece..];
        }
    }

    private readonly void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    private readonly void WriteHeader16(byte code, ushort value)
    {
        Span<byte> span = _output.GetSpan(3);
        span[0] = code;
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], value);
        _output.Advance(3);
    }

    private readonly void WriteHeader32(byte code, uint value)
    {
        Span<byte> span = _output.GetSpan(5);
        span[0] = code;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], value);
        _output.Advance(5);
    }
}
