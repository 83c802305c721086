using System.Text;
using System.Text.RegularExpressions;

namespace Repartir.Cmdlets.Naming;

/// <summary>
/// PowerShell's wildcard language for names (<c>*</c>, <c>?</c>, <c>[a-c]</c>, backtick escapes), case-insensitive.
/// The module compiles against a reference assembly whose WildcardPattern has no body outside a real
/// PowerShell, so matching is done here where tests can reach it.
/// </summary>
internal sealed class NamePattern
{
    private readonly Regex _regex;

    internal NamePattern(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var builder = new StringBuilder("^");
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            switch (c)
            {
                case '`' when i + 1 < pattern.Length:
                    builder.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                case '*':
                    builder.Append(".*");
                    break;
                case '?':
                    builder.Append('.');
                    break;
                case '[':
                    int close = pattern.IndexOf(']', i + 1);
                    if (close > i + 1)
                    {
                        builder.Append('[').Append(pattern[(i + 1)..close].Replace("\\", "\\\\", StringComparison.Ordinal)).Append(']');
                        i = close;
                    }
                    else
                    {
                        builder.Append("\\[");
                    }

                    break;
                default:
                    builder.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        _regex = new Regex(builder.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline);
        HasWildcards = pattern.AsSpan().IndexOfAny("*?[") >= 0;
    }

    /// <summary>True when the pattern can match more than one literal name.</summary>
    internal bool HasWildcards { get; }

    internal bool IsMatch(string name) => _regex.IsMatch(name);
}
