using System.Collections;
using System.Collections.Specialized;
using System.Management.Automation;
using Repartir.Checkpoints;

namespace Repartir.Cmdlets.Checkpoints;

/// <summary>
/// Between PowerShell's values and a checkpoint's state tree. Saving unwraps PSObjects (a PSCustomObject becomes a map
/// of its properties in order); restoring gives PSCustomObjects and arrays, or ordered hashtables, with integers as
/// [long], floats as [double] and timestamps as UTC [datetime], as ConvertFrom-Json users expect.
/// </summary>
internal static class PowerShellState
{
    /// <summary>For <see cref="CheckpointStore.Save"/>: what a PowerShell value stores as.</summary>
    internal static object? Unwrap(object value)
    {
        if (value is not PSObject wrapped)
        {
            return value;
        }

        if (wrapped.BaseObject is not PSCustomObject)
        {
            return wrapped.BaseObject;
        }

        var properties = new OrderedDictionary(StringComparer.Ordinal);
        foreach (PSPropertyInfo property in wrapped.Properties)
        {
            properties[property.Name] = property.Value;
        }

        return properties;
    }

    /// <summary>A restored state tree as PowerShell values; <paramref name="asHashtable"/> makes maps ordered hashtables.</summary>
    /// <exception cref="StateTreeException">A map has keys that differ only in case, which a PSCustomObject cannot hold.</exception>
    internal static object? ToPowerShell(object? value, bool asHashtable, string path = StateTree.Root) => value switch
    {
        Dictionary<string, object?> map => asHashtable ? ToHashtable(map, path) : ToCustomObject(map, path),
        List<object?> items => items.Select((item, i) => ToPowerShell(item, asHashtable, $"{path}[{i}]")).ToArray(),
        DateTimeOffset moment => moment.UtcDateTime,
        _ => value,
    };

    private static OrderedDictionary ToHashtable(Dictionary<string, object?> map, string path)
    {
        // Case-insensitive as PowerShell's own [ordered] is, unless the map has keys only case tells apart.
        bool caseMatters = map.Keys.Distinct(StringComparer.OrdinalIgnoreCase).Count() != map.Count;
        var table = new OrderedDictionary(caseMatters ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        foreach ((string key, object? item) in map)
        {
            table.Add(key, ToPowerShell(item, asHashtable: true, $"{path}.{key}"));
        }

        return table;
    }

    private static PSObject ToCustomObject(Dictionary<string, object?> map, string path)
    {
        var result = new PSObject();
        foreach ((string key, object? item) in map)
        {
            if (result.Properties[key] is not null)
            {
                throw new StateTreeException(path, $"{path} has keys that differ only in case ('{result.Properties[key].Name}' and '{key}'), which a PSCustomObject cannot hold: restore it with -AsHashtable.");
            }

            result.Properties.Add(new PSNoteProperty(key, ToPowerShell(item, asHashtable: false, $"{path}.{key}")));
        }

        return result;
    }
}
