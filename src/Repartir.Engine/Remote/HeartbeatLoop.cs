using System.Net.Sockets;

namespace Repartir.Remote;

/// <summary>
/// The one heartbeat loop, on both ends of a connection: every interval of the given clock, one beat, until the beat
/// says stop, the token ends it, or the connection fails.
/// </summary>
internal static class HeartbeatLoop
{
    /// <summary>Runs the loop.</summary>
    /// <param name="time">The clock the interval is counted on.</param>
    /// <param name="interval">The time between two beats.</param>
    /// <param name="beat">One heartbeat: false stops the loop (the connection was ended).</param>
    /// <param name="cancellationToken">Ends the loop (the connection is closing).</param>
    /// <returns>Null when the token or the beat ended it; the failure when the connection did.</returns>
    internal static async Task<Exception?> RunAsync(TimeProvider time, TimeSpan interval, Func<ValueTask<bool>> beat, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!await beat().ConfigureAwait(false))
                {
                    return null;
                }
            }

            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            return e;
        }
    }
}
