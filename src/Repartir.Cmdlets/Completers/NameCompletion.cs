using System.Management.Automation;

namespace Repartir.Cmdlets.Completers;

/// <summary>The one completion rule for names: those that start with what was typed (quotes ignored), case-insensitively, quoted when they hold spaces.</summary>
internal static class NameCompletion
{
    internal static IEnumerable<CompletionResult> Complete(IEnumerable<string> names, string? wordToComplete)
    {
        string prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        foreach (string name in names.Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
        {
            string text = name.Any(char.IsWhiteSpace) ? $"'{name.Replace("'", "''", StringComparison.Ordinal)}'" : name;
            yield return new CompletionResult(text, name, CompletionResultType.ParameterValue, name);
        }
    }
}
