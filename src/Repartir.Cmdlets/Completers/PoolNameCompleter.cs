using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Repartir.Cmdlets.Pools;

namespace Repartir.Cmdlets.Completers;

/// <summary>Tab completion of pool names for -Name and -Pool.</summary>
public sealed class PoolNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        foreach (string name in MatchingNames(PoolRegistry.Process, prefix))
        {
            string text = name.Any(char.IsWhiteSpace) ? $"'{name}'" : name;
            yield return new CompletionResult(text, name, CompletionResultType.ParameterValue, name);
        }
    }

    /// <summary>The registered names that start with <paramref name="prefix"/>, case-insensitively.</summary>
    internal static IEnumerable<string> MatchingNames(PoolRegistry registry, string prefix) =>
        registry.All.Select(p => p.Name).Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
}
