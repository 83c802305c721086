using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Security.Cryptography;
using System.Text;
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
    private readonly ConcurrentDictionary<string, Lazy<RunspaceSet>> _runspaces = new(StringComparer.Ordinal);

    /// <summary>The work standing for <paramref name="spec"/> when it is a script-block task; null for any other task.</summary>
    internal IInProcessWork? For(TaskSpec spec) => RemoteScript.IsScriptTask(spec) ? new HostedScript(this, spec.StandardInput!.Value) : null;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (Lazy<RunspaceSet> set in _runspaces.Values)
        {
            if (set.IsValueCreated)
            {
                set.Value.Dispose();
            }
        }
    }

    private RunspaceSet RunspacesFor(string[] modules, IReadOnlyDictionary<string, string> functions)
    {
        string key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join('\0', modules) + "\0\0" + string.Join('\0', functions.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + "\0" + f.Value)))));
        return _runspaces.GetOrAdd(key, _ => new Lazy<RunspaceSet>(() =>
        {
            InitialSessionState state = InitialSessionState.CreateDefault2();
            state.ThreadOptions = PSThreadOptions.UseCurrentThread;
            state.ThrowOnRunspaceOpenError = true;
            if (modules.Length > 0)
            {
                state.ImportPSModule(modules);
            }

            foreach ((string name, string definition) in functions)
            {
                state.Commands.Add(new SessionStateFunctionEntry(name, definition));
            }

            return new RunspaceSet(state);
        })).Value;
    }

    /// <summary>One script-block task, read from its request and run in one of the host's runspaces.</summary>
    private sealed class HostedScript(WorkerScriptHost host, ReadOnlyMemory<byte> request) : IInProcessWork
    {
        public InProcessOutcome Run(ExecutionSlot slot, CancellationToken cancellationToken)
        {
            Hashtable read = RemoteScript.ReadRequest(request);
            string[] modules = [.. Items(read["Modules"]).OfType<object>().Select(m => m.ToString()!)];
            Dictionary<string, string> functions = Entries(read["Functions"]).ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? string.Empty, StringComparer.OrdinalIgnoreCase);
            var preferences = Entries(read["Preferences"]).ToDictionary(e => e.Key.ToString()!, e => (object?)e.Value?.ToString(), StringComparer.OrdinalIgnoreCase);
            var definition = new ScriptDefinition(
                read["Script"]?.ToString() ?? string.Empty,
                Unwrap(read["Using"]) as Hashtable ?? [],
                [.. Items(read["Arguments"])],
                preferences,
                host.RunspacesFor(modules, functions),
                functions,
                modules);
            InProcessOutcome ran = new ScriptTask(definition, Unwrap(read["Input"])).Run(slot, cancellationToken);
            return new InProcessOutcome(null, null, RemoteScript.Answer((ScriptOutput)ran.Value!, ran.Failure));
        }

        private static object? Unwrap(object? value) => value is PSObject { BaseObject: not PSCustomObject } wrapped ? wrapped.BaseObject : value;

        private static IEnumerable<object?> Items(object? value) => Unwrap(value) switch
        {
            null => [],
            string text => [text],
            IEnumerable list => list.Cast<object?>(),
            var single => [single],
        };

        private static IEnumerable<DictionaryEntry> Entries(object? value) => Unwrap(value) is IDictionary map ? map.Cast<DictionaryEntry>() : [];
    }
}
