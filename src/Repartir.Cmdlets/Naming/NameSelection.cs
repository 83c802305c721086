using Repartir.Cmdlets.Output;

namespace Repartir.Cmdlets.Naming;

/// <summary>How identity parameters (<c>-Name 'nightly*'</c>) select items: the one rule for pools and workers.</summary>
internal static class NameSelection
{
    /// <summary>The items whose names match <paramref name="pattern"/>, in their order.</summary>
    internal static IReadOnlyList<T> Match<T>(IEnumerable<T> items, Func<T, string> nameOf, string pattern)
    {
        var wildcard = new NamePattern(pattern);
        return items.Where(item => wildcard.IsMatch(nameOf(item))).ToArray();
    }

    /// <summary>
    /// Every item when <paramref name="patterns"/> is empty; otherwise those matching any pattern. A pattern
    /// without wildcards that matches nothing gets a non-terminating error from <paramref name="notFound"/>,
    /// as Get-Process -Name does.
    /// </summary>
    internal static IReadOnlyList<T> Select<T>(IReadOnlyList<T> items, Func<T, string> nameOf, IReadOnlyList<string>? patterns, Func<string, CommandError> notFound, ICommandSink sink)
        where T : class
    {
        if (patterns is null || patterns.Count == 0)
        {
            return items;
        }

        var selected = new List<T>();
        foreach (string pattern in patterns)
        {
            IReadOnlyList<T> matches = Match(items, nameOf, pattern);
            if (matches.Count == 0 && !new NamePattern(pattern).HasWildcards)
            {
                sink.WriteError(notFound(pattern));
            }

            selected.AddRange(matches.Where(m => !selected.Contains(m)));
        }

        return selected;
    }
}
