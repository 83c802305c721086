using System.Buffers;
using System.Numerics;
using Repartir.Remote.Wire;

namespace Repartir.Tests.Remote;

/// <summary>An extension value in the test model.</summary>
internal sealed record Ext(sbyte Type, byte[] Payload);

/// <summary>A timestamp in the test model.</summary>
internal sealed record Timestamp(long Seconds, uint Nanoseconds);

/// <summary>A map in the test model: pairs in their encoded order.</summary>
internal sealed class Map : List<KeyValuePair<object?, object?>>;

/// <summary>
/// Any MessagePack value as a plain object tree (null, bool, long, ulong, float, double, string, byte[],
/// List, Map, Ext, Timestamp), read and written with the codec under test.
/// </summary>
internal static class MessagePackTree
{
    internal static byte[] Encode(object? value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        Write(ref writer, value);
        return buffer.WrittenSpan.ToArray();
    }

    internal static object? Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new MessagePackReader(bytes);
        object? value = Read(ref reader);
        Assert.True(reader.End, $"{bytes.Length - reader.Position} bytes left after the value");
        return value;
    }

    internal static void Write(ref MessagePackWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNil(); break;
            case bool b: writer.Write(b); break;
            case long l: writer.Write(l); break;
            case ulong u: writer.Write(u); break;
            case float f: writer.Write(f); break;
            case double d: writer.Write(d); break;
            case string s: writer.Write(s); break;
            case byte[] bytes: writer.Write(bytes); break;
            case Ext ext: writer.WriteExtension(ext.Type, ext.Payload); break;
            case Timestamp t: writer.WriteTimestamp(t.Seconds, t.Nanoseconds); break;
            case Map map:
                writer.WriteMapHeader(map.Count);
                foreach (KeyValuePair<object?, object?> pair in map)
                {
                    Write(ref writer, pair.Key);
                    Write(ref writer, pair.Value);
                }

                break;
            case List<object?> list:
                writer.WriteArrayHeader(list.Count);
                foreach (object? item in list)
                {
                    Write(ref writer, item);
                }

                break;
            default: throw new ArgumentException($"no MessagePack form for {value.GetType()}");
        }
    }

    internal static object? Read(ref MessagePackReader reader)
    {
        switch (reader.PeekType())
        {
            case MessagePackType.Nil: reader.ReadNil(); return null;
            case MessagePackType.Boolean: return reader.ReadBoolean();
            case MessagePackType.Integer:
                // Values above long.MaxValue only come as uint64; everything else reads as long.
                ulong asUnsigned;
                try
                {
                    return reader.ReadInt64();
                }
                catch (MessagePackFormatException e) when (e.Error == MessagePackError.Overflow)
                {
                    asUnsigned = reader.ReadUInt64();
                }

                return asUnsigned;
            case MessagePackType.Float: return reader.ReadDouble();
            case MessagePackType.String: return reader.ReadString();
            case MessagePackType.Binary: return reader.ReadBinary().ToArray();
            case MessagePackType.Array:
                int count = reader.ReadArrayHeader();
                var list = new List<object?>(count);
                for (int i = 0; i < count; i++)
                {
                    list.Add(Read(ref reader));
                }

                return list;
            case MessagePackType.Map:
                int pairs = reader.ReadMapHeader();
                var map = new Map();
                for (int i = 0; i < pairs; i++)
                {
                    object? key = Read(ref reader);
                    map.Add(new KeyValuePair<object?, object?>(key, Read(ref reader)));
                }

                return map;
            default:
                var copy = reader;
                if (copy.ReadExtension(out _) == -1)
                {
                    (long seconds, uint nanoseconds) = reader.ReadTimestamp();
                    return new Timestamp(seconds, nanoseconds);
                }

                sbyte type = reader.ReadExtension(out ReadOnlySpan<byte> payload);
                return new Ext(type, payload.ToArray());
        }
    }

    /// <summary>
    /// Value equality across implementations: numbers compare by value whatever their width or kind
    /// (JavaScript has one number type, so 2.0 may come back as the integer 2 and a float32 as a float64).
    /// </summary>
    internal static bool SameValue(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is float or double || b is float or double)
            {
                double x = ToDouble(a!);
                double y = ToDouble(b!);
                return x.Equals(y) || x == y; // NaN equals NaN; -0.0 equals 0
            }

            return ToInteger(a!) == ToInteger(b!);
        }

        return (a, b) switch
        {
            (null, null) => true,
            (bool x, bool y) => x == y,
            (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
            (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
            (Ext x, Ext y) => x.Type == y.Type && x.Payload.AsSpan().SequenceEqual(y.Payload),
            (Timestamp x, Timestamp y) => x == y,
            (Map x, Map y) => x.Count == y.Count && x.Zip(y).All(p => SameValue(p.First.Key, p.Second.Key) && SameValue(p.First.Value, p.Second.Value)),
            (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => SameValue(p.First, p.Second)),
            _ => false,
        };
    }

    private static bool IsNumber(object? value) => value is long or ulong or float or double;

    private static double ToDouble(object value) => value switch
    {
        long l => l,
        ulong u => u,
        float f => f,
        _ => (double)value,
    };

    private static BigInteger ToInteger(object value) => value is ulong u ? u : (long)value;
}
