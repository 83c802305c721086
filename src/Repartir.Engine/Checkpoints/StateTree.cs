using System.Buffers;
using System.Collections;
using System.Globalization;
using Repartir.Remote.Wire;

namespace Repartir.Checkpoints;

/// <summary>
/// The state a checkpoint holds, as the project's MessagePack: maps with string keys, arrays, strings, integers,
/// floats, booleans, null, byte arrays and timestamps, nested. Anything else is refused with the path of the value
/// in the tree, so a script learns which field to convert; nothing is silently turned into a string.
/// </summary>
public static class StateTree
{
    /// <summary>How deep a tree may nest; deeper is refused rather than exhausting the stack.</summary>
    public const int MaxDepth = 256;

    /// <summary>The name the tree's root has in paths.</summary>
    public const string Root = "$state";

    /// <summary>
    /// Encodes <paramref name="state"/> into <paramref name="output"/>. A host whose values come wrapped (PowerShell's
    /// PSObject) passes <paramref name="unwrap"/>, which is given every non-null value first and returns what to store
    /// in its place (a map for an object of properties, the wrapped value); paths and refusals stay the tree's own.
    /// </summary>
    /// <exception cref="StateTreeException">A value, a key or the depth is not one a checkpoint holds; the message names its path.</exception>
    public static void Write(IBufferWriter<byte> output, object? state, Func<object, object?>? unwrap = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new MessagePackWriter(output);
        Write(ref writer, state, Place.Root, 0, unwrap);
    }

    /// <summary>Encodes <paramref name="state"/> as a new array.</summary>
    /// <exception cref="StateTreeException">A value, a key or the depth is not one a checkpoint holds.</exception>
    public static byte[] Encode(object? state)
    {
        using var buffer = new PooledBufferWriter();
        Write(buffer, state);
        return buffer.WrittenMemory.ToArray();
    }

    /// <summary>
    /// Decodes a payload: maps as <see cref="Dictionary{TKey, TValue}"/> of string to value in stored order, arrays as
    /// <see cref="List{T}"/>, integers as <see cref="long"/> (<see cref="ulong"/> above its range), floats as
    /// <see cref="double"/>, binary as <see cref="byte"/>[], timestamps as UTC <see cref="DateTimeOffset"/>.
    /// </summary>
    /// <exception cref="StateTreeException">The payload is not a state tree (damaged, or another format); the message says where.</exception>
    public static object? Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new MessagePackReader(payload, new MessagePackReaderOptions(MaxDepth: MaxDepth + 1, MaxCollectionCount: int.MaxValue));
        try
        {
            object? state = Read(ref reader, Place.Root, 0);
            if (!reader.End)
            {
                throw new StateTreeException(Root, $"The payload has {payload.Length - reader.Position} bytes after its state tree.");
            }

            return state;
        }
        catch (MessagePackFormatException e)
        {
            throw new StateTreeException(Root, "The payload is not a state tree: " + e.Message, e);
        }
    }

    private static void Write(ref MessagePackWriter writer, object? value, Place path, int depth, Func<object, object?>? unwrap)
    {
        if (value is not null && unwrap is not null)
        {
            value = unwrap(value);
        }

        if (depth > MaxDepth)
        {
            throw new StateTreeException(path.ToString(), $"{path} nests deeper than {MaxDepth} levels (a cycle, or a structure a checkpoint should not hold).");
        }

        switch (value)
        {
            case null:
                writer.WriteNil();
                break;
            case bool flag:
                writer.Write(flag);
                break;
            case string text:
                writer.Write(text);
                break;
            case sbyte or short or int or long:
                writer.Write(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case byte or ushort or uint or ulong:
                writer.Write(Convert.ToUInt64(value, CultureInfo.InvariantCulture));
                break;
            case float single:
                writer.Write(single);
                break;
            case double number:
                writer.Write(number);
                break;
            case byte[] bytes:
                writer.Write(bytes.AsSpan());
                break;
            case ReadOnlyMemory<byte> memory:
                writer.Write(memory.Span);
                break;
            case DateTimeOffset moment:
                writer.Write(moment);
                break;
            case DateTime time:
                // A time without a zone is taken as UTC, which is what a scheduled job's clock says; a local time is converted.
                writer.Write(new DateTimeOffset(time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : time.ToUniversalTime()));
                break;
            case IDictionary map:
                WriteMap(ref writer, map, path.ToString(), depth, unwrap);
                break;
            case IEnumerable items when value is not Enum:
                WriteArray(ref writer, items, path.ToString(), depth, unwrap);
                break;
            default:
                throw new StateTreeException(path.ToString(), $"{path} is a {value.GetType().FullName}, which a checkpoint cannot hold: use a map, an array, a string, a number, a boolean, null, a byte array or a date ({Hint(value)}).");
        }
    }

    private static void WriteMap(ref MessagePackWriter writer, IDictionary map, string path, int depth, Func<object, object?>? unwrap)
    {
        writer.WriteMapHeader(map.Count);
        foreach (DictionaryEntry entry in map)
        {
            if ((entry.Key is { } raw && unwrap is not null ? unwrap(raw) : entry.Key) is not string key)
            {
                throw new StateTreeException(path, $"{path} has a key of type {entry.Key.GetType().FullName} ({entry.Key}); a checkpoint's maps have string keys.");
            }

            writer.Write(key);
            Write(ref writer, entry.Value, new Place(path, -1, key), depth + 1, unwrap);
        }
    }

    private static void WriteArray(ref MessagePackWriter writer, IEnumerable items, string path, int depth, Func<object, object?>? unwrap)
    {
        // Counted first: the header comes before the items, and a collection is not always an ICollection.
        var list = items as IList ?? items.Cast<object?>().ToList();
        writer.WriteArrayHeader(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            Write(ref writer, list[i], new Place(path, i, null), depth + 1, unwrap);
        }
    }

    private static object? Read(ref MessagePackReader reader, Place place, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new StateTreeException(place.ToString(), $"{place} nests deeper than {MaxDepth} levels.");
        }

        switch (reader.PeekType())
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                return null;
            case MessagePackType.Boolean:
                return reader.ReadBoolean();
            case MessagePackType.String:
                return reader.ReadString();
            case MessagePackType.Integer:
                return ReadInteger(ref reader);
            case MessagePackType.Float:
                return reader.ReadDouble();
            case MessagePackType.Binary:
                return reader.ReadBinary().ToArray();
            case MessagePackType.Extension:
                return reader.ReadDateTimeOffset();
            case MessagePackType.Array:
                string path = place.ToString();
                int count = reader.ReadArrayHeader();
                var items = new List<object?>(count); // the reader has checked that the remaining bytes can hold count values
                for (int i = 0; i < count; i++)
                {
                    items.Add(Read(ref reader, new Place(path, i, null), depth + 1));
                }

                return items;
            default:
                string mapPath = place.ToString();
                int entries = reader.ReadMapHeader();
                var map = new Dictionary<string, object?>(Math.Min(entries, 1 << 16), StringComparer.Ordinal);
                for (int i = 0; i < entries; i++)
                {
                    string key = reader.ReadString() ?? throw new StateTreeException(mapPath, $"{mapPath} has a nil key.");
                    if (!map.TryAdd(key, Read(ref reader, new Place(mapPath, -1, key), depth + 1)))
                    {
                        throw new StateTreeException(mapPath, $"{mapPath} has the key '{key}' twice.");
                    }
                }

                return map;
        }
    }

    private static object ReadInteger(ref MessagePackReader reader)
    {
        MessagePackReader probe = reader;
        try
        {
            return reader.ReadInt64();
        }
        catch (MessagePackFormatException)
        {
            reader = probe;
            return reader.ReadUInt64(); // above long's range
        }
    }

    /// <summary>
    /// A value's place in the tree: its container's path and its index or key. Spelled out only for a message or for
    /// a container passing it down, so the millions of leaves of a large state cost no string each.
    /// </summary>
    private readonly record struct Place(string Parent, int Index, string? Key)
    {
        internal static Place Root => new(StateTree.Root, -1, null);

        public override string ToString() => Key is not null ? MemberPath(Parent, Key) : Index >= 0 ? ElementPath(Parent, Index) : Parent;
    }

    /// <summary>The path of element <paramref name="index"/> of the array at <paramref name="path"/>: <c>$state.weights[3]</c>.</summary>
    public static string ElementPath(string path, int index) => $"{path}[{index}]";

    /// <summary>The path of <paramref name="key"/> in the map at <paramref name="path"/>, as a script writes it: <c>$state.model</c>, <c>$state['a key']</c>.</summary>
    public static string MemberPath(string path, string key) =>
        key.Length > 0 && (char.IsLetter(key[0]) || key[0] == '_') && key.All(c => char.IsLetterOrDigit(c) || c == '_')
            ? $"{path}.{key}"
            : $"{path}['{key.Replace("'", "''", StringComparison.Ordinal)}']";

    private static string Hint(object value) => value switch
    {
        decimal => "convert it with [double]",
        char => "convert it with [string]",
        Enum => "store its name with .ToString() or its number with [int]",
        Guid => "store it with .ToString()",
        TimeSpan => "store its ticks or .TotalSeconds",
        _ => "store its fields as a map",
    };
}
