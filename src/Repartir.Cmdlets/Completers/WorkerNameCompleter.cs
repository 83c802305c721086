using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Repartir.Cmdlets.Workers;

namespace Repartir.Cmdlets.Completers;

/// <summary>Tab completion of the names of workers started in this session, for -Name of Get- and Stop-RepartirWorker.</summary>
public sealed class WorkerNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        NameCompletion.Complete(WorkerRegistry.Process.All.Select(w => w.Name).Distinct(StringComparer.OrdinalIgnoreCase), wordToComplete);
}
