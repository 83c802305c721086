using Repartir.Cmdlets.Output;

namespace Repartir.Cmdlets.Tests;

/// <summary>An <see cref="ICommandSink"/> that records everything, and records the thread each call came from.</summary>
internal sealed class RecordingSink(bool shouldProcess = true) : ICommandSink
{
    public List<object> Objects { get; } = [];

    public List<CommandError> Errors { get; } = [];

    public List<ProgressUpdate> Progress { get; } = [];

    public List<string> Verbose { get; } = [];

    public List<string> Warnings { get; } = [];

    public List<(string Target, string Action)> ShouldProcessCalls { get; } = [];

    public HashSet<int> Threads { get; } = [];

    public void WriteObject(object value) => Record(() => Objects.Add(value));

    public void WriteError(CommandError error) => Record(() => Errors.Add(error));

    public void WriteProgress(ProgressUpdate progress) => Record(() => Progress.Add(progress));

    public void WriteVerbose(string message) => Record(() => Verbose.Add(message));

    public void WriteWarning(string message) => Record(() => Warnings.Add(message));

    public List<System.Management.Automation.ErrorRecord> ErrorRecords { get; } = [];

    public List<string> Debug { get; } = [];

    public List<System.Management.Automation.InformationRecord> Information { get; } = [];

    public void WriteErrorRecord(System.Management.Automation.ErrorRecord record) => Record(() => ErrorRecords.Add(record));

    public void WriteDebug(string message) => Record(() => Debug.Add(message));

    public void WriteInformation(System.Management.Automation.InformationRecord record) => Record(() => Information.Add(record));

    public bool ShouldProcess(string target, string action)
    {
        Record(() => ShouldProcessCalls.Add((target, action)));
        return shouldProcess;
    }

    private void Record(Action action)
    {
        lock (this)
        {
            Threads.Add(Environment.CurrentManagedThreadId);
            action();
        }
    }
}
