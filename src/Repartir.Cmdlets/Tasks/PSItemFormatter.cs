using System.Management.Automation;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Tasks;

/// <summary>
/// Items as PowerShell sees them: text by PowerShell's own conversion, properties including
/// extended ones (NoteProperty, ScriptProperty, hashtable keys through PSObject).
/// </summary>
internal sealed class PSItemFormatter : IItemFormatter
{
    internal static PSItemFormatter Instance { get; } = new();

    public string Format(object? value) => value is null ? string.Empty : LanguagePrimitives.ConvertTo<string>(value);

    public string TypeNameOf(object item) => (item is PSObject wrapped ? wrapped.BaseObject : item).GetType().Name;

    public bool TryGetProperty(object item, string name, out object? value)
    {
        object baseObject = item is PSObject wrapped ? wrapped.BaseObject : item;
        if (baseObject is System.Collections.IDictionary dictionary && dictionary.Contains(name))
        {
            value = dictionary[name];
            return true;
        }

        PSPropertyInfo? property = PSObject.AsPSObject(item).Properties[name];
        value = property?.Value;
        return property is not null;
    }
}
