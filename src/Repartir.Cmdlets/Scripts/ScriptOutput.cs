using System.Management.Automation;

namespace Repartir.Cmdlets.Scripts;

/// <summary>What a script-block task wrote: its output objects and its records of every stream, in the order written per stream.</summary>
public sealed class ScriptOutput
{
    internal ScriptOutput(PSObject[] output, ErrorRecord[] errors, WarningRecord[] warnings, VerboseRecord[] verbose, DebugRecord[] debug, InformationRecord[] information)
    {
        Output = output;
        Errors = errors;
        Warnings = warnings;
        Verbose = verbose;
        Debug = debug;
        Information = information;
    }

    /// <summary>The objects it wrote to its output.</summary>
    public PSObject[] Output { get; }

    /// <summary>Its errors: the non-terminating ones, then the terminating one that ended it, if one did.</summary>
    public ErrorRecord[] Errors { get; }

    /// <summary>Its warnings.</summary>
    public WarningRecord[] Warnings { get; }

    /// <summary>Its verbose messages (written when the caller's VerbosePreference, or -Verbose, asks for them).</summary>
    public VerboseRecord[] Verbose { get; }

    /// <summary>Its debug messages (as Verbose, with DebugPreference).</summary>
    public DebugRecord[] Debug { get; }

    /// <summary>Its information records, Write-Host included.</summary>
    public InformationRecord[] Information { get; }
}
