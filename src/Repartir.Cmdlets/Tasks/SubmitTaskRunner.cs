using Repartir.Checkpoints;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Tasks;

/// <summary>
/// Submit-RepartirTask's behaviour, free of PowerShell: one task per input item, results written as they
/// complete (or in input order), progress, and cancellation. Worker threads only put results on a queue;
/// everything reaches the sink from the caller's (pipeline) thread.
/// </summary>
public sealed class SubmitTaskRunner : IDisposable
{
    private readonly PoolInfo _pool;
    private readonly SubmitTaskRequest _request;
    private readonly IItemFormatter _formatter;
    private readonly ICommandSink _sink;
    private readonly CancellationTokenSource _stop = new();
    private readonly ResultStream _results;
    private readonly FanOutProgress _progress;
    private readonly ResultWriter _writer;
    private readonly Func<TaskSpec, Task<TaskResult>> _submit;
    private RunJournal? _journal;
    private long _itemNumber;

    /// <summary>Prepares a run of <paramref name="request"/> on <paramref name="pool"/>, writing to <paramref name="sink"/>.</summary>
    /// <exception cref="TerminatingCommandException">The request's journal cannot be opened.</exception>
    public SubmitTaskRunner(PoolInfo pool, SubmitTaskRequest request, IItemFormatter formatter, ICommandSink sink, TimeProvider? timeProvider = null)
    {
        _pool = pool ?? throw new ArgumentNullException(nameof(pool));
        _request = request ?? throw new ArgumentNullException(nameof(request));
        _formatter = formatter ?? throw new ArgumentNullException(nameof(formatter));
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _results = new ResultStream(request.Ordered);
        _progress = new FanOutProgress(sink, timeProvider ?? TimeProvider.System);
        _writer = new ResultWriter(sink, _progress, request.ErrorOnFailure, request.Stream);
        _submit = spec => SubmitOne(spec, _stop.Token).Completion; // one delegate for the run, not one a task
        if (request.AsJob)
        {
            Job = new Jobs.RepartirJob(request.Script is { } script ? "Submit-RepartirTask -ScriptBlock " + script.ShortText : $"Submit-RepartirTask {request.FilePath}", $"{pool.Name}-job");
        }
        if (request.Journal is { } journal)
        {
            try
            {
                _journal = RunJournal.Open(request.JournalStore, journal, request.RestartJournal, timeProvider);
            }
            catch (CheckpointException e)
            {
                throw new TerminatingCommandException(ErrorRecords.CheckpointFailed(journal, e));
            }

            sink.WriteVerbose($"Journal '{journal}' in {_journal.Directory}: {_journal.RecordedBefore} successes of earlier runs are not run again.");
        }
    }

    /// <summary>Turns one input item into a task (ProcessRecord). Writes whatever results are ready, without waiting.</summary>
    /// <param name="inputObject">The item, or null when the cmdlet had no pipeline input.</param>
    public void Submit(object? inputObject)
    {
        long number = ++_itemNumber;
        if (SpecFor(inputObject, number) is not { } spec)
        {
            return;
        }

        try
        {
            spec.Validate();
        }
        catch (ArgumentException e)
        {
            _sink.WriteError(ErrorRecords.BadTask(inputObject, e));
            return;
        }

        if (Job is { } job)
        {
            // The tasks outlive this call and go with the job: Stop-Job cancels them.
            job.Add(SubmitOne(spec, job.Stopping), _pool.Name, scriptOutput: _request.Script is not null);
            return;
        }

        if (_request.NoWait)
        {
            // The tasks outlive this call: they are not tied to its cancellation.
            _sink.WriteObject(new TaskHandle(SubmitOne(spec, CancellationToken.None), _pool.Name));
            return;
        }

        // Bound the work in flight so a very long pipeline streams instead of piling up tasks in memory, and the
        // output held in finished results (in input order, behind a slow one) so it cannot pile up either.
        while (!_results.HasRoom(_pool.Pool.DefaultStreamLimits))
        {
            _writer.Write(TakeNext(), _pool.Name);
        }

        _results.Add(_journal is null ? _submit(spec) : _journal.Run(spec, _formatter.Format(inputObject), _submit));
        _progress.Added();
        WriteReadyResults();
    }

    /// <summary>With -AsJob: the job the tasks are added to (the cmdlet registers it with PowerShell's job repository).</summary>
    public Jobs.RepartirJob? Job { get; }

    /// <summary>Input has ended (EndProcessing): shows the final total, waits for and writes every remaining result, then closes the progress bar.</summary>
    public void Complete()
    {
        if (Job is { } job)
        {
            job.Seal();
            _sink.WriteObject(job);
            return;
        }

        _progress.InputComplete();
        while (_results.Pending > 0)
        {
            _writer.Write(TakeNext(), _pool.Name);
            WriteReadyResults();
        }

        _progress.Close();
        CloseJournal();
    }

    /// <summary>Ctrl+C (StopProcessing), from any thread: queued tasks come back Cancelled, running process trees are killed.</summary>
    public void Stop() => _stop.Cancel();

    /// <summary>Cancels whatever is still unfinished and releases the runner's resources.</summary>
    public void Dispose()
    {
        if (_results.Pending > 0)
        {
            _stop.Cancel();
        }

        CloseJournal();
        _stop.Dispose();
    }

    /// <summary>Commits what the journal still holds; a store that refused a commit is an error (the run's results are all written).</summary>
    private void CloseJournal()
    {
        RunJournal? journal = Interlocked.Exchange(ref _journal, null);
        try
        {
            journal?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (CheckpointException e)
        {
            _sink.WriteError(ErrorRecords.CheckpointFailed(journal!.Name, e));
        }
    }

    /// <summary>Submits one task; a remote script block's result is read back into its script output.</summary>
    private SubmittedTask SubmitOne(TaskSpec spec, CancellationToken cancellationToken)
    {
        SubmittedTask submitted = _pool.Pool.Submit(spec, cancellationToken);
        return _request.Script is not null && spec.Work is null ? Scripts.RemoteScript.Read(submitted) : submitted;
    }

    /// <summary>The task for one input item: the script block, or the program with its arguments expanded; null (and an error written) when they cannot be.</summary>
    private TaskSpec? SpecFor(object? inputObject, long number)
    {
        if (_request.Script is { } script)
        {
            string name = inputObject is null ? script.ShortText : $"{script.ShortText} {_formatter.Format(inputObject)}";
            if (_request.Backend == Backend.Remote)
            {
                return Scripts.RemoteScript.SpecFor(script, inputObject, name) with { Priority = _request.Priority, Timeout = _request.Timeout, Retry = _request.Retry };
            }

            return TaskSpec.ForWork(new Scripts.ScriptTask(script, inputObject), name) with
            {
                Priority = _request.Priority,
                Timeout = _request.Timeout,
                Retry = _request.Retry,
                InputObject = inputObject,
            };
        }

        string[] arguments;
        try
        {
            arguments = _request.Arguments.Expand(inputObject, number, _formatter);
        }
        catch (Exception e) when (e is ArgumentException or ArgumentExpansionException)
        {
            _sink.WriteError(ErrorRecords.CannotExpandArguments(inputObject, e));
            return null;
        }

        return new TaskSpec(_request.FilePath, arguments)
        {
            Environment = _request.Environment,
            WorkingDirectory = _request.WorkingDirectory,
            Priority = _request.Priority,
            Backend = _request.Backend,
            Timeout = _request.Timeout,
            Retry = _request.Retry,
            InputObject = inputObject,
        };
    }

    /// <summary>Waits for the next result; there is one, since tasks are pending.</summary>
    private TaskResult TakeNext() => _results.Take(_stop.Token)!;

    private void WriteReadyResults()
    {
        while (_results.TryTake(out TaskResult? result))
        {
            _writer.Write(result, _pool.Name);
        }
    }
}
