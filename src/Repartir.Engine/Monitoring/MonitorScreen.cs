using Spectre.Console;

namespace Repartir.Monitoring;

/// <summary>
/// The live monitor in a terminal: the view redrawn in place on the alternate screen every interval, until the token
/// ends it or <c>q</c> is pressed; the terminal is given back as it was (main screen, cursor shown). Only for an
/// interactive console (<see cref="IsInteractive"/>): elsewhere callers print <see cref="MonitorView.PlainLine"/>.
/// </summary>
public static class MonitorScreen
{
    /// <summary>
    /// Whether the live view can be drawn on <paramref name="console"/>: a terminal that takes cursor movements, with
    /// keys to read. Redirected, Spectre's Live appends a whole table per refresh, and with <c>TERM=dumb</c> it throws.
    /// </summary>
    public static bool IsInteractive(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        return console.Profile.Capabilities is { Interactive: true, Ansi: true } && !Console.IsOutputRedirected && !Console.IsInputRedirected;
    }

    /// <summary>Draws <paramref name="capture"/>'s snapshots every <paramref name="interval"/> until cancelled, <c>q</c>, or <paramref name="updates"/> drawings.</summary>
    /// <param name="console">An interactive console (<see cref="IsInteractive"/>).</param>
    /// <param name="capture">Takes the snapshot to draw.</param>
    /// <param name="interval">The time between two redraws.</param>
    /// <param name="time">The clock the interval is counted on.</param>
    /// <param name="cancellationToken">Ends the view (Ctrl+C).</param>
    /// <param name="updates">How many drawings before it ends by itself; 0 for no limit.</param>
    public static void Run(IAnsiConsole console, Func<ClusterSnapshot> capture, TimeSpan interval, TimeProvider time, CancellationToken cancellationToken, int updates = 0)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(capture);
        ArgumentNullException.ThrowIfNull(time);
        console.AlternateScreen(() => console.Live(MonitorView.Render(capture(), interval))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .Cropping(VerticalOverflowCropping.Bottom)
            .Start(context =>
            {
                long drawnAt = time.GetTimestamp();
                int drawn = 1;
                while (!cancellationToken.IsCancellationRequested && !QuitPressed() && (updates == 0 || drawn < updates))
                {
                    // Keys are looked at every 50 ms; the view changes only every interval.
                    cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(50));
                    if (time.GetElapsedTime(drawnAt) >= interval)
                    {
                        drawnAt = time.GetTimestamp();
                        context.UpdateTarget(MonitorView.Render(capture(), interval));
                        drawn++;
                    }
                }
            }));
    }

    private static bool QuitPressed()
    {
        while (Console.KeyAvailable)
        {
            if (Console.ReadKey(intercept: true).Key is ConsoleKey.Q or ConsoleKey.Escape)
            {
                return true;
            }
        }

        return false;
    }
}
