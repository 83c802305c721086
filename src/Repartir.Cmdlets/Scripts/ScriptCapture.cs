using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using System.Text;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;

namespace Repartir.Cmdlets.Scripts;

/// <summary>
/// Takes what a script block needs from the caller's session when Submit-RepartirTask is called: the values of its
/// <c>$using:</c> variables, the definitions of the functions named, the modules named, and the stream preferences;
/// and finds (or makes) the pool's runspaces that have those modules and functions.
/// </summary>
internal static class ScriptCapture
{
    /// <summary>The caller's preferences a task's runspace gets, so -Verbose and $VerbosePreference behave as in the caller.</summary>
    private static readonly string[] PreferenceVariables = ["VerbosePreference", "DebugPreference", "WarningPreference", "InformationPreference"];

    /// <exception cref="TerminatingCommandException">A <c>$using:</c> is not a plain variable or names none, a function does not exist, or a module does not load.</exception>
    /// <summary>What <paramref name="script"/> needs, taken from <paramref name="cmdlet"/>'s session now; with <paramref name="remote"/> the tasks run on remote workers, so no runspace of this machine is made and modules are named as given.</summary>
    internal static ScriptDefinition Capture(PSCmdlet cmdlet, PoolInfo pool, ScriptBlock script, object?[] arguments, string[] modules, string[] functions, bool remote = false)
    {
        Hashtable usingValues = UsingValues(cmdlet, script);
        var functionTexts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in functions)
        {
            if (cmdlet.InvokeCommand.GetCommand(name, CommandTypes.Function) is not FunctionInfo function)
            {
                throw Invalid($"-ImportFunction: no function named '{name}' exists in this session.", name);
            }

            functionTexts[function.Name] = function.Definition;
        }

        var preferences = Preferences(cmdlet);
        if (remote)
        {
            return new ScriptDefinition(script.ToString(), usingValues, arguments, preferences, null, functionTexts, modules);
        }

        string[] moduleSpecs = [.. modules.Select(m => ModuleSpec(cmdlet, m))];
        RunspaceSet runspaces = pool.Runspaces.For(moduleSpecs, functionTexts);
        if (moduleSpecs.Length > 0)
        {
            Warm(runspaces, moduleSpecs);
        }

        return new ScriptDefinition(script.ToString(), usingValues, arguments, preferences, runspaces, functionTexts, modules);
    }

    /// <summary>The caller's stream preferences, with the cmdlet's own -Verbose and -Debug.</summary>
    private static Dictionary<string, object?> Preferences(PSCmdlet cmdlet)
    {
        var preferences = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in PreferenceVariables)
        {
            preferences[name] = cmdlet.SessionState.PSVariable.GetValue(name);
        }

        // The cmdlet's own -Verbose / -Debug say what the caller wants from these tasks too.
        if (cmdlet.MyInvocation.BoundParameters.TryGetValue("Verbose", out object? verbose))
        {
            preferences["VerbosePreference"] = verbose is SwitchParameter { IsPresent: true } ? ActionPreference.Continue : ActionPreference.SilentlyContinue;
        }

        if (cmdlet.MyInvocation.BoundParameters.TryGetValue("Debug", out object? debug) && debug is SwitchParameter { IsPresent: true })
        {
            preferences["DebugPreference"] = ActionPreference.Continue;
        }

        return preferences;
    }

    /// <summary>
    /// The values of the script's <c>$using:</c> variables, read from the caller's scope now, keyed as PowerShell keys
    /// them when it binds a script's using values (Base64 of the lower-cased expression, UTF-16).
    /// </summary>
    private static Hashtable UsingValues(PSCmdlet cmdlet, ScriptBlock script)
    {
        var values = new Hashtable(StringComparer.Ordinal);
        foreach (UsingExpressionAst usingAst in script.Ast.FindAll(a => a is UsingExpressionAst, searchNestedScriptBlocks: true).Cast<UsingExpressionAst>())
        {
            if (usingAst.SubExpression is not VariableExpressionAst variable)
            {
                throw Invalid($"{usingAst.Extent.Text}: a script task's $using: takes a variable ($using:name), not an expression; assign it to a variable first.", usingAst.Extent.Text);
            }

            string key = Convert.ToBase64String(Encoding.Unicode.GetBytes(usingAst.ToString().ToLowerInvariant()));
            if (values.ContainsKey(key))
            {
                continue;
            }

            PSVariable? found = cmdlet.SessionState.PSVariable.Get(variable.VariablePath.UserPath);
            if (found is null)
            {
                throw Invalid($"{usingAst.Extent.Text}: the variable '{variable.VariablePath.UserPath}' is not defined where Submit-RepartirTask was called.", usingAst.Extent.Text);
            }

            values[key] = found.Value;
        }

        return values;
    }

    /// <summary>A module as the runspaces import it: the path of the module this session has loaded under that name, else the name or path as given.</summary>
    private static string ModuleSpec(PSCmdlet cmdlet, string module)
    {
        if (module.Contains('/', StringComparison.Ordinal) || module.StartsWith('.') || module.StartsWith('~'))
        {
            return cmdlet.GetUnresolvedProviderPathFromPSPath(module);
        }

        PSObject? loaded = cmdlet.InvokeCommand.InvokeScript(false, ScriptBlock.Create("param($n) Get-Module -Name $n | Select-Object -First 1"), null, module).FirstOrDefault();
        return loaded?.BaseObject is PSModuleInfo info ? info.Path : module;
    }

    /// <summary>Opens one runspace now, so a module that does not load is one error for the call, not one per task.</summary>
    private static void Warm(RunspaceSet runspaces, string[] modules)
    {
        ScriptRunspace runspace;
        try
        {
            runspace = runspaces.Rent();
        }
        catch (Exception e) when (e is RuntimeException or InvalidOperationException or IOException)
        {
            throw Invalid($"-ImportModule: {string.Join(", ", modules)} did not load into a task's runspace: {e.Message}", string.Join(",", modules));
        }

        runspaces.Return(runspace);
    }

    private static TerminatingCommandException Invalid(string message, object target) =>
        new(ErrorRecords.BadScriptTask(new InvalidSettingException("ScriptBlock", message), target));
}
