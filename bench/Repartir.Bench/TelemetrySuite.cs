using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json.Nodes;
using Repartir.Scheduling;
using Repartir.Telemetry;

namespace Repartir.Bench;

/// <summary>
/// telemetry: the cost of the engine's metrics and spans. local-spawn's round (N × /bin/true) and scheduler's no-op
/// round, each with a listener attached to every Repartir instrument and recording every span, ÷ the same round with
/// none, interleaved (goal ≥ 0.97: at most 3% overhead).
/// </summary>
internal static class TelemetrySuite
{
    internal static JsonObject Run(int tasks, int pairs, int workers)
    {
        Console.WriteLine($"telemetry: {tasks} x /bin/true and {tasks * 50} no-op tasks, {workers} workers, {pairs} interleaved rounds, listener attached vs none");
        using var pool = new Pool(new PoolOptions { Name = "bench", CpuWorkers = workers });
        var json = new JsonObject { ["suite"] = "telemetry", ["pairs"] = pairs, ["tasks"] = tasks, ["workers"] = workers };
        Compare("local_spawn", () => LocalSpawnSuite.RepartirRound(pool, tasks), tasks, pairs, json);
        Compare("scheduler", () => SchedulerSuite.PoolNoOps(pool, tasks * 50), tasks * 50, pairs, json);
        return json;
    }

    private static void Compare(string name, Action round, int tasks, int pairs, JsonObject json)
    {
        Measurement.Warm(round);
        Measurement.Warm(() => _ = Listening(round));
        var with = new List<double>();
        var without = new List<double>();
        for (int i = 0; i < pairs; i++)
        {
            with.Add(tasks / Listening(round));
            without.Add(tasks / Measurement.Seconds(round));
        }

        Measurement.Ratio ratio = Measurement.Ratios(with, without);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: listening {Measurement.Median(with),10:0} /s   none {Measurement.Median(without),10:0} /s   ratio {ratio}   (goal >= 0.97)"));
        json[name + "_ratio"] = ratio.Median;
        json[name + "_ratio_min"] = ratio.Min;
        json[name + "_ratio_max"] = ratio.Max;
    }

    /// <summary>Runs <paramref name="round"/> with every Repartir instrument and span recorded, as an exporter would; its seconds, the listeners' own setup left out.</summary>
    private static double Listening(Action round)
    {
        long measurements = 0;
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RepartirTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref measurements, value));
        meters.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref measurements));
        meters.Start();
        using var spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RepartirTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _ => Interlocked.Increment(ref measurements),
        };
        ActivitySource.AddActivityListener(spans);
        return Measurement.Seconds(round);
    }
}
