using System.Diagnostics;

namespace Repartir.Tests.Cli;

/// <summary>The real <c>repartir</c> executable, fed bytes on stdin: what users run, start-up and all.</summary>
internal static class CliProcess
{
    internal static async Task<(int ExitCode, byte[] Stdout, string Stderr)> RunAsync(byte[] stdin, params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "repartir"), args)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        using var stdout = new MemoryStream();
        Task copying = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(stdin);
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await copying;
        return (process.ExitCode, stdout.ToArray(), await stderr);
    }
}
