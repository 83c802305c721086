using System.Collections;
using System.Management.Automation;
using System.Text;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Scripts;

/// <summary>
/// A script block on a remote worker: a process task that runs <c>pwsh</c> there, given the script, its
/// <c>$using:</c> values, arguments, input item, preferences, functions and modules in PowerShell's own serialisation
/// (CliXml, as remoting sends them) on its standard input; it answers with the output objects and records in CliXml
/// on its standard output, which come back as deserialized objects, as <c>Invoke-Command</c> gives them.
/// </summary>
internal static class RemoteScript
{
    /// <summary>The envelope's depth: the answer, its output array, each object, and each object's properties (remoting's depth 1 per object).</summary>
    private const int Depth = 3;

    /// <summary>The exit code the runner ends with when the script had a terminating error.</summary>
    private const int ScriptFailedExitCode = 1;

    /// <summary>What runs in pwsh on the worker: read the request, run it in a runspace of its own, write the answer.</summary>
    private const string Runner = """
        $request = [System.Management.Automation.PSSerializer]::Deserialize([Console]::In.ReadToEnd())
        $state = [initialsessionstate]::CreateDefault2()
        $state.ThrowOnRunspaceOpenError = $true
        if ($request.Modules) { $state.ImportPSModule([string[]] $request.Modules) }
        foreach ($function in $request.Functions.GetEnumerator()) { $state.Commands.Add([System.Management.Automation.Runspaces.SessionStateFunctionEntry]::new($function.Key, $function.Value)) }
        $runspace = [runspacefactory]::CreateRunspace($state)
        $runspace.Open()
        foreach ($preference in $request.Preferences.GetEnumerator()) { $runspace.SessionStateProxy.SetVariable($preference.Key, $preference.Value) }
        $runspace.SessionStateProxy.SetVariable('_', $request.Input)
        $runspace.SessionStateProxy.SetVariable('PSItem', $request.Input)
        $shell = [powershell]::Create()
        $shell.Runspace = $runspace
        [void] $shell.AddScript($request.Script, $true)
        foreach ($argument in $request.Arguments) { [void] $shell.AddArgument($argument) }
        if ($request.Using.Count) { [void] $shell.AddParameter('--%', $request.Using) }
        $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
        $failure = $null
        try { $shell.Invoke([object[]] @(), $output) }
        catch {
            $inner = if ($_.Exception.InnerException) { $_.Exception.InnerException } else { $_.Exception }
            $at = if ($inner -is [System.Management.Automation.IContainsErrorRecord] -and $inner.ErrorRecord.InvocationInfo.ScriptLineNumber -gt 0) { " (line $($inner.ErrorRecord.InvocationInfo.ScriptLineNumber): $($inner.ErrorRecord.InvocationInfo.Line.Trim()))" } else { '' }
            $failure = "$($inner.Message)$at"
        }
        $answer = @{
            Output = @($output)
            Errors = @($shell.Streams.Error | ForEach-Object { $_.ToString() })
            Warnings = @($shell.Streams.Warning | ForEach-Object Message)
            Verbose = @($shell.Streams.Verbose | ForEach-Object Message)
            Debug = @($shell.Streams.Debug | ForEach-Object Message)
            Information = @($shell.Streams.Information | ForEach-Object { "$($_.MessageData)" })
            Failure = $failure
        }
        [Console]::Out.Write([System.Management.Automation.PSSerializer]::Serialize($answer, 3))
        if ($failure) { exit 1 }
        """;

    private static readonly string EncodedRunner = Convert.ToBase64String(Encoding.Unicode.GetBytes(Runner));

    /// <summary>Whether <paramref name="spec"/> is a remote script-block task (pwsh given this runner): a worker inside PowerShell runs it in its own runspaces.</summary>
    internal static bool IsScriptTask(TaskSpec spec) =>
        spec.Executable == "pwsh" && spec.Arguments.Count > 0 && spec.Arguments[^1] == EncodedRunner && spec.StandardInput is not null;

    /// <summary>The request a script-block task carries on its standard input.</summary>
    /// <exception cref="InvalidDataException">The input is not a request.</exception>
    internal static Hashtable ReadRequest(ReadOnlyMemory<byte> standardInput) =>
        ReadTable(Encoding.UTF8.GetString(standardInput.Span)) ?? throw new InvalidDataException("A script-block task's input is not its request.");

    /// <summary>The hashtable a request or an answer is, read from CliXml; null when the text is another object.</summary>
    private static Hashtable? ReadTable(string cliXml) => Unwrap(PSSerializer.Deserialize(cliXml)) as Hashtable;

    /// <summary>A deserialized value without its PSObject wrapper (custom objects keep theirs: it is what they are).</summary>
    internal static object? Unwrap(object? value) => value is PSObject { BaseObject: not PSCustomObject } wrapped ? wrapped.BaseObject : value;

    /// <summary>The elements of a deserialized list; a single value is a list of one, null an empty one.</summary>
    internal static IEnumerable<object?> Items(object? value) => Unwrap(value) switch
    {
        null => [],
        string text => [text],
        IEnumerable list => list.Cast<object?>(),
        var single => [single],
    };

    /// <summary>The entries of a deserialized hashtable; none when it is not one.</summary>
    internal static IEnumerable<DictionaryEntry> Entries(object? value) => Unwrap(value) is IDictionary map ? map.Cast<DictionaryEntry>() : [];

    /// <summary>The answer the runner writes, from <paramref name="output"/>: the output objects, the records as text, and the terminating error's message.</summary>
    internal static byte[] Answer(ScriptOutput output, string? failure) => Encoding.UTF8.GetBytes(PSSerializer.Serialize(
        new Hashtable
        {
            ["Output"] = output.Output,
            ["Errors"] = output.Errors.Take(output.Errors.Length - (failure is null ? 0 : 1)).Select(e => e.ToString()).ToArray(),
            ["Warnings"] = output.Warnings.Select(w => w.Message).ToArray(),
            ["Verbose"] = output.Verbose.Select(v => v.Message).ToArray(),
            ["Debug"] = output.Debug.Select(d => d.Message).ToArray(),
            ["Information"] = output.Information.Select(i => i.MessageData?.ToString() ?? string.Empty).ToArray(),
            ["Failure"] = failure,
        },
        Depth));

    /// <summary>The process task that runs <paramref name="definition"/> for <paramref name="item"/> on a remote worker.</summary>
    internal static TaskSpec SpecFor(ScriptDefinition definition, object? item, string name)
    {
        var request = new Hashtable
        {
            ["Script"] = definition.Text,
            ["Using"] = definition.UsingValues,
            ["Arguments"] = definition.Arguments,
            ["Input"] = item,
            ["Preferences"] = new Hashtable(definition.Preferences.ToDictionary(p => p.Key, p => p.Value?.ToString())),
            ["Functions"] = new Hashtable(definition.Functions.ToDictionary(f => f.Key, f => f.Value)),
            ["Modules"] = definition.RemoteModules,
        };
        return new TaskSpec("pwsh", "-NoProfile", "-NonInteractive", "-NoLogo", "-EncodedCommand", EncodedRunner)
        {
            StandardInput = Encoding.UTF8.GetBytes(PSSerializer.Serialize(request, Depth)),
            Backend = Backend.Remote,
            Name = name,
            InputObject = item,
        };
    }

    /// <summary>The task submitted, its result read back into a <see cref="ScriptOutput"/> once it comes.</summary>
    internal static SubmittedTask Read(SubmittedTask submitted) => submitted with
    {
        Completion = submitted.Completion.ContinueWith(static t => Decode(t.Result), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default),
    };

    /// <summary>The script's output and records from what pwsh wrote; a worker without pwsh is said as such.</summary>
    internal static TaskResult Decode(TaskResult result)
    {
        if (result.Failure == FailureKind.NotFound)
        {
            return result with { FailureMessage = $"Worker {result.Worker.Split('/')[0]} has no pwsh on its PATH: a script block on a remote worker runs in PowerShell 7 there. ({result.FailureMessage})" };
        }

        if (result.Failure != FailureKind.None || result.ExitCode is not (0 or ScriptFailedExitCode))
        {
            return result;
        }

        Hashtable? answer;
        try
        {
            answer = ReadTable(result.Stdout);
        }
        catch (Exception e) when (e is System.Xml.XmlException or PSInvalidOperationException)
        {
            answer = null;
        }

        if (answer is null)
        {
            return result with { Failure = FailureKind.WorkFailed, ExitCode = null, FailureMessage = $"pwsh on the worker did not answer with a script's results: {Trim(result.Stderr)}" };
        }

        string? failure = answer["Failure"] as string;
        var output = new ScriptOutput(
            [.. Items(answer["Output"]).OfType<object>().Select(PSObject.AsPSObject)],
            [.. Texts(answer["Errors"]).Select(e => new ErrorRecord(new RemoteException(e), "RemoteScriptError", ErrorCategory.NotSpecified, result.InputObject))
                .Concat(failure is null ? [] : [new ErrorRecord(new RemoteException(failure), "RemoteScriptFailed", ErrorCategory.OperationStopped, result.InputObject)])],
            [.. Texts(answer["Warnings"]).Select(w => new WarningRecord(w))],
            [.. Texts(answer["Verbose"]).Select(v => new VerboseRecord(v))],
            [.. Texts(answer["Debug"]).Select(d => new DebugRecord(d))],
            [.. Texts(answer["Information"]).Select(i => new InformationRecord(i, result.Name))]);
        return failure is null
            ? result with { Value = output }
            : result with { Value = output, ExitCode = null, Failure = FailureKind.WorkFailed, FailureMessage = failure };
    }

    /// <summary>The elements of a deserialized list, as text.</summary>
    internal static IEnumerable<string> Texts(object? value) => Items(value).Select(item => item?.ToString() ?? string.Empty);

    private static string Trim(string text) => text.Length <= 500 ? text.Trim() : text[..500].Trim() + "...";
}
