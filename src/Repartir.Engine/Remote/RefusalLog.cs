using Microsoft.Extensions.Logging;

namespace Repartir.Remote;

/// <summary>
/// Logs what a worker refuses — connections, tasks — without letting a flood fill the log: each kind of refusal
/// is written when first seen, then at most once per <see cref="Interval"/>, with how many were left unsaid.
/// Only the reason is logged, never a payload.
/// </summary>
internal sealed class RefusalLog(TimeProvider time)
{
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, (long LastWritten, int Unsaid)> _kinds = [];

    /// <summary>Logs "<paramref name="kind"/>: <paramref name="reason"/>" unless that kind was written less than an interval ago.</summary>
    internal void Log(ILogger logger, string kind, string reason)
    {
        long now = time.GetTimestamp();
        int unsaid;
        lock (_kinds)
        {
            if (_kinds.TryGetValue(kind, out var last) && time.GetElapsedTime(last.LastWritten, now) < Interval)
            {
                _kinds[kind] = (last.LastWritten, last.Unsaid + 1);
                return;
            }

            unsaid = last.Unsaid;
            _kinds[kind] = (now, 0);
        }

        if (unsaid > 0)
        {
            logger.LogWarning("Refused {Kind}: {Reason} (and {Unsaid} more in the last {Seconds:0} s, not logged one by one)", kind, reason, unsaid, Interval.TotalSeconds);
        }
        else
        {
            logger.LogWarning("Refused {Kind}: {Reason}", kind, reason);
        }
    }
}
