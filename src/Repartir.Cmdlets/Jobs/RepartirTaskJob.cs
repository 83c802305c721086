using System.Management.Automation;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Scripts;
using Repartir.Cmdlets.Tasks;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Jobs;

/// <summary>
/// One task of a <see cref="RepartirJob"/>. A program task's result object is its output; a script task's output
/// objects are, with its records in the job's streams, as Start-ThreadJob gives them. A task that did not succeed
/// leaves the child Failed with its error (Stopped when the job was stopped).
/// </summary>
public sealed class RepartirTaskJob : Job
{
    private readonly SubmittedTask _task;
    private readonly string _pool;
    private readonly bool _scriptOutput;

    internal RepartirTaskJob(SubmittedTask task, string pool, bool scriptOutput)
        : base(task.Spec.DisplayName, task.Spec.DisplayName)
    {
        _task = task;
        _pool = pool;
        _scriptOutput = scriptOutput;
        PSJobTypeName = RepartirJob.TypeName;
        SetJobState(JobState.Running);
    }

    /// <inheritdoc />
    public override string StatusMessage => _task.Completion.IsCompleted ? _task.Completion.Result.Failure.ToString() : "Running";

    /// <inheritdoc />
    public override bool HasMoreData => Output.Count > 0 || Error.Count > 0 || Warning.Count > 0 || Verbose.Count > 0 || Debug.Count > 0 || Information.Count > 0;

    /// <inheritdoc />
    public override string Location => Environment.MachineName;

    /// <inheritdoc />
    public override void StopJob()
    {
        // The parent stops every task at once (one cancellation for the call); a child alone cannot be stopped apart.
        throw new NotSupportedException("Stop the Repartir job itself (Stop-Job on the parent): its tasks share one cancellation.");
    }

    /// <summary>Fills the streams and sets the state when the task's result comes.</summary>
    internal void Watch() => _task.Completion.ContinueWith(
        static (completed, state) => ((RepartirTaskJob)state!).Complete(completed.Result),
        this,
        CancellationToken.None,
        TaskContinuationOptions.ExecuteSynchronously,
        TaskScheduler.Default);

    private static void AddAll<T>(PSDataCollection<T> stream, T[] records)
    {
        foreach (T record in records)
        {
            stream.Add(record);
        }
    }

    private void Complete(TaskResult result)
    {
        var info = new TaskResultInfo(result, _pool);
        if (_scriptOutput && result.Value is ScriptOutput output)
        {
            AddAll(Output, output.Output);
            AddAll(Error, output.Errors);
            AddAll(Warning, output.Warnings);
            AddAll(Verbose, output.Verbose);
            AddAll(Debug, output.Debug);
            AddAll(Information, output.Information);

            if (result.Failure is FailureKind.TimedOut or FailureKind.Cancelled)
            {
                Error.Add(ErrorRecords.Failed(info).ToRecord());
            }
        }
        else
        {
            Output.Add(PSObject.AsPSObject(info));
            if (!result.Success)
            {
                Error.Add(ErrorRecords.Failed(info).ToRecord());
            }
        }

        SetJobState(result.Failure == FailureKind.Cancelled ? JobState.Stopped : result.Success ? JobState.Completed : JobState.Failed);
    }
}
