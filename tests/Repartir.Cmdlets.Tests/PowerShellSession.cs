using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Repartir.Testing;

namespace Repartir.Cmdlets.Tests;

/// <summary>
/// A real PowerShell runspace (Microsoft.PowerShell.SDK) with the module as the build laid it out imported — its own
/// load context, formats, types and help included. Scripts see its objects as any script does: through properties.
/// </summary>
public sealed class PowerShellSession : IDisposable
{
    // Static fields initialise in order: the manifest's path first.
    private static readonly string Manifest = RepositoryFiles.PathOf(
        "src", "Repartir.Cmdlets", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "Repartir", "Repartir.psd1");

    private static readonly InitialSessionState InitialState = CreateInitialState();

    private readonly Runspace _runspace;

    public PowerShellSession()
    {
        _runspace = RunspaceFactory.CreateRunspace(InitialState);
        _runspace.Open();
    }

    /// <summary>The manifest of the module the build laid out, in the configuration of this test run.</summary>
    public static string ModuleManifest => Manifest;

    /// <summary>
    /// Runs <paramref name="script"/> with the given variables set. A terminating error (one a try/catch in the
    /// script would catch: ThrowTerminatingError, throw, -ErrorAction Stop) ends the script and is captured, not thrown.
    /// </summary>
    public Invocation Run(string script, params (string Name, object? Value)[] variables)
    {
        using PowerShell shell = Prepare($"$global:RepartirTestTerminating = $null; try {{ {script}\n}} catch {{ $global:RepartirTestTerminating = $_ }}", variables);
        Collection<PSObject> output = shell.Invoke();
        return Invocation.From(shell, output, _runspace.SessionStateProxy.GetVariable("RepartirTestTerminating") as ErrorRecord);
    }

    /// <summary>Starts <paramref name="script"/> and returns at once; the caller waits for it or stops it.</summary>
    public RunningScript Start(string script, params (string Name, object? Value)[] variables) => new(Prepare(script, variables));

    /// <summary>Starts <paramref name="script"/>, waits until <paramref name="ready"/> holds, stops it as Ctrl+C would, and returns what it wrote.</summary>
    public Invocation RunAndStop(string script, Func<bool> ready, TimeSpan limit, params (string Name, object? Value)[] variables)
    {
        using RunningScript running = Start(script, variables);
        Eventually.True(ready, limit, "the script to reach the point where it is stopped");
        return running.Stop();
    }

    public void Dispose() => _runspace.Dispose();

    private static InitialSessionState CreateInitialState()
    {
        InitialSessionState state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(ModuleManifest);
        return state;
    }

    private PowerShell Prepare(string script, (string Name, object? Value)[] variables)
    {
        foreach ((string name, object? value) in variables)
        {
            _runspace.SessionStateProxy.SetVariable(name, value);
        }

        PowerShell shell = PowerShell.Create(_runspace);
        shell.AddScript(script);
        return shell;
    }
}

/// <summary>A script started in a session and still running: its streams can be watched while it runs.</summary>
public sealed class RunningScript : IDisposable
{
    private readonly PowerShell _shell;
    private readonly PSDataCollection<PSObject> _output = new();
    private readonly IAsyncResult _running;

    internal RunningScript(PowerShell shell)
    {
        _shell = shell;
        _running = shell.BeginInvoke<PSObject, PSObject>(null, _output);
    }

    public PSDataStreams Streams => _shell.Streams;

    /// <summary>How many objects it has written so far.</summary>
    public int OutputCount => _output.Count;

    /// <summary>Waits for the script to end.</summary>
    public Invocation Wait(TimeSpan? limit = null)
    {
        Assert.True(_running.AsyncWaitHandle.WaitOne(limit ?? TimeSpan.FromSeconds(60)), "the script did not end in time");
        try
        {
            _shell.EndInvoke(_running);
            return Invocation.From(_shell, _output, terminating: null);
        }
        catch (RuntimeException e) when (e is not PipelineStoppedException)
        {
            return Invocation.From(_shell, _output, e.ErrorRecord);
        }
    }

    /// <summary>Stops the script as Ctrl+C would and waits for it to end.</summary>
    public Invocation Stop()
    {
        _shell.Stop();
        try
        {
            _shell.EndInvoke(_running);
        }
        catch (PipelineStoppedException)
        {
            // What Ctrl+C does to a pipeline.
        }

        return Invocation.From(_shell, _output, terminating: null);
    }

    public void Dispose() => _shell.Dispose();
}

/// <summary>What one script run wrote: its output and every stream, and the terminating error if there was one.</summary>
public sealed record Invocation(
    IReadOnlyList<PSObject> Output,
    IReadOnlyList<ErrorRecord> Errors,
    IReadOnlyList<ProgressRecord> Progress,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<string> Verbose,
    ErrorRecord? Terminating)
{
    /// <summary>The information records it wrote (Write-Information, Write-Host).</summary>
    public IReadOnlyList<InformationRecord> Information { get; init; } = [];

    internal static Invocation From(PowerShell shell, IEnumerable<PSObject> output, ErrorRecord? terminating) => new(
        [.. output],
        [.. shell.Streams.Error],
        [.. shell.Streams.Progress],
        [.. shell.Streams.Warning.Select(w => w.Message)],
        [.. shell.Streams.Verbose.Select(v => v.Message)],
        terminating)
    {
        Information = [.. shell.Streams.Information],
    };

    /// <summary>The one output object (fails otherwise).</summary>
    public PSObject Single() => Assert.Single(Output);

    /// <summary>Fails with what went wrong when the run wrote any error.</summary>
    public Invocation Succeeded()
    {
        Assert.True(Terminating is null, $"terminating error: {Terminating?.FullyQualifiedErrorId}: {Terminating?.Exception.Message}");
        Assert.True(Errors.Count == 0, "errors: " + string.Join("; ", Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e.Exception.Message}")));
        return this;
    }
}

/// <summary>Reading a PowerShell object's properties as a script does.</summary>
public static class PSObjectExtensions
{
    public static T Get<T>(this PSObject item, string property) => LanguagePrimitives.ConvertTo<T>(item.Value(property));

    public static object? Value(this PSObject item, string property) => item.Properties[property] is { } p ? p.Value : throw new KeyNotFoundException($"{item.TypeNames[0]} has no property {property}");

    /// <summary>An error's target as a script compares it: unwrapped from its PSObject.</summary>
    public static object? Target(this ErrorRecord error) => error.TargetObject is PSObject wrapped ? wrapped.BaseObject : error.TargetObject;
}
