using System.Diagnostics;
using System.Management.Automation;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Tasks;

/// <summary>
/// Submit-RepartirTask's behaviour, free of PowerShell: one task per input item, results written as
/// they complete (or in input order), progress, and cancellation. Worker threads only put results on
/// a queue; everything reaches the sink from the caller's (pipeline) thread.
/// </summary>
public sealed class SubmitTaskRunner : IDisposable
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    private readonly PoolInfo _pool;
    private readonly SubmitTaskRequest _request;
    private readonly IItemFormatter _formatter;
    private readonly ICommandSink _sink;
    private readonly CancellationTokenSource _stop = new();
    private readonly ResultStream _results;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly int _window;
    private TimeSpan? _lastProgress;
    private long _itemNumber;
    private int _submitted;
    private int _written;
    private int _failed;
    private bool _inputComplete;

    /// <summary>Prepares a run of <paramref name="request"/> on <paramref name="pool"/>, writing to <paramref name="sink"/>.</summary>
    public SubmitTaskRunner(PoolInfo pool, SubmitTaskRequest request, IItemFormatter formatter, ICommandSink sink)
    {
        _pool = pool ?? throw new ArgumentNullException(nameof(pool));
        _request = request ?? throw new ArgumentNullException(nameof(request));
        _formatter = formatter ?? throw new ArgumentNullException(nameof(formatter));
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _window = pool.Pool.DefaultInFlightWindow;
        _results = new ResultStream(request.Ordered);
    }

    /// <summary>Turns one input item into a task (ProcessRecord). Writes whatever results are ready, without waiting.</summary>
    /// <param name="inputObject">The item, or null when the cmdlet had no pipeline input.</param>
    public void Submit(object? inputObject)
    {
        long number = ++_itemNumber;
        string[] arguments;
        try
        {
            arguments = _request.Arguments.Expand(inputObject, number, _formatter);
        }
        catch (ArgumentException ex)
        {
            _sink.WriteError(new CommandError(ErrorRecords.ArgumentExpansionFailed, ErrorCategory.InvalidArgument, ex, inputObject));
            return;
        }

        var spec = new TaskSpec(_request.FilePath, arguments)
        {
            Environment = _request.Environment,
            WorkingDirectory = _request.WorkingDirectory,
            Priority = _request.Priority,
            Timeout = _request.Timeout,
            Retry = _request.Retry,
            InputObject = inputObject,
        };
        try
        {
            spec.Validate();
        }
        catch (ArgumentException ex)
        {
            _sink.WriteError(new CommandError(ErrorRecords.InvalidTask, ErrorCategory.InvalidArgument, ex, inputObject));
            return;
        }

        if (_request.NoWait)
        {
            // The tasks outlive this call: they are not tied to its cancellation.
            _sink.WriteObject(new TaskHandle(_pool.Pool.Submit(spec, CancellationToken.None), _pool.Name));
            return;
        }

        // Bound the work in flight so a very long pipeline streams instead of piling up tasks in memory.
        while (_results.Pending >= _window)
        {
            Write(TakeNext());
        }

        _results.Add(_pool.Pool.Submit(spec, _stop.Token).Completion);
        _submitted++;
        WriteReadyResults();
        WriteProgress(force: false);
    }

    /// <summary>Input has ended (EndProcessing): waits for and writes every remaining result, then closes the progress bar.</summary>
    public void Complete()
    {
        _inputComplete = true;
        while (_results.Pending > 0)
        {
            Write(TakeNext());
            WriteReadyResults();
            WriteProgress(force: false);
        }

        if (_submitted > 0)
        {
            WriteProgress(force: true);
        }
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

        _stop.Dispose();
    }

    /// <summary>Waits for the next result; there is one, since tasks are pending.</summary>
    private TaskResult TakeNext() => _results.Take(_stop.Token)!;

    private void WriteReadyResults()
    {
        while (_results.TryTake(out TaskResult? result))
        {
            Write(result);
        }
    }

    private void Write(TaskResult result)
    {
        _written++;
        if (!result.Success)
        {
            _failed++;
            _sink.WriteVerbose($"Task {result.Id} ({result.Name}) failed: {(result.Failure == FailureKind.None ? $"exit code {result.ExitCode}" : $"{result.Failure}: {result.FailureMessage}")}");
        }

        _sink.WriteObject(result);
    }

    private void WriteProgress(bool force)
    {
        TimeSpan now = _clock.Elapsed;
        if (!force && _lastProgress is { } last && now - last < ProgressInterval)
        {
            return;
        }

        _lastProgress = now;
        TimeSpan? remaining = _inputComplete && _written > 0 && _written < _submitted
            ? TimeSpan.FromTicks(now.Ticks / _written * (_submitted - _written))
            : null;
        _sink.WriteProgress(new ProgressUpdate(_written, _failed, _submitted, _inputComplete, remaining, IsFinal: force));
    }
}
