using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Repartir.Tasks;

/// <summary>Turns an input item, or one of its properties, into argument text.</summary>
public interface IItemFormatter
{
    /// <summary>The item as text (what <c>{}</c> becomes).</summary>
    string Format(object? value);

    /// <summary>Reads property <paramref name="name"/> of <paramref name="item"/> (what <c>{Name}</c> becomes).</summary>
    bool TryGetProperty(object item, string name, out object? value);

    /// <summary>The name of the item's type as its users know it, for messages.</summary>
    string TypeNameOf(object item) => item.GetType().Name;
}

/// <summary>
/// Formats items with the invariant culture and reads public properties (case-insensitively) or
/// dictionary keys. The PowerShell layer supplies its own, which sees PowerShell's extended properties.
/// </summary>
public sealed class InvariantItemFormatter : IItemFormatter
{
    /// <summary>The shared instance; it holds no state.</summary>
    public static InvariantItemFormatter Instance { get; } = new();

    /// <inheritdoc />
    public string Format(object? value) => value switch
    {
        null => string.Empty,
        string text => text,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    /// <inheritdoc />
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2075", Justification =
        "{Name} reads a public property of whatever object the caller passed, by design. The one trimmed, AOT-compiled " +
        "caller is the repartir executable, whose items are input lines and whose templates allow only {} and {#} " +
        "(PlaceholderSyntax.ItemOnly): it never looks a property up.")]
    public bool TryGetProperty(object item, string name, out object? value)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item is IDictionary dictionary)
        {
            foreach (DictionaryEntry entry in dictionary)
            {
                if (string.Equals(entry.Key as string, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = entry.Value;
                    return true;
                }
            }
        }

        PropertyInfo? property = item.GetType().GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        if (property is not null && property.GetIndexParameters().Length == 0)
        {
            value = property.GetValue(item);
            return true;
        }

        value = null;
        return false;
    }
}

/// <summary>How much of the placeholder syntax a template understands.</summary>
public enum PlaceholderSyntax
{
    /// <summary><c>{}</c> (the item) and <c>{#}</c> (its 1-based number), as GNU parallel: for the command line, where items are lines.</summary>
    ItemOnly = 0,

    /// <summary>Also <c>{PropertyName}</c> (a property of the item): for PowerShell, where items are objects.</summary>
    ItemAndProperties = 1,
}

/// <summary>
/// An argument list with placeholders, expanded once per input item: <c>{}</c> is the item as text,
/// <c>{#}</c> its 1-based number and, with <see cref="PlaceholderSyntax.ItemAndProperties"/>,
/// <c>{Name}</c> a property of it. When no argument refers to the item, the item is appended as the
/// last argument (GNU parallel's rule). Braces that are not a placeholder (<c>awk '{print $1}'</c>)
/// are left as they are. An element may also be a function of the item, evaluated per item.
/// </summary>
public sealed class ArgumentTemplate
{
    private readonly Part[][] _arguments;
    private readonly bool _refersToItem;

    private ArgumentTemplate(Part[][] arguments, bool refersToItem)
    {
        _arguments = arguments;
        _refersToItem = refersToItem;
    }

    /// <summary>Parses <paramref name="elements"/>: each is a string with placeholders or a <c>Func&lt;object?, string&gt;</c>.</summary>
    /// <exception cref="ArgumentException">An element is null or of another type.</exception>
    public static ArgumentTemplate Parse(IEnumerable<object> elements, PlaceholderSyntax syntax)
    {
        ArgumentNullException.ThrowIfNull(elements);
        var arguments = new List<Part[]>();
        bool refersToItem = false;
        int index = 0;
        foreach (object element in elements)
        {
            Part[] parts = element switch
            {
                string text => ParseText(text, syntax),
                Func<object?, string> compute => [new Part(PartKind.Computed, null, compute)],
                null => throw new InvalidSettingException(nameof(elements), $"Argument {index} is null."),
                _ => throw new InvalidSettingException(nameof(elements), $"Argument {index} is a {element.GetType().Name}; expected text or a function of the item."),
            };
            refersToItem |= parts.Any(p => p.Kind is PartKind.Item or PartKind.Property or PartKind.Computed);
            arguments.Add(parts);
            index++;
        }

        return new ArgumentTemplate([.. arguments], refersToItem);
    }

    /// <summary>Parses plain strings.</summary>
    public static ArgumentTemplate Parse(IEnumerable<string> arguments, PlaceholderSyntax syntax) =>
        Parse(arguments.Cast<object>(), syntax);

    /// <summary>True when some argument uses the item (so it is not appended).</summary>
    public bool RefersToItem => _refersToItem;

    /// <summary>Expands the template for one item.</summary>
    /// <param name="item">The input item; <c>null</c> when there is none (then nothing is appended).</param>
    /// <param name="number">The item's 1-based number.</param>
    /// <param name="formatter">How items and properties become text.</param>
    /// <exception cref="ArgumentException">A <c>{Name}</c> names a property the item does not have.</exception>
    public string[] Expand(object? item, long number, IItemFormatter formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        bool append = item is not null && !_refersToItem;
        string[] expanded = new string[_arguments.Length + (append ? 1 : 0)];
        var builder = new StringBuilder();
        for (int i = 0; i < _arguments.Length; i++)
        {
            Part[] parts = _arguments[i];
            if (parts.Length == 1 && parts[0].Kind == PartKind.Literal)
            {
                expanded[i] = parts[0].Text!;
                continue;
            }

            builder.Clear();
            foreach (Part part in parts)
            {
                builder.Append(part.Kind switch
                {
                    PartKind.Literal => part.Text,
                    PartKind.Item => formatter.Format(item),
                    PartKind.Number => number.ToString(CultureInfo.InvariantCulture),
                    PartKind.Property => formatter.Format(ReadProperty(item, part.Text!, formatter)),
                    _ => part.Compute!(item),
                });
            }

            expanded[i] = builder.ToString();
        }

        if (append)
        {
            expanded[^1] = formatter.Format(item);
        }

        return expanded;
    }

    private static object? ReadProperty(object? item, string name, IItemFormatter formatter)
    {
        if (item is not null && formatter.TryGetProperty(item, name, out object? value))
        {
            return value;
        }

        string what = item is null ? "there is no input item" : $"the input item ({formatter.TypeNameOf(item)} '{Abbreviate(formatter.Format(item))}') has no property '{name}'";
        throw new InvalidSettingException(nameof(item), $"The placeholder {{{name}}} cannot be filled: {what}.");
    }

    /// <summary>An item's text for a message: a huge item must not fill the message.</summary>
    private static string Abbreviate(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");

    private static Part[] ParseText(string text, PlaceholderSyntax syntax)
    {
        var parts = new List<Part>();
        int literalStart = 0;
        int i = 0;
        while (i < text.Length)
        {
            int close = text[i] == '{' ? text.IndexOf('}', i + 1) : -1;
            Part? placeholder = close < 0 ? null : Classify(text.AsSpan(i + 1, close - i - 1), syntax);
            if (placeholder is null)
            {
                i++;
                continue;
            }

            if (i > literalStart)
            {
                parts.Add(new Part(PartKind.Literal, text[literalStart..i], null));
            }

            parts.Add(placeholder.Value);
            i = close + 1;
            literalStart = i;
        }

        if (literalStart < text.Length || parts.Count == 0)
        {
            parts.Add(new Part(PartKind.Literal, text[literalStart..], null));
        }

        return [.. parts];
    }

    private static Part? Classify(ReadOnlySpan<char> inside, PlaceholderSyntax syntax)
    {
        if (inside.IsEmpty)
        {
            return new Part(PartKind.Item, null, null);
        }

        if (inside is "#")
        {
            return new Part(PartKind.Number, null, null);
        }

        if (syntax == PlaceholderSyntax.ItemAndProperties && IsIdentifier(inside))
        {
            return new Part(PartKind.Property, inside.ToString(), null);
        }

        return null;
    }

    private static bool IsIdentifier(ReadOnlySpan<char> text)
    {
        if (!(char.IsAsciiLetter(text[0]) || text[0] == '_'))
        {
            return false;
        }

        foreach (char c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private enum PartKind
    {
        Literal,
        Item,
        Number,
        Property,
        Computed,
    }

    private readonly record struct Part(PartKind Kind, string? Text, Func<object?, string>? Compute);
}
