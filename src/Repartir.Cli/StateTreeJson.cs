using System.Globalization;
using System.Text.Json;
using Repartir.Checkpoints;

namespace Repartir.Cli;

/// <summary>
/// JSON in and out of a checkpoint's state tree, for shells. In: objects, arrays, strings, numbers (integers stay
/// integers), booleans, null. Out: the same, with byte arrays as base64 strings and timestamps as ISO 8601 UTC
/// strings (JSON has neither; restore with --format msgpack to keep their types).
/// </summary>
internal static class StateTreeJson
{
    internal static object? Read(JsonElement element, string path = StateTree.Root) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Aggregate(
            new Dictionary<string, object?>(StringComparer.Ordinal),
            (map, property) =>
            {
                if (!map.TryAdd(property.Name, Read(property.Value, $"{path}.{property.Name}")))
                {
                    throw new StateTreeException(path, $"{path} has the key '{property.Name}' twice.");
                }

                return map;
            }),
        JsonValueKind.Array => element.EnumerateArray().Select((item, i) => Read(item, $"{path}[{i}]")).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out long integer) ? integer : element.TryGetUInt64(out ulong large) ? (object)large : element.GetDouble(), // boxed each: a ternary would widen all three to double
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    internal static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case long integer:
                writer.WriteNumberValue(integer);
                break;
            case ulong large:
                writer.WriteNumberValue(large);
                break;
            case double number when double.IsFinite(number):
                writer.WriteNumberValue(number);
                break;
            case double number:
                writer.WriteStringValue(number.ToString(CultureInfo.InvariantCulture)); // NaN and infinities have no JSON number
                break;
            case byte[] bytes:
                writer.WriteBase64StringValue(bytes);
                break;
            case DateTimeOffset moment:
                writer.WriteStringValue(moment.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                break;
            case Dictionary<string, object?> map:
                writer.WriteStartObject();
                foreach ((string key, object? item) in map)
                {
                    writer.WritePropertyName(key);
                    Write(writer, item);
                }

                writer.WriteEndObject();
                break;
            case List<object?> items:
                writer.WriteStartArray();
                items.ForEach(item => Write(writer, item));
                writer.WriteEndArray();
                break;
            default:
                throw new ArgumentException($"{value.GetType()} is not a decoded state tree value.", nameof(value));
        }
    }
}
