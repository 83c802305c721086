using Repartir.Cmdlets.Output;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Tasks;

/// <summary>
/// How Submit- and Wait-RepartirTask hand a result to PowerShell: as a result object, or — with -ErrorOnFailure,
/// for a task that did not succeed — as a non-terminating TaskFailed error that carries it; counted in the progress.
/// </summary>
internal sealed class ResultWriter(ICommandSink sink, FanOutProgress progress, bool errorOnFailure)
{
    internal void Write(TaskResult result, string pool)
    {
        var info = new TaskResultInfo(result, pool);
        progress.Finished(failed: !result.Success);
        if (result.Success)
        {
            sink.WriteObject(info);
            return;
        }

        sink.WriteVerbose($"Task {info.Id} ({info.Name}) failed: {(result.Failure == FailureKind.None ? $"exit code {result.ExitCode}" : $"{result.Failure}: {result.FailureMessage}")}");
        if (errorOnFailure)
        {
            sink.WriteError(ErrorRecords.Failed(info));
        }
        else
        {
            sink.WriteObject(info);
        }
    }
}
