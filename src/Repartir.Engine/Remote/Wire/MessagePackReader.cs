using System.Buffers.Binary;
using System.Text;

namespace Repartir.Remote.Wire;

/// <summary>Limits a <see cref="MessagePackReader"/> enforces on untrusted input.</summary>
/// <param name="MaxDepth">How deeply arrays and maps may nest.</param>
/// <param name="MaxCollectionCount">The most elements one array or map may declare.</param>
public readonly record struct MessagePackReaderOptions(int MaxDepth = 64, int MaxCollectionCount = 1 << 20)
{
    /// <summary>The defaults: depth 64, one million elements. (<c>new()</c> would zero both: a struct's parameterless constructor ignores the defaults above.)</summary>
    public static MessagePackReaderOptions Default { get; } = new(MaxDepth: 64, MaxCollectionCount: 1 << 20);
}

/// <summary>
/// Reads MessagePack from a span without copying: strings and binaries come back as slices of the
/// input. Hostile input is refused with a <see cref="MessagePackFormatException"/> naming the problem
/// before anything is allocated for it: a declared length beyond the remaining bytes, a collection count
/// beyond the limit (or beyond what the remaining bytes could hold), nesting beyond the limit.
/// </summary>
public ref struct MessagePackReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _input;
    private readonly MessagePackReaderOptions _options;
    private int _position;

    /// <summary>Reads <paramref name="input"/> with <paramref name="options"/> (defaults when omitted).</summary>
    public MessagePackReader(ReadOnlySpan<byte> input, MessagePackReaderOptions? options = null)
    {
        _input = input;
        _options = options ?? MessagePackReaderOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxDepth, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxCollectionCount, nameof(options));
        _position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>True when every byte has been read.</summary>
    public readonly bool End => _position >= _input.Length;

    /// <summary>The type of the next value, without consuming it.</summary>
    public readonly MessagePackType PeekType()
    {
        byte code = PeekCode();
        return code switch
        {
            <= MessagePackCode.MaxPositiveFixInt or >= MessagePackCode.MinNegativeFixInt => MessagePackType.Integer,
            <= MessagePackCode.MaxFixMap => MessagePackType.Map,
            <= MessagePackCode.MaxFixArray => MessagePackType.Array,
            <= MessagePackCode.MaxFixStr => MessagePackType.String,
            MessagePackCode.Nil => MessagePackType.Nil,
            MessagePackCode.False or MessagePackCode.True => MessagePackType.Boolean,
            MessagePackCode.Bin8 or MessagePackCode.Bin16 or MessagePackCode.Bin32 => MessagePackType.Binary,
            MessagePackCode.Ext8 or MessagePackCode.Ext16 or MessagePackCode.Ext32 => MessagePackType.Extension,
            >= MessagePackCode.FixExt1 and <= MessagePackCode.FixExt16 => MessagePackType.Extension,
            MessagePackCode.Float32 or MessagePackCode.Float64 => MessagePackType.Float,
            >= MessagePackCode.UInt8 and <= MessagePackCode.Int64 => MessagePackType.Integer,
            MessagePackCode.Str8 or MessagePackCode.Str16 or MessagePackCode.Str32 => MessagePackType.String,
            MessagePackCode.Array16 or MessagePackCode.Array32 => MessagePackType.Array,
            MessagePackCode.Map16 or MessagePackCode.Map32 => MessagePackType.Map,
            _ => throw Error(MessagePackError.ReservedByte, "0xc1 is never used in MessagePack"),
        };
    }

    /// <summary>Consumes a nil if one is next.</summary>
    public bool TryReadNil()
    {
        if (PeekCode() != MessagePackCode.Nil)
        {
            return false;
        }

        _position++;
        return true;
    }

    /// <summary>Reads nil.</summary>
    public void ReadNil()
    {
        if (!TryReadNil())
        {
            throw Unexpected("nil");
        }
    }

    /// <summary>Reads true or false.</summary>
    public bool ReadBoolean()
    {
        byte code = PeekCode();
        if (code is not (MessagePackCode.True or MessagePackCode.False))
        {
            throw Unexpected("a boolean");
        }

        _position++;
        return code == MessagePackCode.True;
    }

    /// <summary>Reads any integer format as a signed 64-bit value.</summary>
    public long ReadInt64()
    {
        int start = _position;
        byte code = PeekCode();
        if (code == MessagePackCode.UInt64)
        {
            ulong value = BinaryPrimitives.ReadUInt64BigEndian(Take(9)[1..]);
            if (value > long.MaxValue)
            {
                _position = start;
                throw Error(MessagePackError.Overflow, $"{value} does not fit a signed 64-bit integer");
            }

            return (long)value;
        }

        return ReadSignedOrSmall(code);
    }

    /// <summary>Reads any integer format as an unsigned 64-bit value.</summary>
    public ulong ReadUInt64()
    {
        byte code = PeekCode();
        if (code == MessagePackCode.UInt64)
        {
            return BinaryPrimitives.ReadUInt64BigEndian(Take(9)[1..]);
        }

        int start = _position;
        long value = ReadSignedOrSmall(code);
        if (value < 0)
        {
            _position = start;
            throw Error(MessagePackError.Overflow, $"{value} does not fit an unsigned integer");
        }

        return (ulong)value;
    }

    /// <summary>Reads an integer that must fit 32 bits.</summary>
    public int ReadInt32()
    {
        int start = _position;
        long value = ReadInt64();
        if (value is < int.MinValue or > int.MaxValue)
        {
            _position = start;
            throw Error(MessagePackError.Overflow, $"{value} does not fit a 32-bit integer");
        }

        return (int)value;
    }

    /// <summary>Reads a float32 or float64.</summary>
    public double ReadDouble()
    {
        return PeekCode() switch
        {
            MessagePackCode.Float64 => BinaryPrimitives.ReadDoubleBigEndian(Take(9)[1..]),
            MessagePackCode.Float32 => BinaryPrimitives.ReadSingleBigEndian(Take(5)[1..]),
            _ => throw Unexpected("a float"),
        };
    }

    /// <summary>Reads a float32 (a float64 is refused rather than silently rounded).</summary>
    public float ReadSingle()
    {
        if (PeekCode() != MessagePackCode.Float32)
        {
            throw Unexpected("a float32");
        }

        return BinaryPrimitives.ReadSingleBigEndian(Take(5)[1..]);
    }

    /// <summary>Reads a string, or nil as null.</summary>
    public string? ReadString()
    {
        if (TryReadNil())
        {
            return null;
        }

        int start = _position;
        ReadOnlySpan<byte> utf8 = ReadStringBytes();
        try
        {
            return StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            _position = start;
            throw Error(MessagePackError.InvalidUtf8, "the string is not valid UTF-8");
        }
    }

    /// <summary>Reads a string's UTF-8 bytes as a slice of the input (no copy, no validation).</summary>
    public ReadOnlySpan<byte> ReadStringBytes()
    {
        byte code = PeekCode();
        int headerLength;
        long length;
        switch (code)
        {
            case >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr:
                headerLength = 1;
                length = code & 0x1f;
                break;
            case MessagePackCode.Str8:
                headerLength = 2;
                length = Peek(2)[1];
                break;
            case MessagePackCode.Str16:
                headerLength = 3;
                length = BinaryPrimitives.ReadUInt16BigEndian(Peek(3)[1..]);
                break;
            case MessagePackCode.Str32:
                headerLength = 5;
                length = BinaryPrimitives.ReadUInt32BigEndian(Peek(5)[1..]);
                break;
            default:
                throw Unexpected("a string");
        }

        return TakePayload(headerLength, length);
    }

    /// <summary>Reads a byte array as a slice of the input (no copy).</summary>
    public ReadOnlySpan<byte> ReadBinary()
    {
        (int headerLength, long length) = PeekCode() switch
        {
            MessagePackCode.Bin8 => (2, (long)Peek(2)[1]),
            MessagePackCode.Bin16 => (3, BinaryPrimitives.ReadUInt16BigEndian(Peek(3)[1..])),
            MessagePackCode.Bin32 => (5, (long)BinaryPrimitives.ReadUInt32BigEndian(Peek(5)[1..])),
            _ => throw Unexpected("a binary"),
        };
        return TakePayload(headerLength, length);
    }

    /// <summary>Reads an array header: the number of elements that follow.</summary>
    public int ReadArrayHeader()
    {
        byte code = PeekCode();
        (int headerLength, long count) = code switch
        {
            >= MessagePackCode.MinFixArray and <= MessagePackCode.MaxFixArray => (1, (long)(code & 0x0f)),
            MessagePackCode.Array16 => (3, BinaryPrimitives.ReadUInt16BigEndian(Peek(3)[1..])),
            MessagePackCode.Array32 => (5, (long)BinaryPrimitives.ReadUInt32BigEndian(Peek(5)[1..])),
            _ => throw Unexpected("an array"),
        };
        return TakeCollectionHeader(headerLength, count, bytesPerElement: 1);
    }

    /// <summary>Reads a map header: the number of key–value pairs that follow.</summary>
    public int ReadMapHeader()
    {
        byte code = PeekCode();
        (int headerLength, long count) = code switch
        {
            >= MessagePackCode.MinFixMap and <= MessagePackCode.MaxFixMap => (1, (long)(code & 0x0f)),
            MessagePackCode.Map16 => (3, BinaryPrimitives.ReadUInt16BigEndian(Peek(3)[1..])),
            MessagePackCode.Map32 => (5, (long)BinaryPrimitives.ReadUInt32BigEndian(Peek(5)[1..])),
            _ => throw Unexpected("a map"),
        };
        return TakeCollectionHeader(headerLength, count, bytesPerElement: 2);
    }

    /// <summary>Reads an extension: its type code, and its payload as a slice of the input.</summary>
    public sbyte ReadExtension(out ReadOnlySpan<byte> payload)
    {
        byte code = PeekCode();
        (int headerLength, long length) = code switch
        {
            MessagePackCode.FixExt1 => (2, 1L),
            MessagePackCode.FixExt2 => (2, 2L),
            MessagePackCode.FixExt4 => (2, 4L),
            MessagePackCode.FixExt8 => (2, 8L),
            MessagePackCode.FixExt16 => (2, 16L),
            MessagePackCode.Ext8 => (3, (long)Peek(3)[1]),
            MessagePackCode.Ext16 => (4, BinaryPrimitives.ReadUInt16BigEndian(Peek(4)[1..])),
            MessagePackCode.Ext32 => (6, (long)BinaryPrimitives.ReadUInt32BigEndian(Peek(6)[1..])),
            _ => throw Unexpected("an extension"),
        };
        sbyte type = unchecked((sbyte)Peek(headerLength)[headerLength - 1]);
        payload = TakePayload(headerLength, length);
        return type;
    }

    /// <summary>Reads a timestamp extension (−1) in any of its three forms.</summary>
    public (long Seconds, uint Nanoseconds) ReadTimestamp()
    {
        int start = _position;
        if (ReadExtension(out ReadOnlySpan<byte> payload) != MessagePackCode.TimestampExtension)
        {
            _position = start;
            throw Unexpected("a timestamp (extension -1)");
        }

        (long seconds, uint nanoseconds) = payload.Length switch
        {
            4 => (BinaryPrimitives.ReadUInt32BigEndian(payload), 0u),
            8 => ((long)(BinaryPrimitives.ReadUInt64BigEndian(payload) & 0x3ffffffffUL), (uint)(BinaryPrimitives.ReadUInt64BigEndian(payload) >> 34)),
            12 => (BinaryPrimitives.ReadInt64BigEndian(payload[4..]), BinaryPrimitives.ReadUInt32BigEndian(payload)),
            _ => (0L, uint.MaxValue),
        };
        if (nanoseconds >= 1_000_000_000u)
        {
            _position = start;
            throw Error(MessagePackError.InvalidTimestamp, payload.Length is 4 or 8 or 12 ? "timestamp nanoseconds must be below 10^9" : $"a timestamp has 4, 8 or 12 bytes, not {payload.Length}");
        }

        return (seconds, nanoseconds);
    }

    /// <summary>Reads a timestamp as a point in time (nanoseconds are truncated to .NET's 100 ns ticks).</summary>
    /// <exception cref="MessagePackFormatException">The timestamp lies outside what <see cref="DateTimeOffset"/> can hold.</exception>
    public DateTimeOffset ReadDateTimeOffset()
    {
        int start = _position;
        (long seconds, uint nanoseconds) = ReadTimestamp();
        const long MinSeconds = -62135596800L; // 0001-01-01
        const long MaxSeconds = 253402300799L; // 9999-12-31T23:59:59
        if (seconds is < MinSeconds or > MaxSeconds)
        {
            _position = start;
            throw Error(MessagePackError.Overflow, $"timestamp {seconds}s is outside the range of DateTimeOffset");
        }

        return DateTimeOffset.UnixEpoch.AddTicks((seconds * TimeSpan.TicksPerSecond) + (nanoseconds / 100));
    }

    /// <summary>Skips one whole value (nested collections included), enforcing the depth limit without recursion.</summary>
    public void Skip()
    {
        // Each entry is how many values remain at that level; a new collection pushes its element count.
        Span<long> stack = _options.MaxDepth <= 256 ? stackalloc long[_options.MaxDepth + 1] : new long[_options.MaxDepth + 1];
        int depth = 0;
        stack[0] = 1;
        while (depth >= 0)
        {
            if (stack[depth] == 0)
            {
                depth--;
                continue;
            }

            stack[depth]--;
            long children;
            switch (PeekType())
            {
                case MessagePackType.Array:
                    children = ReadArrayHeader();
                    break;
                case MessagePackType.Map:
                    children = 2L * ReadMapHeader();
                    break;
                default:
                    SkipScalar();
                    continue;
            }

            if (children > 0)
            {
                if (depth + 1 > _options.MaxDepth)
                {
                    throw Error(MessagePackError.TooDeep, $"nesting deeper than {_options.MaxDepth}");
                }

                stack[++depth] = children;
            }
        }
    }

    private void SkipScalar()
    {
        switch (PeekType())
        {
            case MessagePackType.Nil:
            case MessagePackType.Boolean:
                _position++;
                break;
            case MessagePackType.Integer:
                if (PeekCode() == MessagePackCode.UInt64)
                {
                    ReadUInt64();
                }
                else
                {
                    ReadInt64();
                }

                break;
            case MessagePackType.Float:
                ReadDouble();
                break;
            case MessagePackType.String:
                ReadStringBytes();
                break;
            case MessagePackType.Binary:
                ReadBinary();
                break;
            default:
                ReadExtension(out _);
                break;
        }
    }

    private long ReadSignedOrSmall(byte code) => code switch
    {
        <= MessagePackCode.MaxPositiveFixInt => Take(1)[0],
        >= MessagePackCode.MinNegativeFixInt => unchecked((sbyte)Take(1)[0]),
        MessagePackCode.UInt8 => Take(2)[1],
        MessagePackCode.UInt16 => BinaryPrimitives.ReadUInt16BigEndian(Take(3)[1..]),
        MessagePackCode.UInt32 => BinaryPrimitives.ReadUInt32BigEndian(Take(5)[1..]),
        MessagePackCode.Int8 => unchecked((sbyte)Take(2)[1]),
        MessagePackCode.Int16 => BinaryPrimitives.ReadInt16BigEndian(Take(3)[1..]),
        MessagePackCode.Int32 => BinaryPrimitives.ReadInt32BigEndian(Take(5)[1..]),
        MessagePackCode.Int64 => BinaryPrimitives.ReadInt64BigEndian(Take(9)[1..]),
        _ => throw Unexpected("an integer"),
    };

    private int TakeCollectionHeader(int headerLength, long count, int bytesPerElement)
    {
        if (count > _options.MaxCollectionCount)
        {
            throw Error(MessagePackError.CollectionTooLarge, $"{count} elements declared; the limit is {_options.MaxCollectionCount}");
        }

        // Every element takes at least one byte: a count the rest of the input cannot hold is a lie.
        long remaining = _input.Length - _position - headerLength;
        if (count * bytesPerElement > remaining)
        {
            throw Error(MessagePackError.CollectionTooLarge, $"{count} elements declared but only {remaining} bytes remain");
        }

        _position += headerLength;
        return (int)count;
    }

    private ReadOnlySpan<byte> TakePayload(int headerLength, long length)
    {
        long remaining = _input.Length - _position - headerLength;
        if (length > remaining)
        {
            throw Error(MessagePackError.LengthExceedsInput, $"{length} bytes declared but only {remaining} remain");
        }

        ReadOnlySpan<byte> payload = _input.Slice(_position + headerLength, (int)length);
        _position += headerLength + (int)length;
        return payload;
    }

    private readonly byte PeekCode()
    {
        if (_position >= _input.Length)
        {
            throw Error(MessagePackError.Truncated, "the input ended where a value was expected");
        }

        return _input[_position];
    }

    private readonly ReadOnlySpan<byte> Peek(int count)
    {
        if (_input.Length - _position < count)
        {
            throw Error(MessagePackError.Truncated, $"the input ended inside a {count}-byte header");
        }

        return _input.Slice(_position, count);
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        ReadOnlySpan<byte> bytes = Peek(count);
        _position += count;
        return bytes;
    }

    private readonly MessagePackFormatException Unexpected(string expected)
    {
        MessagePackType found = PeekType();
        return Error(MessagePackError.UnexpectedType, $"expected {expected}, found {found}");
    }

    private readonly MessagePackFormatException Error(MessagePackError error, string message) => new(error, _position, message);
}
