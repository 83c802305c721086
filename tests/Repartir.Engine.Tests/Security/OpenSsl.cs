using System.Diagnostics;

namespace Repartir.Tests.Security;

/// <summary>The openssl command, for checking that files it makes work here; tests skip visibly where it is missing.</summary>
internal static class OpenSsl
{
    internal static bool IsInstalled => Environment.GetEnvironmentVariable("PATH")!.Split(':').Any(d => File.Exists(Path.Combine(d, "openssl")));

    /// <summary>Runs <c>openssl <paramref name="arguments"/></c> in <paramref name="directory"/>, failing the test with its errors when it fails.</summary>
    internal static void Run(string directory, string arguments)
    {
        Skip.IfNot(IsInstalled, "the openssl command is not installed; interoperability with the files it makes was not checked.");
        using var process = Process.Start(new ProcessStartInfo("sh", ["-c", "openssl " + arguments])
        {
            WorkingDirectory = directory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"openssl {arguments}: {errors}");
    }
}
