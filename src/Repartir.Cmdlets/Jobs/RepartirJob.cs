using System.Management.Automation;
using Repartir.Scheduling;

namespace Repartir.Cmdlets.Jobs;

/// <summary>
/// Submit-RepartirTask -AsJob: one job for the call, registered with PowerShell's job repository, with one child job
/// per task, so Get-Job, Wait-Job, Receive-Job (-Keep too), Stop-Job and Remove-Job work unchanged. It ends Completed
/// when every task succeeded, Failed when any did not, Stopped after Stop-Job (which cancels queued tasks and kills
/// running ones: process trees, script pipelines).
/// </summary>
public sealed class RepartirJob : Job2
{
    /// <summary>The job type name Get-Job shows (PSJobTypeName).</summary>
    public const string TypeName = "RepartirJob";

    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private int _finished;
    private bool _sealed;

    internal RepartirJob(string command, string name)
        : base(command, name)
    {
        PSJobTypeName = TypeName;
        SetJobState(JobState.Running);
    }

    /// <summary>Cancelled by Stop-Job: the tasks are submitted with it.</summary>
    internal CancellationToken Stopping => _stop.Token;

    /// <inheritdoc />
    public override string StatusMessage => $"{Volatile.Read(ref _finished)} of {ChildJobs.Count} tasks finished";

    /// <inheritdoc />
    public override bool HasMoreData => ChildJobs.Any(child => child.HasMoreData);

    /// <inheritdoc />
    public override string Location => Environment.MachineName;

    /// <summary>Adds the child job of a task just submitted.</summary>
    internal void Add(SubmittedTask task, string pool, bool scriptOutput)
    {
        var child = new RepartirTaskJob(task, pool, scriptOutput);
        lock (_gate)
        {
            ChildJobs.Add(child);
        }

        child.StateChanged += (_, e) =>
        {
            if (e.JobStateInfo.State is JobState.Completed or JobState.Failed or JobState.Stopped)
            {
                Interlocked.Increment(ref _finished);
                TryFinish();
            }
        };
        child.Watch();
    }

    /// <summary>The input has ended: the job finishes once its tasks have.</summary>
    internal void Seal()
    {
        lock (_gate)
        {
            _sealed = true;
        }

        TryFinish();
    }

    private void TryFinish()
    {
        JobState final;
        lock (_gate)
        {
            if (!_sealed || Volatile.Read(ref _finished) < ChildJobs.Count || IsFinishedState(JobStateInfo.State))
            {
                return;
            }

            final = _stop.IsCancellationRequested ? JobState.Stopped
                : ChildJobs.Any(c => c.JobStateInfo.State != JobState.Completed) ? JobState.Failed
                : JobState.Completed;
        }

        SetJobState(final);
    }

    private static bool IsFinishedState(JobState state) => state is JobState.Completed or JobState.Failed or JobState.Stopped;

    /// <inheritdoc />
    public override void StopJob()
    {
        _stop.Cancel();
        Seal();
        Finished.WaitOne(TimeSpan.FromSeconds(30));
    }

    /// <inheritdoc />
    public override void StopJob(bool force, string reason) => StopJob();

    /// <inheritdoc />
    /// <remarks>Stop-Job waits for the completion this raises: only once every task has ended (stopped), up to 30 s.</remarks>
    public override void StopJobAsync() => _ = Task.Run(() =>
    {
        StopJob();
        OnStopJobCompleted(new System.ComponentModel.AsyncCompletedEventArgs(null, false, null));
    });

    /// <inheritdoc />
    public override void StopJobAsync(bool force, string reason) => StopJobAsync();

    /// <inheritdoc />
    public override void StartJob()
    {
        // Started when it was created: its tasks were submitted as the input came.
    }

    /// <inheritdoc />
    public override void StartJobAsync() => OnStartJobCompleted(new System.ComponentModel.AsyncCompletedEventArgs(null, false, null));

    /// <inheritdoc />
    public override void SuspendJob() => throw new NotSupportedException("A Repartir job cannot be suspended; Stop-Job stops it.");

    /// <inheritdoc />
    public override void SuspendJob(bool force, string reason) => SuspendJob();

    /// <inheritdoc />
    public override void SuspendJobAsync() => SuspendJob();

    /// <inheritdoc />
    public override void SuspendJobAsync(bool force, string reason) => SuspendJob();

    /// <inheritdoc />
    public override void ResumeJob() => throw new NotSupportedException("A Repartir job cannot be suspended, so it cannot be resumed.");

    /// <inheritdoc />
    public override void ResumeJobAsync() => ResumeJob();

    /// <inheritdoc />
    public override void UnblockJob() => throw new NotSupportedException("A Repartir job never blocks.");

    /// <inheritdoc />
    public override void UnblockJobAsync() => UnblockJob();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stop.Cancel(); // a job removed with -Force takes its tasks with it
            _stop.Dispose();
        }

        base.Dispose(disposing);
    }
}
