using System.Diagnostics;
using System.Text;
using Repartir.Testing;

namespace Repartir.Tests.Cli;

/// <summary>
/// A checkpoint store on a full disk and on a read-only one, for real: a 1 MiB tmpfs mounted in a private user and
/// mount namespace (<c>unshare -rm</c>, no root needed), driven by the real <c>repartir</c>. Skipped, with the reason,
/// where the kernel allows no such namespace.
/// </summary>
public sealed class StoreOnBadDiskTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [SkippableFact]
    public async Task A_full_disk_and_a_read_only_one_give_clear_errors_and_lose_nothing_saved()
    {
        Skip.IfNot(CanMountPrivately(), "unshare -rm with a tmpfs mount is not allowed here (no user namespaces); the full and read-only disk checks were skipped.");
        string disk = _directory.File("the disk"); // a space: the read-only store is opened by URI, which must escape it
        string store = Path.Combine(disk, "store");
        string marker = _directory.File("task-ran");
        string big = _directory.File("big.json");
        Directory.CreateDirectory(disk);
        await File.WriteAllTextAsync(big, "{\"big\":\"" + Convert.ToHexString(Guid.NewGuid().ToByteArray()).PadRight(3_000_000, 'x') + "\"}");
        string r = CliProcess.Executable;
        string script = $$"""
            mount -t tmpfs -o size=1m tmpfs '{{disk}}' || exit 90
            step() { name=$1; shift; "$@"; echo "rc:$name=$?"; }
            printf '{"a":1}' | step first '{{r}}' checkpoint save --name keep --store '{{store}}'
            step full '{{r}}' checkpoint save --name big --store '{{store}}' < '{{big}}'
            printf '{"a":2}' | step after-full '{{r}}' checkpoint save --name keep --store '{{store}}'
            mount -o remount,ro '{{disk}}'
            printf '{"a":3}' | step read-only '{{r}}' checkpoint save --name keep --store '{{store}}'
            step remove '{{r}}' checkpoint remove --name keep --store '{{store}}'
            step restore '{{r}}' checkpoint restore --name keep --version 1 --store '{{store}}'
            step verify '{{r}}' checkpoint verify --store '{{store}}'
            echo x | step journal '{{r}}' run --journal j --store '{{store}}' -- touch '{{marker}}'
            """;

        (int exitCode, string output) = await RunAsync("unshare", "-rm", "sh", "-c", script);

        Assert.True(exitCode == 0, output);
        Assert.Contains("rc:first=0", output, StringComparison.Ordinal);
        Assert.Contains("rc:full=1", output, StringComparison.Ordinal);
        Assert.Contains("Checkpoint 'big' could not be saved", output, StringComparison.Ordinal);
        Assert.Contains("disk is full", output, StringComparison.Ordinal);
        Assert.Contains("earlier versions are intact", output, StringComparison.Ordinal);
        Assert.Contains("rc:after-full=0", output, StringComparison.Ordinal); // the store still works once the big save is refused
        Assert.Contains("rc:read-only=1", output, StringComparison.Ordinal);
        Assert.Contains("Checkpoint 'keep' cannot be saved: the checkpoint store in " + store + " is read-only", output, StringComparison.Ordinal);
        Assert.Contains("rc:remove=1", output, StringComparison.Ordinal);
        Assert.Contains("{\"a\":1}\nrc:restore=0", output, StringComparison.Ordinal); // a read-only store still restores
        Assert.Contains("ok      keep 1\nok      keep 2\nrc:verify=0", output, StringComparison.Ordinal);
        Assert.DoesNotContain(" big ", output, StringComparison.Ordinal); // the refused save left no version behind
        Assert.Contains("rc:journal=1", output, StringComparison.Ordinal);
        Assert.Contains($"The checkpoint store in {store} is read-only (its file system or directory cannot be written): nothing can be recorded in it", output, StringComparison.Ordinal);
        Assert.False(File.Exists(marker), "a run whose journal cannot be written ran its task anyway");
    }

    private static bool CanMountPrivately()
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("unshare", ["-rm", "sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs \"$d\""]) { RedirectStandardError = true })!;
            probe.StandardError.ReadToEnd();
            probe.WaitForExit();
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no unshare
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, params string[] arguments)
    {
        using Process process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout + await stderr);
    }
}
