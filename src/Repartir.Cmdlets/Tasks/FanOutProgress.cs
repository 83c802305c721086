using Repartir.Cmdlets.Output;

namespace Repartir.Cmdlets.Tasks;

/// <summary>
/// Write-Progress for a fan-out: one activity with completed/total/failed and an ETA, at most every
/// <see cref="Interval"/> (and at once when the input ends, so the total shows before the first result),
/// and a final Completed record. Pipeline thread only.
/// </summary>
internal sealed class FanOutProgress(ICommandSink sink, TimeProvider time)
{
    internal static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly long _started = time.GetTimestamp();
    private long? _lastWritten;
    private int _total;
    private int _completed;
    private int _failed;
    private bool _inputComplete;

    internal void Added()
    {
        _total++;
        Write(force: false);
    }

    internal void Finished(bool failed)
    {
        _completed++;
        if (failed)
        {
            _failed++;
        }

        Write(force: false);
    }

    /// <summary>No more tasks will come: the total is final and shows at once.</summary>
    internal void InputComplete()
    {
        _inputComplete = true;
        if (_total > 0)
        {
            Write(force: true);
        }
    }

    /// <summary>Removes the progress bar (when anything was shown).</summary>
    internal void Close()
    {
        if (_total > 0)
        {
            sink.WriteProgress(new ProgressUpdate(_completed, _failed, _total, _inputComplete, Remaining: null, IsFinal: true));
        }
    }

    private void Write(bool force)
    {
        long now = time.GetTimestamp();
        if (!force && _lastWritten is { } last && time.GetElapsedTime(last, now) < Interval)
        {
            return;
        }

        _lastWritten = now;
        TimeSpan elapsed = time.GetElapsedTime(_started, now);
        TimeSpan? remaining = _inputComplete && _completed > 0 && _completed < _total
            ? TimeSpan.FromTicks(elapsed.Ticks / _completed * (_total - _completed))
            : null;
        sink.WriteProgress(new ProgressUpdate(_completed, _failed, _total, _inputComplete, remaining, IsFinal: false));
    }
}
