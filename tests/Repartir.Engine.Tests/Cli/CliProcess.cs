using System.Diagnostics;

namespace Repartir.Tests.Cli;

/// <summary>The real <c>repartir</c> executable, fed bytes on stdin: what users run, start-up and all.</summary>
internal static class CliProcess
{
    /// <summary>
    /// The executable the tests run: the build beside them, or the one <c>REPARTIR_EXECUTABLE</c> names (for example
    /// the native build from <c>./build.sh -Task Cli</c> by its absolute path, to check that it behaves the same).
    /// </summary>
    internal static string Executable { get; } = Environment.GetEnvironmentVariable("REPARTIR_EXECUTABLE") is { Length: > 0 } path
        ? Path.GetFullPath(path)
        : Path.Combine(AppContext.BaseDirectory, "repartir");

    /// <summary>
    /// How to start it with every stream redirected, and with the signals a shell's foreground job has: a test run
    /// under nohup, or in the background of a script, ignores SIGHUP or SIGINT, and children inherit that (the
    /// runtime rightly leaves an ignored signal ignored). <c>env --default-signal</c> gives them back.
    /// </summary>
    internal static ProcessStartInfo StartInfo(params string[] args) => new("env", ["--default-signal=HUP,INT,QUIT,TERM", Executable, .. args])
    {
        RedirectStandardInput = true,
        RedirectStandardOutput = true,
        RedirectStandardError = true,
    };

    internal static async Task<(int ExitCode, byte[] Stdout, string Stderr)> RunAsync(byte[] stdin, params string[] args)
    {
        using var stdout = new MemoryStream();
        var (code, stderr) = await RunAsync(stdin, stdout, new Dictionary<string, string>(), args);
        return (code, stdout.ToArray(), stderr);
    }

    /// <summary>Runs it with <paramref name="environment"/> added to this process's environment, its stdout copied to <paramref name="stdout"/>.</summary>
    internal static async Task<(int ExitCode, string Stderr)> RunAsync(byte[] stdin, Stream stdout, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        ProcessStartInfo start = StartInfo(args);
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
