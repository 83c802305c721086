using System.Collections.Concurrent;
using System.Management.Automation.Runspaces;
using System.Security.Cryptography;
using System.Text;

namespace Repartir.Cmdlets.Scripts;

/// <summary>
/// The runspace sets of one owner (a pool, or a worker started in PowerShell): one per set of modules and function
/// definitions, made the first time a script task needs it and kept until the owner is disposed.
/// </summary>
internal sealed class RunspaceSets : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<RunspaceSet>> _sets = new(StringComparer.Ordinal);

    /// <summary>The runspaces with <paramref name="modules"/> imported and <paramref name="functions"/> (name to definition) defined.</summary>
    internal RunspaceSet For(IReadOnlyList<string> modules, IReadOnlyDictionary<string, string> functions) =>
        _sets.GetOrAdd(Key(modules, functions), _ => new Lazy<RunspaceSet>(() => new RunspaceSet(StateFor(modules, functions)))).Value;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (Lazy<RunspaceSet> set in _sets.Values)
        {
            if (set.IsValueCreated)
            {
                set.Value.Dispose();
            }
        }
    }

    private static InitialSessionState StateFor(IReadOnlyList<string> modules, IReadOnlyDictionary<string, string> functions)
    {
        InitialSessionState state = InitialSessionState.CreateDefault2();
        state.ThreadOptions = PSThreadOptions.UseCurrentThread; // the pool's worker thread runs the script
        state.ThrowOnRunspaceOpenError = true; // a module that does not load is an error, not a runspace without it
        if (modules.Count > 0)
        {
            state.ImportPSModule([.. modules]);
        }

        foreach ((string name, string definition) in functions)
        {
            state.Commands.Add(new SessionStateFunctionEntry(name, definition));
        }

        return state;
    }

    private static string Key(IReadOnlyList<string> modules, IReadOnlyDictionary<string, string> functions)
    {
        var text = new StringBuilder();
        foreach (string module in modules)
        {
            text.Append("module\0").Append(module).Append('\0');
        }

        foreach ((string name, string definition) in functions.OrderBy(f => f.Key, StringComparer.OrdinalIgnoreCase))
        {
            text.Append("function\0").Append(name).Append('\0').Append(definition).Append('\0');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
