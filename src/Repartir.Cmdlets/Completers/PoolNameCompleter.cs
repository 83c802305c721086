using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Repartir.Cmdlets.Pools;

namespace Repartir.Cmdlets.Completers;

/// <summary>Tab completion of pool names for -Name and -Pool.</summary>
public sealed class PoolNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        NameCompletion.Complete(PoolRegistry.Process.All.Select(p => p.Name), wordToComplete);
}
