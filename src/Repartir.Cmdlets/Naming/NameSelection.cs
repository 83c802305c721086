using System.Management.Automation;
using Repartir.Cmdlets.Output;

namespace Repartir.Cmdlets.Naming;

/// <summary>How identity parameters (<c>-Name 'nightly*'</c>) select items: the one rule for pools and workers, in PowerShell's wildcard language, case-insensitive.</summary>
internal static class NameSelection
{
    /// <summary>
    /// Every item when <paramref name="patterns"/> is empty; otherwise those any of whose names (an item may go by
    /// several, such as an address and a name) match any pattern, in their order. A pattern without wildcards that
    /// matches nothing gets a non-terminating error from <paramref name="notFound"/>, as Get-Process -Name does.
    /// </summary>
    internal static IReadOnlyList<T> Select<T>(IReadOnlyList<T> items, Func<T, IEnumerable<string>> namesOf, IReadOnlyList<string>? patterns, Func<string, CommandError> notFound, ICommandSink sink)
        where T : class
    {
        if (patterns is null || patterns.Count == 0)
        {
            return items;
        }

        var selected = new List<T>();
        foreach (string pattern in patterns)
        {
            var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);
            T[] matches = [.. items.Where(item => namesOf(item).Any(wildcard.IsMatch))];
            if (matches.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                sink.WriteError(notFound(pattern));
            }

            selected.AddRange(matches.Where(m => !selected.Contains(m)));
        }

        return selected;
    }

    /// <summary>As <see cref="Select{T}(IReadOnlyList{T}, Func{T, IEnumerable{string}}, IReadOnlyList{string}?, Func{string, CommandError}, ICommandSink)"/>, for items with one name.</summary>
    internal static IReadOnlyList<T> Select<T>(IReadOnlyList<T> items, Func<T, string> nameOf, IReadOnlyList<string>? patterns, Func<string, CommandError> notFound, ICommandSink sink)
        where T : class =>
        Select(items, item => [nameOf(item)], patterns, notFound, sink);
}
