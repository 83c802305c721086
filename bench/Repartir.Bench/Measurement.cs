using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Repartir.Bench;

/// <summary>
/// Interleaved paired measurement: A, B, A, B, … after a warm-up, reporting the median and range of
/// the per-pair ratios, because these machines are shared and noisy (BENCHMARKS.md).
/// </summary>
internal static class Measurement
{
    internal static TimeSpan WarmUp { get; } = TimeSpan.FromSeconds(0.5);

    internal sealed record Ratio(double Median, double Min, double Max, double[] PerPair)
    {
        public JsonObject ToJson(string prefix = "") => new()
        {
            [prefix + "ratio"] = Median,
            [prefix + "ratio_min"] = Min,
            [prefix + "ratio_max"] = Max,
            [prefix + "ratios"] = new JsonArray(PerPair.Select(r => (JsonNode)r).ToArray()),
        };

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Median:0.000} (min {Min:0.000}, max {Max:0.000}, {PerPair.Length} pairs)");
    }

    /// <summary>Runs <paramref name="action"/> repeatedly for at least <see cref="WarmUp"/>.</summary>
    internal static void Warm(Action action)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            action();
        }
        while (clock.Elapsed < WarmUp);
    }

    internal static double Seconds(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    internal static Ratio Ratios(IReadOnlyList<double> numerators, IReadOnlyList<double> denominators)
    {
        double[] ratios = numerators.Zip(denominators, (a, b) => a / b).ToArray();
        return new Ratio(Median(ratios), ratios.Min(), ratios.Max(), ratios);
    }

    /// <summary>A suite's JSON: the headline ratio at the top level, a second ratio under <paramref name="secondPrefix"/>, and the raw series.</summary>
    internal static JsonObject Report(string suite, int pairs, Ratio headline, string secondPrefix, Ratio? second, IReadOnlyDictionary<string, IReadOnlyList<double>> series)
    {
        JsonObject json = headline.ToJson();
        foreach (KeyValuePair<string, JsonNode?> pair in second?.ToJson(secondPrefix) ?? [])
        {
            json[pair.Key] = pair.Value?.DeepClone();
        }

        json["suite"] = suite;
        json["pairs"] = pairs;
        foreach (KeyValuePair<string, IReadOnlyList<double>> values in series)
        {
            json[values.Key] = new JsonArray(values.Value.Select(v => (JsonNode)v).ToArray());
            json[values.Key + "_median"] = Median(values.Value);
        }

        return json;
    }

    /// <summary>The value below which <paramref name="fraction"/> of the values lie (nearest rank).</summary>
    internal static double Percentile(IReadOnlyList<double> values, double fraction)
    {
        double[] sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    internal static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
