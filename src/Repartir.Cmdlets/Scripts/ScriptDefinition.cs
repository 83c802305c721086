using System.Collections;
using System.Management.Automation;

namespace Repartir.Cmdlets.Scripts;

/// <summary>
/// What every task of one Submit-RepartirTask -ScriptBlock call runs: the script's text, the <c>$using:</c> values
/// taken from the caller when it was called, the argument list, the caller's stream preferences, and the runspaces
/// (with the modules and functions asked for) it runs in.
/// </summary>
internal sealed class ScriptDefinition
{
    /// <summary>The parameter name PowerShell binds <c>$using:</c> values from when a script is added as text.</summary>
    private const string UsingValuesParameter = "--%";

    internal ScriptDefinition(string text, Hashtable usingValues, object?[] arguments, IReadOnlyDictionary<string, object?> preferences, RunspaceSet? runspaces, IReadOnlyDictionary<string, string> functions, string[] remoteModules)
    {
        Functions = functions;
        RemoteModules = remoteModules;
        Text = text;
        UsingValues = usingValues;
        Arguments = arguments;
        Preferences = preferences;
        Runspaces = runspaces;
        string oneLine = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        ShortText = "{ " + (oneLine.Length <= 40 ? oneLine : string.Concat(oneLine.AsSpan(0, 37), "...")) + " }";
    }

    internal string Text { get; }

    /// <summary>The script as a task's name shows it: one line, cut at 40 characters.</summary>
    internal string ShortText { get; }

    internal Hashtable UsingValues { get; }

    internal object?[] Arguments { get; }

    /// <summary>The caller's VerbosePreference, DebugPreference, WarningPreference and InformationPreference, set in each runspace.</summary>
    internal IReadOnlyDictionary<string, object?> Preferences { get; }

    /// <summary>This machine's runspaces for the script; null when it runs on remote workers only.</summary>
    internal RunspaceSet? Runspaces { get; }

    /// <summary>The functions named, by name, as they were defined when the command was called (sent to remote workers).</summary>
    internal IReadOnlyDictionary<string, string> Functions { get; }

    /// <summary>The modules named, as given: a remote worker imports them from its own module path.</summary>
    internal string[] RemoteModules { get; }

    /// <summary>Adds the script, its arguments and its <c>$using:</c> values to <paramref name="shell"/>.</summary>
    internal void AddTo(PowerShell shell)
    {
        shell.AddScript(Text, useLocalScope: true);
        foreach (object? argument in Arguments)
        {
            shell.AddArgument(argument);
        }

        if (UsingValues.Count > 0)
        {
            shell.AddParameter(UsingValuesParameter, UsingValues);
        }
    }
}
