using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Repartir.Checkpoints;

namespace Repartir.Cmdlets.Completers;

/// <summary>Tab completion of checkpoint names, from the store -Path names (the default store when it names none).</summary>
public sealed class CheckpointNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string? directory = fakeBoundParameters?["Path"] as string;
        if (!File.Exists(Path.Combine(directory ?? CheckpointStore.DefaultDirectory, CheckpointStore.FileName)))
        {
            return []; // completion never creates a store
        }

        try
        {
            using var store = new CheckpointStore(directory);
            return NameCompletion.Complete(store.List().Select(c => c.Name).Distinct(StringComparer.Ordinal).ToList(), wordToComplete).ToList();
        }
        catch (CheckpointException)
        {
            return [];
        }
    }
}
