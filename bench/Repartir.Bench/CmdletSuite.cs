using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Repartir.Bench;

/// <summary>
/// The cmdlet suite: Submit-RepartirTask in a real pwsh against ForEach-Object -Parallel, Start-ThreadJob and
/// `repartir run`, each on N × /bin/true at the same concurrency, interleaved in one pwsh process by
/// bench/cmdlet.ps1. The headline is Submit's throughput ÷ `repartir run`'s: the cmdlet's own overhead.
/// </summary>
internal static class CmdletSuite
{
    internal static JsonObject Run(string pwsh, string module, string repartir, string script, int tasks, int pairs, int workers)
    {
        JsonNode measured = PwshScript.Run(pwsh, script, "cmdlet", "-ModulePath", module, "-Repartir", repartir,
            "-Tasks", tasks.ToString(CultureInfo.InvariantCulture), "-Pairs", pairs.ToString(CultureInfo.InvariantCulture), "-Workers", workers.ToString(CultureInfo.InvariantCulture));
        double[] Series(string side) => [.. measured["seconds"]![side]!.AsArray().Select(v => v!.GetValue<double>())];
        double[] submit = Series("Submit");
        double[] parallel = Series("Parallel");
        double[] threadJob = Series("ThreadJob");
        double[] cli = Series("Cli");

        // Throughput ratios: the other side's time over Submit's, pair by pair.
        Measurement.Ratio overCli = Measurement.Ratios(cli, submit);
        Measurement.Ratio overParallel = Measurement.Ratios(parallel, submit);
        Measurement.Ratio overThreadJob = Measurement.Ratios(threadJob, submit);
        double PerSecond(double[] seconds) => tasks / Measurement.Median(seconds);
        Console.WriteLine($"cmdlet: {tasks} × /bin/true, {workers} at a time, {pairs} interleaved pairs in one pwsh {measured["pwsh"]}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  Submit-RepartirTask       {PerSecond(submit),8:0} tasks/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  repartir run              {PerSecond(cli),8:0} tasks/s   Submit ÷ run {overCli}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ForEach-Object -Parallel  {PerSecond(parallel),8:0} tasks/s   Submit ÷ -Parallel {overParallel}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  Start-ThreadJob           {PerSecond(threadJob),8:0} tasks/s   Submit ÷ ThreadJob {overThreadJob}"));

        JsonObject json = Measurement.Report("cmdlet", pairs, overCli, "parallel_", overParallel, new Dictionary<string, IReadOnlyList<double>>
        {
            ["submit_seconds"] = submit,
            ["cli_seconds"] = cli,
            ["parallel_seconds"] = parallel,
            ["threadjob_seconds"] = threadJob,
        });
        foreach (KeyValuePair<string, JsonNode?> pair in overThreadJob.ToJson("threadjob_"))
        {
            json[pair.Key] = pair.Value?.DeepClone();
        }

        json["tasks"] = tasks;
        json["workers"] = workers;
        return json;
    }
}
