using System.Management.Automation;

namespace Repartir.Cmdlets.Output;

/// <summary>The one adapter from <see cref="ICommandSink"/> to a real cmdlet's Write* methods. Pipeline thread only.</summary>
internal sealed class CmdletSink(PSCmdlet cmdlet) : ICommandSink
{
    private const int ActivityId = 0x5245; // one fixed id, so nested Repartir calls replace rather than stack

    public void WriteObject(object value) => cmdlet.WriteObject(value);

    public void WriteError(CommandError error) => cmdlet.WriteError(ErrorRecords.From(error));

    public void WriteProgress(ProgressUpdate progress)
    {
        var record = new ProgressRecord(ActivityId, ProgressUpdate.Activity, progress.Status)
        {
            PercentComplete = progress.PercentComplete,
            SecondsRemaining = progress.Remaining is { } left ? (int)Math.Ceiling(left.TotalSeconds) : -1,
            RecordType = progress.IsFinal ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        cmdlet.WriteProgress(record);
    }

    public void WriteVerbose(string message) => cmdlet.WriteVerbose(message);

    public void WriteWarning(string message) => cmdlet.WriteWarning(message);

    public bool ShouldProcess(string target, string action) => cmdlet.ShouldProcess(target, action);
}
