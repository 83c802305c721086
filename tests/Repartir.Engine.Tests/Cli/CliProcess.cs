using System.Diagnostics;

namespace Repartir.Tests.Cli;

/// <summary>The real <c>repartir</c> executable, fed bytes on stdin: what users run, start-up and all.</summary>
internal static class CliProcess
{
    internal static async Task<(int ExitCode, byte[] Stdout, string Stderr)> RunAsync(byte[] stdin, params string[] args)
    {
        using var stdout = new MemoryStream();
        var (code, stderr) = await RunAsync(stdin, stdout, new Dictionary<string, string>(), args);
        return (code, stdout.ToArray(), stderr);
    }

    /// <summary>Runs it with <paramref name="environment"/> added to this process's environment, its stdout copied to <paramref name="stdout"/>.</summary>
    internal static async Task<(int ExitCode, string Stderr)> RunAsync(byte[] stdin, Stream stdout, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "repartir"), args)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        Task copying = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(stdin);
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await copying;
        return (process.ExitCode, await stderr);
    }
}
