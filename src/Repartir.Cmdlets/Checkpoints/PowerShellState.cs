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
    internal static object? ToPowerShell(object? value, bool asHashtable) => Convert(value, asHashtable, () => StateTree.Root);

    // A value's path is needed only for the one error a map can raise: it is spelled out then, and only containers
    // carry a way to spell it, so the millions of leaves of a large state cost neither a string nor a closure each.
    private static object? Convert(object? value, bool asHashtable, Func<string> path) => value switch
    {
        Dictionary<string, object?> map => asHashtable ? ToHashtable(map, path) : ToCustomObject(map, path),
        List<object?> items => ToArray(items, asHashtable, path),
        _ => Leaf(value),
    };

    private static object? Leaf(object? value) => value is DateTimeOffset moment ? moment.UtcDateTime : value;

    private static bool IsContainer(object? value) => value is Dictionary<string, object?> or List<object?>;

    private static object?[] ToArray(List<object?> items, bool asHashtable, Func<string> path)
    {
        var array = new object?[items.Count];
        for (int i = 0; i < array.Length; i++)
        {
            int index = i;
            array[i] = IsContainer(items[i]) ? Convert(items[i], asHashtable, () => StateTree.ElementPath(path(), index)) : Leaf(items[i]);
        }

        return array;
    }

    private static OrderedDictionary ToHashtable(Dictionary<string, object?> map, Func<string> path)
    {
        // Case-insensitive as PowerShell's own [ordered] is, unless the map has keys only case tells apart.
        bool caseMatters = map.Keys.Distinct(StringComparer.OrdinalIgnoreCase).Count() != map.Count;
        var table = new OrderedDictionary(caseMatters ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        foreach ((string key, object? item) in map)
        {
            table.Add(key, IsContainer(item) ? Convert(item, asHashtable: true, () => StateTree.MemberPath(path(), key)) : Leaf(item));
        }

        return table;
    }

    private static PSObject ToCustomObject(Dictionary<string, object?> map, Func<string> path)
    {
        var result = new PSObject();
        foreach ((string key, object? item) in map)
        {
            if (result.Properties[key] is not null)
            {
                string here = path();
                throw new StateTreeException(here, $"{here} has keys that differ only in case ('{result.Properties[key].Name}' and '{key}'), which a PSCustomObject cannot hold: restore it with -AsHashtable.");
            }

            result.Properties.Add(new PSNoteProperty(key, IsContainer(item) ? Convert(item, asHashtable: false, () => StateTree.MemberPath(path(), key)) : Leaf(item)));
        }

        return result;
    }
}
