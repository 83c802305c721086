using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Repartir.Bench;

/// <summary>
/// scripts: Submit-RepartirTask -ScriptBlock in a real pwsh against ForEach-Object -Parallel (goal ≥ 10×) and a
/// hand-written RunspacePool with reused PowerShell instances (goal ≥ 0.8), interleaved in one pwsh process by
/// bench/scripts.ps1, on tiny blocks and on blocks of ~1 ms of CPU (a PowerShell loop, and a .NET spin that allocates
/// nothing). Ratios are throughput: the other side's seconds over Repartir's, pair by pair.
/// </summary>
internal static class ScriptsSuite
{
    internal static JsonObject Run(string pwsh, string module, string script, int tiny, int work, int pairs, int workers)
    {
        JsonNode measured = PwshScript.Run(pwsh, script, "scripts", "-ModulePath", module,
            "-Tiny", tiny.ToString(CultureInfo.InvariantCulture), "-Work", work.ToString(CultureInfo.InvariantCulture),
            "-Pairs", pairs.ToString(CultureInfo.InvariantCulture), "-Workers", workers.ToString(CultureInfo.InvariantCulture));
        Console.WriteLine($"scripts: {tiny} tiny and {work} ~1 ms script blocks, {workers} at a time, {pairs} interleaved pairs in one pwsh {measured["pwsh"]}");
        var json = new JsonObject { ["suite"] = "scripts", ["pairs"] = pairs, ["workers"] = workers, ["tiny"] = tiny, ["work"] = work };
        foreach ((string name, int count) in new[] { ("tiny", tiny), ("work", work), ("spin", work) })
        {
            double[] Series(string side) => [.. measured["seconds"]![name]![side]!.AsArray().Select(v => v!.GetValue<double>())];
            double[] repartir = Series("Repartir"), parallel = Series("Parallel"), hand = Series("HandWritten");
            Measurement.Ratio overParallel = Measurement.Ratios(parallel, repartir);
            Measurement.Ratio overHand = Measurement.Ratios(hand, repartir);
            double PerSecond(double[] seconds) => count / Measurement.Median(seconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: Repartir {PerSecond(repartir),8:0}/s   -Parallel {PerSecond(parallel),8:0}/s   hand-written {PerSecond(hand),8:0}/s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    Repartir ÷ -Parallel {overParallel} (goal >= 10)   Repartir ÷ hand-written {overHand} (goal >= 0.8)"));
            json[name + "_over_parallel"] = overParallel.Median;
            json[name + "_over_parallel_min"] = overParallel.Min;
            json[name + "_over_hand"] = overHand.Median;
            json[name + "_over_hand_min"] = overHand.Min;
            json[name + "_repartir_per_s"] = PerSecond(repartir);
            json[name + "_parallel_per_s"] = PerSecond(parallel);
            json[name + "_hand_per_s"] = PerSecond(hand);
        }

        return json;
    }
}
