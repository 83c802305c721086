using Repartir.Cmdlets.Output;

namespace Repartir.Cmdlets.Naming;

/// <summary>How identity parameters (<c>-Name 'nightly*'</c>) select items: the one rule for pools and workers.</summary>
internal static class NameSelection
{
    /// <summary>The items whose names match <paramref name="pattern"/>, in their order.</summary>
    internal static IReadOnlyList<T> Match<T>(IEnumerable<T> items, Func<T, string> nameOf, string pattern) =>
        Match(items, item => [nameOf(item)], pattern);

    /// <summary>The items any of whose names (an item may go by several, such as an address and a name) match <paramref name="pattern"/>.</summary>
    internal static IReadOnlyList<T> Match<T>(IEnumerable<T> items, Func<T, IEnumerable<string>> namesOf, string pattern)
    {
        var wildcard = new NamePattern(pattern);
        return items.Where(item => namesOf(item).Any(wildcard.IsMatch)).ToArray();
    }

    /// <summary>
    /// Every item when <paramref name="patterns"/> is empty; otherwise those matching any pattern. A pattern
    /// without wildcards that matches nothing gets a non-terminating error from <paramref name="notFound"/>,
    /// as Get-Process -Name does.
    /// </summary>
    internal static IReadOnlyList<T> Select<T>(IReadOnlyList<T> items, Func<T, string> nameOf, IReadOnlyList<string>? patterns, Func<string, CommandError> notFound, ICommandSink sink)
        where T : class =>
        Select(items, item => [nameOf(item)], patterns, notFound, sink);

    /// <summary>As <see cref="Select{T}(IReadOnlyList{T}, Func{T, string}, IReadOnlyList{string}?, Func{string, CommandError}, ICommandSink)"/>, for items that go by several names.</summary>
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
            IReadOnlyList<T> matches = Match(items, namesOf, pattern);
            if (matches.Count == 0 && !new NamePattern(pattern).HasWildcards)
            {
                sink.WriteError(notFound(pattern));
            }

            selected.AddRange(matches.Where(m => !selected.Contains(m)));
        }

        return selected;
    }
}
