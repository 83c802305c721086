using Repartir.Cmdlets.Output;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Tasks;

/// <summary>
/// How Submit- and Wait-RepartirTask hand a result to PowerShell: as a result object, or — with -ErrorOnFailure,
/// for a task that did not succeed — as a non-terminating TaskFailed error that carries it; counted in the progress.
/// Output cut at the pool's capture limit is never silent: a warning says which task and stream.
/// </summary>
internal sealed class ResultWriter(ICommandSink sink, FanOutProgress progress, bool errorOnFailure, bool stream = false)
{
    internal void Write(TaskResult result, string pool)
    {
        var info = new TaskResultInfo(result, pool);
        progress.Finished(failed: !result.Success);
        if (stream)
        {
            Scripts.ScriptStreams.Write(info, sink);
            return;
        }

        foreach ((bool cut, string stream) in new[] { (result.StdoutTruncated, "standard output"), (result.StderrTruncated, "standard error") })
        {
            if (cut)
            {
                sink.WriteWarning($"Task {info.Id} ({info.Name}): its {stream} was cut short at the capture limit; the rest was dropped. New-RepartirPool -MaxOutputBytes keeps more (0 keeps all).");
            }
        }

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
