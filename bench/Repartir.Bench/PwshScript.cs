using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Repartir.Bench;

/// <summary>Runs a bench script in a fresh pwsh and reads the JSON it writes to the path given as -Json: the suites measured inside PowerShell.</summary>
internal static class PwshScript
{
    internal static JsonNode Run(string pwsh, string script, string name, params string[] arguments)
    {
        string output = Path.Combine(Path.GetTempPath(), $"repartir-{name}-bench-{Environment.ProcessId}.json");
        var start = new ProcessStartInfo(pwsh, ["-NoProfile", "-NonInteractive", "-File", script, "-Json", output, .. arguments]);
        using (Process process = Process.Start(start)!)
        {
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{script} failed with exit code {process.ExitCode}.");
            }
        }

        JsonNode measured = JsonNode.Parse(File.ReadAllText(output))!;
        File.Delete(output);
        return measured;
    }
}
