namespace Repartir.Scheduling;

/// <summary>
/// Tasks completed per second over the last <see cref="Window"/>: one counter per second in a ring, so a monitor reads
/// the current pace without sampling, and recording a completion costs a timestamp and an increment (process tasks
/// only: each takes a millisecond or more).
/// </summary>
internal sealed class CompletionRate
{
    /// <summary>How far back the rate looks.</summary>
    internal static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private const int Buckets = 16; // more than the window's seconds: the current second is still filling
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly long[] _seconds = new long[Buckets];
    private readonly long[] _counts = new long[Buckets];

    internal CompletionRate(TimeProvider time)
    {
        _time = time;
        _origin = time.GetTimestamp();
    }

    /// <summary>Counts one completion now.</summary>
    internal void Record()
    {
        long second = Second();
        int slot = (int)(second % Buckets);
        lock (_counts)
        {
            if (_seconds[slot] != second)
            {
                _seconds[slot] = second;
                _counts[slot] = 0;
            }

            _counts[slot]++;
        }
    }

    /// <summary>
    /// Completions per second over the whole seconds of the last <see cref="Window"/> (fewer just after the start), and
    /// the current second in proportion to how much of it has passed.
    /// </summary>
    internal double PerSecond
    {
        get
        {
            TimeSpan elapsed = _time.GetElapsedTime(_origin);
            long now = (long)elapsed.TotalSeconds;
            long oldest = Math.Max(0, now - (long)Window.TotalSeconds);
            long total = 0;
            lock (_counts)
            {
                for (int i = 0; i < Buckets; i++)
                {
                    if (_seconds[i] >= oldest && _seconds[i] <= now)
                    {
                        total += _counts[i];
                    }
                }
            }

            double span = (elapsed - TimeSpan.FromSeconds(oldest)).TotalSeconds;
            return span <= 0 ? 0 : total / span;
        }
    }

    /// <summary>When <paramref name="work"/> tasks are done at <paramref name="perSecond"/>; null without either.</summary>
    internal static TimeSpan? TimeLeft(long work, double perSecond) =>
        work > 0 && perSecond > 0 ? TimeSpan.FromSeconds(Math.Min(work / perSecond, TimeSpan.MaxValue.TotalSeconds / 2)) : null;

    private long Second() => (long)_time.GetElapsedTime(_origin).TotalSeconds;
}
