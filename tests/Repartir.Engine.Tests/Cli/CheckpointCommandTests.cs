using System.Diagnostics;
using System.Text;
using Repartir.Checkpoints;
using Repartir.Testing;

namespace Repartir.Tests.Cli;

/// <summary><c>repartir checkpoint</c> as users run it, and the store's crash safety under SIGKILL.</summary>
public sealed class CheckpointCommandTests : IDisposable
{
    private readonly TempDirectory _store = new();

    public void Dispose() => _store.Dispose();

    private Task<(int ExitCode, byte[] Stdout, string Stderr)> Checkpoint(string stdin, params string[] args) =>
        CliProcess.RunAsync(Encoding.UTF8.GetBytes(stdin), ["checkpoint", .. args, "--store", _store.Path]);

    [Fact]
    public async Task Save_list_restore_and_verify_a_state_from_the_shell()
    {
        var (saved, savedOut, savedError) = await Checkpoint("""{"epoch":3,"weights":[1,2.5,-4],"name":"nightly","done":false,"none":null}""", "save", "--name", "train", "--iteration", "3");
        await Checkpoint("""{"epoch":4}""", "save", "--name", "train");
        var (_, listed, _) = await Checkpoint(string.Empty, "list");
        var (restored, json, _) = await Checkpoint(string.Empty, "restore", "--name", "train", "--iteration", "3");
        var (_, packed, _) = await Checkpoint(string.Empty, "restore", "--name", "train", "--format", "msgpack");
        var (verified, report, _) = await Checkpoint(string.Empty, "verify");

        Assert.True(saved == 0, savedError);
        Assert.StartsWith("train\t1\t3\t", Encoding.UTF8.GetString(savedOut), StringComparison.Ordinal);
        Assert.Equal(2, Encoding.UTF8.GetString(listed).Trim().Split('\n').Length);
        Assert.Equal(0, restored);
        Assert.Equal("""{"epoch":3,"weights":[1,2.5,-4],"name":"nightly","done":false,"none":null}""" + "\n", Encoding.UTF8.GetString(json));
        Assert.Equal(4L, ((Dictionary<string, object?>)StateTree.Decode(packed)!)["epoch"]); // an integer stays an integer
        Assert.Equal(0, verified);
        Assert.Equal(["ok      train 1", "ok      train 2"], Encoding.UTF8.GetString(report).Trim().Split('\n'));

        var (_, _, keptRecent) = await Checkpoint(string.Empty, "remove", "--name", "train", "--older-than", "7d");
        var (_, _, keptLast) = await Checkpoint(string.Empty, "remove", "--name", "train", "--keep-last", "1");
        var (shown, shownOut, _) = await Checkpoint(string.Empty, "show", "--name", "train");
        Assert.Contains("removed 0 version(s)", keptRecent, StringComparison.Ordinal); // both were saved moments ago
        Assert.Contains("removed 1 version(s)", keptLast, StringComparison.Ordinal);
        Assert.Equal(0, shown);
        Assert.StartsWith("train\t2\t-\t", Encoding.UTF8.GetString(shownOut), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_checkpoints_bad_input_and_bad_flags_are_errors_that_say_so()
    {
        var (missing, _, missingError) = await Checkpoint(string.Empty, "restore", "--name", "nothing");
        var (badJson, _, badJsonError) = await Checkpoint("{not json", "save", "--name", "x");
        var (badAge, _, badAgeError) = await Checkpoint(string.Empty, "remove", "--name", "x", "--older-than", "soon");

        Assert.Equal(1, missing);
        Assert.Contains("No checkpoint 'nothing'", missingError, StringComparison.Ordinal);
        Assert.Equal(1, badJson);
        Assert.StartsWith("repartir: ", badJsonError, StringComparison.Ordinal);
        Assert.Equal(2, badAge);
        Assert.Contains("--older-than: 'soon' is not a duration (examples: 500ms, 30s, 2m, 1h, 7d)", badAgeError, StringComparison.Ordinal);
        var (_, listed, _) = await Checkpoint(string.Empty, "list");
        Assert.Empty(listed); // the bad save wrote nothing
    }

    [Fact]
    public async Task Reading_commands_create_no_store_at_a_mistyped_path()
    {
        string typo = Path.Combine(_store.Path, "no", "such", "store");

        (int list, byte[] listed, _) = await CliProcess.RunAsync([], "checkpoint", "list", "--store", typo);
        (int verify, _, _) = await CliProcess.RunAsync([], "checkpoint", "verify", "--store", typo);
        (int restore, _, string restoreErrors) = await CliProcess.RunAsync([], "checkpoint", "restore", "--name", "model", "--store", typo);
        (int show, _, _) = await CliProcess.RunAsync([], "checkpoint", "show", "--name", "model", "--store", typo);
        (int remove, _, string removeErrors) = await CliProcess.RunAsync([], "checkpoint", "remove", "--name", "model", "--store", typo);
        (int badAge, _, _) = await CliProcess.RunAsync([], "checkpoint", "remove", "--name", "model", "--older-than", "soon", "--store", typo);

        Assert.Equal((0, 0), (list, verify)); // nothing to list or verify
        Assert.Empty(listed);
        Assert.Equal((1, 1, 1), (restore, show, remove));
        Assert.Equal(2, badAge); // bad usage is said before the store is looked for
        Assert.Contains($"No checkpoint 'model' in {typo}: there is no checkpoint store there.", restoreErrors, StringComparison.Ordinal);
        Assert.Contains("there is no checkpoint store there", removeErrors, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_store.Path, "no")), "a reading command created the store");
    }

    [Fact]
    public async Task Three_processes_saving_into_one_store_at_once_get_every_version_in_order()
    {
        string loop = $"for i in $(seq 1 15); do printf '{{\"writer\":%s,\"i\":%d}}' \"$0\" $i | '{CliProcess.Executable}' checkpoint save --name shared --store '{_store.Path}' > /dev/null || exit 1; done";
        Process[] savers = [.. Enumerable.Range(1, 3).Select(w => Process.Start(new ProcessStartInfo("sh", ["-c", loop, w.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!)];
        foreach (Process saver in savers)
        {
            await saver.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            Assert.Equal(0, saver.ExitCode);
            saver.Dispose();
        }

        using var store = new CheckpointStore(_store.Path);
        IReadOnlyList<CheckpointInfo> versions = store.List("shared");
        Assert.Equal(Enumerable.Range(1, 45).Select(v => (long)v), versions.Select(v => v.Version));
        var seen = versions.Select(v => (Dictionary<string, object?>)store.Restore("shared", v.Version).State!).Select(s => ((long)s["writer"]!, (long)s["i"]!)).ToList();
        Assert.Equal(45, seen.Distinct().Count()); // every save is there once
        foreach (long writer in new long[] { 1, 2, 3 })
        {
            Assert.Equal(Enumerable.Range(1, 15).Select(i => (long)i), seen.Where(s => s.Item1 == writer).Select(s => s.Item2)); // each writer's saves in its order
        }
    }

    [Fact]
    public async Task A_saver_killed_with_SIGKILL_100_times_leaves_a_store_whose_every_version_restores()
    {
        // A shell saves in a loop; whichever repartir it is running is SIGKILLed at random moments, 100 times.
        string loop = $"i=0; while :; do i=$((i+1)); printf '{{\"i\":%d,\"pad\":\"%0512d\"}}' $i 0 | '{CliProcess.Executable}' checkpoint save --name crash --store '{_store.Path}' > /dev/null 2>&1; done";
        using Process saver = Process.Start(new ProcessStartInfo("sh", ["-c", loop]))!;
        using var store = new CheckpointStore(_store.Path);
        var random = new Random(2026);
        int kills = 0;
        try
        {
            for (int saved = 0; kills < 100;)
            {
                // After each save that completes, the next one is killed a random moment into its run: progress is
                // certain on a slow machine, and the kills land anywhere in start-up, encoding and the transaction.
                await Eventually.TrueAsync(() => store.List("crash").Count > saved, seconds: 60);
                saved = store.List("crash").Count;
                await Task.Delay(random.Next(0, 120));
                foreach (int child in Children(saver.Id))
                {
                    using Process killer = Process.Start("kill", ["-KILL", child.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
                    await killer.WaitForExitAsync();
                    kills++;
                }
            }
        }
        finally
        {
            saver.Kill(entireProcessTree: true);
            await saver.WaitForExitAsync();
        }

        Assert.True(kills >= 100);
        IReadOnlyList<CheckpointInfo> versions = store.List("crash");
        Assert.NotEmpty(versions);
        Assert.Equal(Enumerable.Range(1, versions.Count).Select(v => (long)v), versions.Select(v => v.Version)); // none half-written, none lost in between
        Assert.All(versions, v => Assert.IsType<Dictionary<string, object?>>(store.Restore("crash", v.Version).State));
    }

    private static int[] Children(int parent)
    {
        string path = $"/proc/{parent}/task/{parent}/children";
        try
        {
            return [.. File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
