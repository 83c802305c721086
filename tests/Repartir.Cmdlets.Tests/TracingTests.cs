using System.Diagnostics;
using System.Management.Automation;

namespace Repartir.Cmdlets.Tests;

/// <summary>The engine's spans from PowerShell: a task submitted by a cmdlet is a child of the script's current activity.</summary>
public sealed class TracingTests : IDisposable
{
    private readonly PowerShellSession _session = new();

    public void Dispose() => _session.Dispose();

    [Fact]
    public void Submit_RepartirTask_starts_its_spans_under_the_callers_activity()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Repartir",
            Sample = (ref ActivityCreationOptions<ActivityContext> options) => options.Parent.TraceId != default ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStopped = activity =>
            {
                lock (spans)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        PSObject caller = _session.Run("""
            $activity = [System.Diagnostics.Activity]::new('nightly-job').Start()
            try { 1..3 | Submit-RepartirTask -FilePath true | Out-Null } finally { $activity.Stop() }
            [pscustomobject]@{ Trace = $activity.TraceId.ToHexString(); Span = $activity.SpanId.ToHexString() }
            """).Succeeded().Single();

        Activity[] tasks;
        lock (spans)
        {
            tasks = [.. spans.Where(s => s.OperationName == "repartir.task" && s.TraceId.ToHexString() == caller.Get<string>("Trace"))];
        }

        Assert.Equal(3, tasks.Length);
        Assert.All(tasks, t => Assert.Equal(caller.Get<string>("Span"), t.ParentSpanId.ToHexString()));
        Assert.All(tasks, t => Assert.Equal("success", t.GetTagItem("repartir.outcome")));
    }
}
