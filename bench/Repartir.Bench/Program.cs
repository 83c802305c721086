using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Repartir.Bench;

// repartir bench: dotnet run -c Release --project bench/Repartir.Bench -- <suite|all> [--json PATH] [--pairs N] [--tasks N] [--workers N]
//   fault also takes [--repartir PATH] [--kill-every SECONDS]; fuzz takes --tasks as the number of cases;
//   cmdlet takes [--pwsh PATH] [--module PSD1] [--repartir PATH] (3 pairs unless --pairs says otherwise);
//   cli takes [--repartir PATH] [--memory-tasks N]; remote-spawn takes [--worker HOST:PORT] (a worker started elsewhere);
//   tls takes [--handshakes N]; flood takes [--repartir PATH]; fuzz takes [--tls];
//   checkpoint takes [--records N] [--rows N] [--large-mb N] (--tasks is its local-spawn size);
//   monitor takes [--repartir PATH] [--seconds N]; scripts takes [--pwsh PATH] [--module PSD1] [--work N] (--tasks is the tiny count).
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

if (suite is "remote-spawn" or "all")
{
    known = true;
    results.Add(RemoteSuites.Spawn(int.Parse(tasks ?? "2000", CultureInfo.InvariantCulture), pairs, workers, Option("--worker")));
}

if (suite is "remote-rtt" or "all")
{
    known = true;
    results.Add(RemoteSuites.RoundTrips(int.Parse(tasks ?? "20000", CultureInfo.InvariantCulture), pairs));
}

if (suite is "fault")
{
    // Not part of "all": it needs the repartir executable (--repartir PATH) to start and kill real worker processes.
    known = true;
    string repartir = Option("--repartir") ?? Path.Combine(RepositoryRoot(), "src", "Repartir.Cli", "bin", "Release", "net10.0", "repartir");
    results.Add(RemoteSuites.Fault(repartir, int.Parse(tasks ?? "2000", CultureInfo.InvariantCulture), TimeSpan.FromSeconds(double.Parse(Option("--kill-every") ?? "3", CultureInfo.InvariantCulture)), workers));
}

if (suite is "cmdlet")
{
    // Not part of "all": it needs pwsh and the packaged module (./build.sh -Task Bench passes both).
    known = true;
    string root = RepositoryRoot();
    string pwsh = Option("--pwsh") ?? Path.Combine(root, ".tools", ".store", "powershell", "7.6.9", "powershell", "7.6.9", "tools", "net10.0", "any", "unix", "pwsh");
    string module = Option("--module") ?? Path.Combine(root, "src", "Repartir.Cmdlets", "bin", "Release", "Repartir", "Repartir.psd1");
    string repartir = Option("--repartir") ?? Path.Combine(root, "src", "Repartir.Cli", "bin", "Release", "net10.0", "repartir");
    results.Add(CmdletSuite.Run(pwsh, module, repartir, Path.Combine(root, "bench", "cmdlet.ps1"), int.Parse(tasks ?? "2000", CultureInfo.InvariantCulture), int.Parse(Option("--pairs") ?? "3", CultureInfo.InvariantCulture), workers));
}

if (suite is "scripts")
{
    // Not part of "all": issue 13's script blocks in pwsh against ForEach-Object -Parallel and a hand-written RunspacePool.
    known = true;
    string root = RepositoryRoot();
    string pwsh = Option("--pwsh") ?? Path.Combine(root, ".tools", "pwsh");
    string module = Option("--module") ?? Path.Combine(root, "out", "Repartir", "0.1.0", "Repartir.psd1");
    results.Add(ScriptsSuite.Run(pwsh, module, Path.Combine(root, "bench", "scripts.ps1"), int.Parse(tasks ?? "10000", CultureInfo.InvariantCulture), int.Parse(Option("--work") ?? "2000", CultureInfo.InvariantCulture), int.Parse(Option("--pairs") ?? "3", CultureInfo.InvariantCulture), workers));
}

if (suite is "cli")
{
    // Not part of "all": it measures an executable (the native one from ./build.sh -Task Cli by default) against xargs.
    known = true;
    string repartir = Option("--repartir") ?? Path.Combine(RepositoryRoot(), "out", "bin", "repartir");
    results.Add(CliSuite.Run(repartir, int.Parse(tasks ?? "1000", CultureInfo.InvariantCulture), pairs, workers, int.Parse(Option("--memory-tasks") ?? "100000", CultureInfo.InvariantCulture)));
}

if (suite is "tls")
{
    // Not part of "all": issue 9's figures, what mutual TLS costs against plain TCP in the same run.
    known = true;
    results.Add(TlsSuite.Run(int.Parse(tasks ?? "2000", CultureInfo.InvariantCulture), 20000, int.Parse(Option("--handshakes") ?? "200", CultureInfo.InvariantCulture), pairs, workers));
}

if (suite is "flood")
{
    // Not part of "all": hostile traffic against a real worker process (the repartir executable).
    known = true;
    string repartir = Option("--repartir") ?? Path.Combine(RepositoryRoot(), "src", "Repartir.Cli", "bin", "Release", "net10.0", "repartir");
    results.Add(FloodSuite.Run(repartir, int.Parse(Option("--waves") ?? "5", CultureInfo.InvariantCulture), int.Parse(Option("--unread-tasks") ?? "30", CultureInfo.InvariantCulture)));
}

if (suite is "checkpoint")
{
    // Not part of "all": issue 10's figures (the store, the run journal, the results table); writes ~1 GB under TMPDIR.
    known = true;
    results.Add(CheckpointSuite.Run(pairs, workers, int.Parse(Option("--records") ?? "20000", CultureInfo.InvariantCulture), int.Parse(tasks ?? "2000", CultureInfo.InvariantCulture), int.Parse(Option("--rows") ?? "100000", CultureInfo.InvariantCulture), int.Parse(Option("--large-mb") ?? "500", CultureInfo.InvariantCulture)));
}

if (suite is "tensor")
{
    // Not part of "all": issue 11's CPU figures.
    known = true;
    results.Add(TensorSuite.Run(pairs));
}

if (suite is "telemetry")
{
    // Not part of "all": issue 12's overhead of metrics and spans.
    known = true;
    results.Add(TelemetrySuite.Run(int.Parse(tasks ?? "2000", CultureInfo.InvariantCulture), pairs, workers));
}

if (suite is "monitor")
{
    // Not part of "all": issue 12's cost of repartir top itself, against real worker processes.
    known = true;
    string repartir = Option("--repartir") ?? Path.Combine(RepositoryRoot(), "src", "Repartir.Cli", "bin", "Release", "net10.0", "repartir");
    results.Add(MonitorSuite.Run(repartir, int.Parse(Option("--seconds") ?? "30", CultureInfo.InvariantCulture)));
}

if (suite is "gpu")
{
    // Not part of "all": issue 11's GPU figures, on the chosen adapter (--matmul N; --peak-tflops for the fraction of peak).
    known = true;
    string? size = Option("--matmul");
    string? peak = Option("--peak-tflops");
    results.Add(GpuSuite.Run(pairs, size is null ? null : int.Parse(size, CultureInfo.InvariantCulture), peak is null ? null : double.Parse(peak, CultureInfo.InvariantCulture)));
}

if (suite is "fuzz")
{
    // Not part of "all": a correctness run with counts, not a ratio.
    known = true;
    results.Add(FuzzSuite.Run(long.Parse(tasks ?? "1000000", CultureInfo.InvariantCulture), workers, args.Contains("--tls")));
}

if (!known)
{
    Console.Error.WriteLine($"repartir-bench: unknown suite '{suite}' (local-spawn, scheduler, remote-spawn, remote-rtt, tls, flood, fault, fuzz, cmdlet, cli, checkpoint, tensor, gpu, telemetry, monitor, scripts, all)");
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

static string RepositoryRoot()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Repartir.PowerShell.sln")))
        {
            return directory.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}

string? Option(string name)
{
    int index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
