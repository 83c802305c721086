using Repartir.Tasks;

namespace Repartir.Cmdlets.Tasks;

/// <summary>
/// A task's result as PowerShell shows it. Flat, and every value of a plain type (kinds as their names), so it
/// formats, compares in scripts, and serialises with Export-Csv, ConvertTo-Json or across a job's process boundary
/// without the engine's types, which scripts cannot name (the module lives in its own load context). The raw
/// output bytes are methods, so they are not written out twice beside the text.
/// </summary>
public sealed class TaskResultInfo
{
    private readonly TaskResult _result;

    internal TaskResultInfo(TaskResult result, string pool)
    {
        _result = result;
        Pool = pool;
    }

    /// <summary>The task's id within its pool.</summary>
    public long Id => _result.Id.Value;

    /// <summary>The name of the pool that ran it.</summary>
    public string Pool { get; }

    /// <summary>The task's display name (its command line).</summary>
    public string Name => _result.Name;

    /// <summary>True when the process exited with code 0, or the script block ran to its end (non-terminating errors do not fail it).</summary>
    public bool Success => _result.Success;

    /// <summary>The exit code, when the process exited by itself.</summary>
    public int? ExitCode => _result.ExitCode;

    /// <summary>The signal that ended the process, when one did (including the kill of a timeout or cancel).</summary>
    public int? Signal => _result.Signal;

    /// <summary>Why the task did not end with an exit code: None, NotFound, NotExecutable, TimedOut, Cancelled, SpawnFailed, Rejected, Signaled, WorkerLost, NoWorker, GpuFailed or WorkFailed (a script block's terminating error).</summary>
    public string Failure => _result.Failure.ToString();

    /// <summary>A sentence about the failure; empty when there was none.</summary>
    public string? FailureMessage => _result.FailureMessage;

    /// <summary>Standard output as UTF-8 text.</summary>
    public string Stdout => _result.Stdout;

    /// <summary>Standard error as UTF-8 text.</summary>
    public string Stderr => _result.Stderr;

    /// <summary>True when standard output exceeded the cap and the rest was dropped.</summary>
    public bool StdoutTruncated => _result.StdoutTruncated;

    /// <summary>True when standard error exceeded the cap and the rest was dropped.</summary>
    public bool StderrTruncated => _result.StderrTruncated;

    /// <summary>When the final attempt started.</summary>
    public DateTimeOffset StartTime => _result.StartTime;

    /// <summary>When the final attempt ended.</summary>
    public DateTimeOffset EndTime => _result.EndTime;

    /// <summary>How long the final attempt ran.</summary>
    public TimeSpan Duration => _result.Duration;

    /// <summary>Which attempt this result came from (1 = the first; 0 = the task never started).</summary>
    public int Attempt => _result.Attempt;

    /// <summary>How many runs were lost with their worker and run again elsewhere (they use up no retries).</summary>
    public int Losses => _result.Losses;

    /// <summary>True when the task did not run in this call: an earlier run with the same -Journal recorded this result.</summary>
    public bool FromJournal => _result.FromJournal;

    /// <summary>The machine the task ran on.</summary>
    public string Host => _result.Host;

    /// <summary>The worker that ran it: <c>cpu-3</c> on this machine, <c>node1/cpu-2</c> on a pool worker.</summary>
    public string Worker => _result.Worker;

    /// <summary>The backend that ran (or refused) the task: Cpu, Remote or Auto.</summary>
    public string Backend => _result.Backend.ToString();

    /// <summary>The process id of the final attempt, when a process started.</summary>
    public int? ProcessId => _result.ProcessId;

    /// <summary>The command line, quoted as a person would type it.</summary>
    public string CommandLine => _result.Spec.CommandLine;

    /// <summary>A script task's output objects; null for a program.</summary>
    public System.Management.Automation.PSObject[]? Output => Script?.Output;

    /// <summary>A script task's errors (the terminating one last, when one ended it); null for a program.</summary>
    public System.Management.Automation.ErrorRecord[]? Errors => Script?.Errors;

    /// <summary>A script task's warnings; null for a program.</summary>
    public System.Management.Automation.WarningRecord[]? Warnings => Script?.Warnings;

    /// <summary>A script task's verbose messages; null for a program.</summary>
    public System.Management.Automation.VerboseRecord[]? Verbose => Script?.Verbose;

    /// <summary>A script task's information records (Write-Information, Write-Host); null for a program.</summary>
    public System.Management.Automation.InformationRecord[]? Information => Script?.Information;

    /// <summary>The item the task was made from, unchanged.</summary>
    public object? InputObject => _result.InputObject;

    private Scripts.ScriptOutput? Script => _result.Value as Scripts.ScriptOutput;

    /// <summary>The engine's result, for exports.</summary>
    internal TaskResult Result => _result;

    /// <summary>The failure kind as the engine's enum, for the module's own decisions.</summary>
    internal FailureKind Kind => _result.Failure;

    /// <summary>Standard output exactly as the process wrote it (a copy).</summary>
    public byte[] GetStdoutBytes() => (byte[])_result.StdoutBytes.Clone();

    /// <summary>Standard error exactly as the process wrote it (a copy).</summary>
    public byte[] GetStderrBytes() => (byte[])_result.StderrBytes.Clone();

    /// <inheritdoc />
    public override string ToString() => _result.ToString();
}
