using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Repartir.Bench;

// repartir bench: dotnet run -c Release --project bench/Repartir.Bench -- <suite|all> [--json PATH] [--pairs N] [--tasks N] [--workers N]
string suite = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
string? jsonPath = Option("--json");
int pairs = int.Parse(Option("--pairs") ?? "7", CultureInfo.InvariantCulture);
int workers = int.Parse(Option("--workers") ?? Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
string? tasks = Option("--tasks");

var results = new JsonArray();
bool known = false;
if (suite is "local-spawn" or "all")
{
    known = true;
    results.Add(LocalSpawnSuite.Run(int.Parse(tasks ?? "2000", CultureInfo.InvariantCulture), pairs, workers));
}

if (suite is "scheduler" or "all")
{
    known = true;
    results.Add(SchedulerSuite.Run(int.Parse(tasks ?? "1000000", CultureInfo.InvariantCulture), pairs, workers));
}

if (suite is "fuzz")
{
    // Not part of "all": a correctness run with counts, not a ratio.
    known = true;
    results.Add(FuzzSuite.Run(long.Parse(tasks ?? "1000000", CultureInfo.InvariantCulture), workers));
}

if (!known)
{
    Console.Error.WriteLine($"repartir-bench: unknown suite '{suite}' (local-spawn, scheduler, remote-spawn, remote-rtt, fault, fuzz, all)");
    return 2;
}

foreach (JsonNode? result in results)
{
    result!["machine"] = $"{Environment.MachineName}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
    result["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

if (jsonPath is not null)
{
    JsonNode output = results.Count == 1 ? results[0]!.DeepClone() : results;
    File.WriteAllText(jsonPath, output.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}

return 0;

string? Option(string name)
{
    int index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
