using System.Diagnostics;
using Repartir.Testing;

namespace Repartir.Tests;

/// <summary>
/// An independent implementation run by node, from a pinned package in <c>tests/interop/NAME</c> (npm ci installs it
/// on first use). Where node or npm is missing, the proofs that need it are skipped with the reason, never passed.
/// </summary>
internal sealed class NodeInterop
{
    private readonly Lazy<string?> _directory;
    private readonly string _what;

    /// <param name="name">The folder under tests/interop.</param>
    /// <param name="installedMarker">A path under node_modules that exists once the package is installed.</param>
    /// <param name="what">What the skipped proof would have shown, for the skip reason.</param>
    internal NodeInterop(string name, string installedMarker, string what)
    {
        _what = what;
        _directory = new Lazy<string?>(() => Install(RepositoryFiles.PathOf("tests", "interop", name), installedMarker));
    }

    /// <summary>The harness's directory; skips the calling test, with the reason, where node or npm is missing.</summary>
    internal string Require()
    {
        Skip.If(_directory.Value is null, $"node and npm are needed; {_what} was skipped.");
        return _directory.Value!;
    }

    /// <summary>Runs node with <paramref name="arguments"/> in the harness and returns what it printed; fails with its stderr when it fails.</summary>
    internal string Node(params string[] arguments) => Run(Require(), "node", arguments);

    private static string? Install(string directory, string installedMarker)
    {
        try
        {
            if (!Path.Exists(Path.Combine(directory, "node_modules", installedMarker)))
            {
                Run(directory, "npm", "ci", "--no-audit", "--no-fund");
            }

            Run(directory, "node", "--version");
            return directory;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // node or npm is not installed
        }
    }

    private static string Run(string directory, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), $"{program} did not finish");
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr}{stdout.Result}");
        return stdout.Result;
    }
}
