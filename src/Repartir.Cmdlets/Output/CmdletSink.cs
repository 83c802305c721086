using System.Management.Automation;

namespace Repartir.Cmdlets.Output;

/// <summary>
/// The one adapter from <see cref="ICommandSink"/> to a real cmdlet's Write* methods. Pipeline thread only. Once
/// the command is being stopped (Ctrl+C) nothing more reaches PowerShell, which would throw: writes are dropped
/// and ShouldProcess says no.
/// </summary>
internal sealed class CmdletSink(PSCmdlet cmdlet) : ICommandSink
{
    private const int ActivityId = 0x5245; // one fixed id, so nested Repartir calls replace rather than stack

    public void WriteObject(object value)
    {
        if (!cmdlet.Stopping)
        {
            cmdlet.WriteObject(value);
        }
    }

    public void WriteError(CommandError error)
    {
        if (!cmdlet.Stopping)
        {
            cmdlet.WriteError(error.ToRecord());
        }
    }

    public void WriteProgress(ProgressUpdate progress)
    {
        if (cmdlet.Stopping)
        {
            return;
        }

        var record = new ProgressRecord(ActivityId, ProgressUpdate.Activity, progress.Status)
        {
            PercentComplete = progress.PercentComplete,
            SecondsRemaining = progress.Remaining is { } left ? (int)Math.Ceiling(left.TotalSeconds) : -1,
            RecordType = progress.IsFinal ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        cmdlet.WriteProgress(record);
    }

    public void WriteVerbose(string message)
    {
        if (!cmdlet.Stopping)
        {
            cmdlet.WriteVerbose(message);
        }
    }

    public void WriteWarning(string message)
    {
        if (!cmdlet.Stopping)
        {
            cmdlet.WriteWarning(message);
        }
    }

    public void WriteErrorRecord(ErrorRecord record)
    {
        if (!cmdlet.Stopping)
        {
            cmdlet.WriteError(record);
        }
    }

    public void WriteDebug(string message)
    {
        if (!cmdlet.Stopping)
        {
            cmdlet.WriteDebug(message);
        }
    }

    public void WriteInformation(InformationRecord record)
    {
        if (!cmdlet.Stopping)
        {
            cmdlet.WriteInformation(record);
        }
    }

    public bool ShouldProcess(string target, string action) => !cmdlet.Stopping && cmdlet.ShouldProcess(target, action);
}
