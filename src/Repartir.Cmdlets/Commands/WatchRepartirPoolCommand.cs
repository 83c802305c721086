using System.Management.Automation;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Monitoring;
using Spectre.Console;

namespace Repartir.Cmdlets.Commands;

/// <summary>
/// Watch-RepartirPool: the live monitor for a pool of this session (its CPU workers and its remote workers), redrawn
/// in place until q or Ctrl+C. Where no view can be drawn (a host other than the console, output redirected or piped
/// on), it writes a snapshot object every interval instead.
/// </summary>
[Cmdlet(VerbsCommon.Watch, "RepartirPool", HelpUri = HelpUris.Pages + "Watch-RepartirPool.md")]
[OutputType(typeof(ClusterSnapshot))]
public sealed class WatchRepartirPoolCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The pool, or its name; when omitted, the only pool of the session, else the default pool.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [PoolTransformation]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    public PoolInfo? Pool { get; set; }

    /// <summary>Seconds between two updates.</summary>
    [Parameter]
    [Alias("Interval")]
    [ValidateRange(0.1, 3600.0)]
    public double IntervalSeconds { get; set; } = 1;

    /// <summary>Stop after this many updates (drawings or snapshots); until Ctrl+C (or q) when omitted.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            PoolInfo pool = Pool?.Resolve() ?? PoolWatch.Default(PoolRegistry.Process);
            TimeSpan interval = TimeSpan.FromSeconds(IntervalSeconds);
            if (CanDraw())
            {
                MonitorScreen.Run(AnsiConsole.Console, () => SnapshotCapture.Capture(pool.Pool), interval, TimeProvider.System, _stop.Token, Count);
                return;
            }

            PoolWatch.WriteSnapshots(pool, interval, Count, new CmdletSink(this), _stop.Token);
        }
        catch (TerminatingCommandException ex)
        {
            ThrowTerminatingError(ex.Error.ToRecord());
        }
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _stop.Cancel();

    /// <inheritdoc />
    public void Dispose() => _stop.Dispose();

    /// <summary>The live view needs PowerShell's own console, a terminal that redraws, and to be the last command of its pipeline.</summary>
    private bool CanDraw() =>
        Host.Name == "ConsoleHost"
        && MyInvocation.PipelinePosition == MyInvocation.PipelineLength
        && MonitorScreen.IsInteractive(AnsiConsole.Console);
}
