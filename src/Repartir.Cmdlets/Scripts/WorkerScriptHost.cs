using System.Collections;
using Repartir.Execution;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Scripts;

/// <summary>
/// What a worker started inside PowerShell (Start-RepartirWorker) does with the script-block tasks coordinators send:
/// it runs them in runspaces of its own, reused as a pool's are, instead of starting pwsh for each, and answers on
/// standard output exactly as pwsh would, so the coordinator reads them back the same way.
/// </summary>
internal sealed class WorkerScriptHost : IDisposable
{
    private readonly RunspaceSets _runspaces = new();

    /// <summary>The work standing for <paramref name="spec"/> when it is a script-block task; null for any other task.</summary>
    internal IInProcessWork? For(TaskSpec spec) => RemoteScript.IsScriptTask(spec) ? new HostedScript(_runspaces, spec.StandardInput!.Value) : null;

    /// <inheritdoc />
    public void Dispose() => _runspaces.Dispose();

    /// <summary>One script-block task, read from its request and run in one of the host's runspaces.</summary>
    private sealed class HostedScript(RunspaceSets runspaces, ReadOnlyMemory<byte> request) : IInProcessWork
    {
        public InProcessOutcome Run(ExecutionSlot slot, CancellationToken cancellationToken)
        {
            Hashtable read = RemoteScript.ReadRequest(request);
            string[] modules = [.. RemoteScript.Texts(read["Modules"])];
            Dictionary<string, string> functions = RemoteScript.Entries(read["Functions"]).ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? string.Empty, StringComparer.OrdinalIgnoreCase);
            var preferences = RemoteScript.Entries(read["Preferences"]).ToDictionary(e => e.Key.ToString()!, e => (object?)e.Value?.ToString(), StringComparer.OrdinalIgnoreCase);
            var definition = new ScriptDefinition(
                read["Script"]?.ToString() ?? string.Empty,
                RemoteScript.Unwrap(read["Using"]) as Hashtable ?? [],
                [.. RemoteScript.Items(read["Arguments"])],
                preferences,
                runspaces.For(modules, functions),
                functions,
                modules);
            InProcessOutcome ran = new ScriptTask(definition, RemoteScript.Unwrap(read["Input"])).Run(slot, cancellationToken);
            return new InProcessOutcome(null, null, RemoteScript.Answer((ScriptOutput)ran.Value!, ran.Failure));
        }
    }
}
