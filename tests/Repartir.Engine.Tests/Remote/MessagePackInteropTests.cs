using System.Buffers.Binary;
using Repartir.Testing;

namespace Repartir.Tests.Remote;

/// <summary>
/// The codec proven against an independent implementation, @msgpack/msgpack (npm, run by node): random
/// values encoded here are decoded and re-encoded there and must come back as the same values; random
/// values encoded there must be decoded here and re-encoded to the very same bytes. The test installs
/// the pinned package itself (tests/interop/msgpack) and is skipped, with the reason, where node or npm
/// is missing.
/// </summary>
public sealed class MessagePackInteropTests
{
    private static readonly NodeInterop Harness = new("msgpack", Path.Combine("@msgpack", "msgpack"), "the interoperability proof against @msgpack/msgpack");

    [SkippableFact]
    public void Values_encoded_here_are_read_there_as_the_same_values()
    {
        Harness.Require();
        var random = new Random(4242);
        List<object?> values = [Nested(50), .. Enumerable.Range(0, 3000).Select(_ => RandomValue(random, depth: 4))];
        string input = Path.Combine(Path.GetTempPath(), $"repartir-msgpack-{Guid.NewGuid():N}.in");
        string output = Path.ChangeExtension(input, ".out");
        try
        {
            File.WriteAllBytes(input, Frame(values.Select(MessagePackTree.Encode)));
            RunNode("reencode", input, output);
            byte[][] returned = Unframe(File.ReadAllBytes(output));

            Assert.Equal(values.Count, returned.Length);
            for (int i = 0; i < values.Count; i++)
            {
                object? back = MessagePackTree.Decode(returned[i]);
                Assert.True(MessagePackTree.SameValue(values[i], back), $"value {i} changed on the way through @msgpack/msgpack");
            }
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }

    [SkippableFact]
    public void Values_encoded_there_are_read_here_and_written_back_byte_for_byte()
    {
        Harness.Require();
        string output = Path.Combine(Path.GetTempPath(), $"repartir-msgpack-{Guid.NewGuid():N}.gen");
        try
        {
            RunNode("generate", "20261121", "3000", output);
            byte[][] frames = Unframe(File.ReadAllBytes(output));

            Assert.Equal(3001, frames.Length);
            foreach (byte[] frame in frames)
            {
                byte[] again = MessagePackTree.Encode(MessagePackTree.Decode(frame));
                Assert.Equal(Convert.ToHexString(frame), Convert.ToHexString(again));
            }
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static void RunNode(params string[] arguments) => Harness.Node(["roundtrip.mjs", .. arguments]);

    private static byte[] Frame(IEnumerable<byte[]> values)
    {
        using var stream = new MemoryStream();
        Span<byte> header = stackalloc byte[4];
        foreach (byte[] value in values)
        {
            BinaryPrimitives.WriteUInt32BigEndian(header, (uint)value.Length);
            stream.Write(header);
            stream.Write(value);
        }

        return stream.ToArray();
    }

    private static byte[][] Unframe(byte[] bytes)
    {
        var frames = new List<byte[]>();
        for (int i = 0; i < bytes.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(i));
            frames.Add(bytes.AsSpan(i + 4, length).ToArray());
            i += 4 + length;
        }

        return [.. frames];
    }

    private static object? Nested(int levels)
    {
        object? value = 42L;
        for (int i = 0; i < levels; i++)
        {
            value = new List<object?> { value };
        }

        return value;
    }

    private static readonly long[] IntegerEdges =
    [
        0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, long.MaxValue,
        -1, -32, -33, -128, -129, -32768, -32769, int.MinValue, (long)int.MinValue - 1, long.MinValue,
    ];

    private static readonly int[] Lengths = [0, 1, 31, 32, 255, 256, 65535, 65536, 70000];

    private static readonly string[] Characters = ["a", "Z", "0", " ", "é", "ß", "中", "🌍", "\0", "\n", "\"", "\\"];

    private static object? RandomValue(Random random, int depth)
    {
        int Length() => random.Next(20) == 0 ? Lengths[random.Next(Lengths.Length)] : random.Next(40);
        switch (random.Next(depth > 0 ? 12 : 10))
        {
            case 0: return null;
            case 1: return random.Next(2) == 0;
            case 2: return random.Next(2) == 0 ? IntegerEdges[random.Next(IntegerEdges.Length)] : random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(64);
            case 3: return random.Next(3) == 0 ? ulong.MaxValue : (ulong)long.MaxValue + (ulong)random.NextInt64(1, long.MaxValue);
            case 4: return random.Next(4) switch { 0 => double.NaN, 1 => double.PositiveInfinity, 2 => -0.0, _ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-300, 300)) };
            case 5: return random.Next(3) switch { 0 => float.NaN, 1 => float.NegativeInfinity, _ => (float)((random.NextDouble() - 0.5) * 1e6) };
            case 6:
                var text = new System.Text.StringBuilder();
                int chars = Length();
                while (text.Length < chars)
                {
                    text.Append(Characters[random.Next(Characters.Length)]);
                }

                return text.ToString();
            case 7:
                byte[] bytes = new byte[Length()];
                random.NextBytes(bytes);
                return bytes;
            case 8: return new Timestamp(random.NextInt64(-(1L << 52), 1L << 52), (uint)random.Next(1_000_000_000));
            case 9:
                byte[] payload = new byte[new[] { 0, 1, 2, 3, 4, 8, 16, 17, 300, 70000 }[random.Next(10)]];
                random.NextBytes(payload);
                return new Ext((sbyte)random.Next(128), payload);
            case 10:
                return Enumerable.Range(0, random.Next(10) == 0 ? 16 : random.Next(6)).Select(_ => RandomValue(random, depth - 1)).ToList();
            default:
                var map = new Map();
                int pairs = random.Next(10) == 0 ? 16 : random.Next(6);
                for (int i = 0; i < pairs; i++)
                {
                    map.Add(new KeyValuePair<object?, object?>("k" + i, RandomValue(random, depth - 1)));
                }

                return map;
        }
    }
}
