using System.Management.Automation;

namespace Repartir.Cmdlets.Output;

/// <summary>
/// Everything cmdlet logic may say to PowerShell, in plain types. Cmdlets implement it with one thin
/// adapter (<see cref="CmdletSink"/>); tests implement it with a recorder, so the logic runs without a
/// PowerShell host (the pattern PSScriptAnalyzer uses with its IOutputWriter).
/// </summary>
public interface ICommandSink
{
    /// <summary>One object onto the output pipeline.</summary>
    void WriteObject(object value);

    /// <summary>One non-terminating error.</summary>
    void WriteError(CommandError error);

    /// <summary>A progress update for the call's one activity.</summary>
    void WriteProgress(ProgressUpdate progress);

    /// <summary>A verbose message.</summary>
    void WriteVerbose(string message);

    /// <summary>A warning: something the user should know that is not an error (a worker that cannot be reached yet).</summary>
    void WriteWarning(string message);

    /// <summary>Writes an error record as it is (a script task's own error, which keeps its position and category).</summary>
    void WriteErrorRecord(System.Management.Automation.ErrorRecord record);

    /// <summary>Writes a debug message.</summary>
    void WriteDebug(string message);

    /// <summary>Writes an information record (Write-Information, Write-Host).</summary>
    void WriteInformation(System.Management.Automation.InformationRecord record);

    /// <summary>Asks -WhatIf / -Confirm whether to go ahead.</summary>
    bool ShouldProcess(string target, string action);
}

/// <summary>A non-terminating error: a specific exception, a stable id, a category and the input it concerns.</summary>
/// <param name="ErrorId">Stable id, for <c>Should -Throw -ErrorId</c> and for scripts.</param>
/// <param name="Category">PowerShell's category.</param>
/// <param name="Exception">What went wrong, in a sentence that names it.</param>
/// <param name="Target">The input item (or object) the error concerns.</param>
public sealed record CommandError(string ErrorId, ErrorCategory Category, Exception Exception, object? Target);

/// <summary>The state of a fan-out, for Write-Progress.</summary>
/// <param name="Completed">Tasks with a result.</param>
/// <param name="Failed">Of those, the ones that did not succeed.</param>
/// <param name="Total">Tasks submitted so far (the final total once input has ended).</param>
/// <param name="InputComplete">True once no more input will come, so <paramref name="Total"/> is final.</param>
/// <param name="Remaining">Estimated time left, when it can be estimated.</param>
/// <param name="IsFinal">True for the closing record (progress bar removed).</param>
public sealed record ProgressUpdate(int Completed, int Failed, int Total, bool InputComplete, TimeSpan? Remaining, bool IsFinal)
{
    /// <summary>The activity every Repartir progress record carries.</summary>
    public const string Activity = "Repartir tasks";

    /// <summary>The status line: completed/total and failures.</summary>
    public string Status => $"{Completed}/{Total}{(InputComplete ? string.Empty : "+")} completed, {Failed} failed";

    /// <summary>Percent complete, or -1 while the total is still growing.</summary>
    public int PercentComplete => InputComplete && Total > 0 ? (int)(100L * Completed / Total) : -1;
}
