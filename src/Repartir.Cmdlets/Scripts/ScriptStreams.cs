using System.Management.Automation;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Tasks;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Scripts;

/// <summary>
/// Submit-RepartirTask -Stream: a script task's output objects go to the caller's output as they are, and its records
/// to the caller's streams, each message led by the task's name (its script and input item), so a person can tell
/// which item said what. A task that ended without running (cancelled, refused) is a TaskFailed error.
/// </summary>
internal static class ScriptStreams
{
    internal static void Write(TaskResultInfo result, ICommandSink sink)
    {
        if (result.Result.Value is not ScriptOutput output)
        {
            if (!result.Success)
            {
                sink.WriteError(ErrorRecords.Failed(result));
            }

            return;
        }

        string from = result.Name;
        foreach (PSObject item in output.Output)
        {
            sink.WriteObject(item);
        }

        foreach (ErrorRecord error in output.Errors)
        {
            sink.WriteErrorRecord(Attributed(error, from));
        }

        foreach (WarningRecord warning in output.Warnings)
        {
            sink.WriteWarning($"{from}: {warning.Message}");
        }

        foreach (VerboseRecord verbose in output.Verbose)
        {
            sink.WriteVerbose($"{from}: {verbose.Message}");
        }

        foreach (DebugRecord debug in output.Debug)
        {
            sink.WriteDebug($"{from}: {debug.Message}");
        }

        foreach (InformationRecord information in output.Information)
        {
            var attributed = new InformationRecord(information.MessageData, from) { TimeGenerated = information.TimeGenerated };
            foreach (string tag in information.Tags)
            {
                attributed.Tags.Add(tag);
            }

            sink.WriteInformation(attributed);
        }

        if (result.Kind is FailureKind.TimedOut or FailureKind.Cancelled)
        {
            sink.WriteError(ErrorRecords.Failed(result)); // stopped from outside: no error of its own says so
        }
    }

    /// <summary>The same error, its message led by the task's name; its exception, category and position kept.</summary>
    private static ErrorRecord Attributed(ErrorRecord error, string from) =>
        new(error, error.Exception)
        {
            ErrorDetails = new ErrorDetails($"{from}: {error.ErrorDetails?.Message ?? error.Exception.Message}"),
        };
}
