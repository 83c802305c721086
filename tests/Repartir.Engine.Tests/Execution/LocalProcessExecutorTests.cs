using Repartir.Testing;
using System.Diagnostics;
using System.Text;
using Repartir.Execution;
using Repartir.Tasks;

namespace Repartir.Tests.Execution;

public sealed class LocalProcessExecutorTests : IAsyncLifetime
{
    private readonly Repartir.Scheduling.Pool _pool = TestPools.Create(workers: 2);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _pool.DisposeAsync();

    private Task<TaskResult> Run(TaskSpec spec, CancellationToken cancellationToken = default) => _pool.SubmitAsync(spec, cancellationToken).Within();

    [Fact]
    public async Task Captures_stdout_stderr_and_exit_code()
    {
        TaskResult result = await Run(new TaskSpec("sh", "-c", "echo out; echo err >&2; exit 7"));

        Assert.Equal("out\n", result.Stdout);
        Assert.Equal("err\n", result.Stderr);
        Assert.Equal(7, result.ExitCode);
        Assert.Equal(FailureKind.None, result.Failure);
        Assert.False(result.Success);
        Assert.Equal(1, result.Attempt);
        Assert.StartsWith("cpu-", result.Worker, StringComparison.Ordinal);
        Assert.Equal(Environment.MachineName, result.Host);
        Assert.NotNull(result.ProcessId);
        Assert.True(result.EndTime >= result.StartTime);
    }

    [Fact]
    public async Task Arguments_are_passed_as_a_vector_never_through_a_shell()
    {
        string[] tricky = ["a b", "$HOME", "'quoted'", "semi;colon", "*", ""];
        TaskResult result = await Run(new TaskSpec("printf", ["%s|", .. tricky]));

        Assert.Equal(string.Join("", tricky.Select(t => t + "|")), result.Stdout);
    }

    [Fact]
    public async Task A_missing_executable_is_a_NotFound_result()
    {
        TaskResult result = await Run(new TaskSpec("repartir-no-such-program-4c3e"));

        Assert.Equal(FailureKind.NotFound, result.Failure);
        Assert.Contains("was not found on PATH", result.FailureMessage, StringComparison.Ordinal);
        Assert.Null(result.ExitCode);
        Assert.Null(result.ProcessId);
        Assert.False(result.Success);
    }

    [Fact]
    public async Task A_missing_path_is_NotFound_and_a_directory_or_plain_file_is_NotExecutable()
    {
        using var directory = new TempDirectory();
        string plain = directory.File("data.txt");
        await File.WriteAllTextAsync(plain, "not a program");

        Assert.Equal(FailureKind.NotFound, (await Run(new TaskSpec(directory.File("absent")))).Failure);
        Assert.Equal(FailureKind.NotExecutable, (await Run(new TaskSpec(directory.Path))).Failure);
        TaskResult notExecutable = await Run(new TaskSpec(plain));
        Assert.Equal(FailureKind.NotExecutable, notExecutable.Failure);
        Assert.Contains("permission denied", notExecutable.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_changes_are_applied_and_removals_remove()
    {
        Environment.SetEnvironmentVariable("REPARTIR_TEST_INHERITED", "inherited");
        TaskResult result = await Run(new TaskSpec("sh", "-c", "echo \"$REPARTIR_A|${REPARTIR_TEST_INHERITED-unset}|$HOME\"")
        {
            Environment = new Dictionary<string, string?> { ["REPARTIR_A"] = "set here", ["REPARTIR_TEST_INHERITED"] = null },
        });

        Assert.Equal($"set here|unset|{Environment.GetEnvironmentVariable("HOME")}\n", result.Stdout);
    }

    [Fact]
    public async Task The_task_environment_PATH_is_used_to_find_the_program()
    {
        using var directory = new TempDirectory();
        string script = directory.File("only-here");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho found\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        TaskResult result = await Run(new TaskSpec("only-here") { Environment = new Dictionary<string, string?> { ["PATH"] = directory.Path } });

        Assert.Equal("found\n", result.Stdout);
    }

    [Fact]
    public async Task Working_directory_is_honoured_and_a_missing_one_is_a_clear_failure()
    {
        using var directory = new TempDirectory();
        TaskResult result = await Run(new TaskSpec("pwd") { WorkingDirectory = directory.Path });
        Assert.Equal(directory.Path + "\n", result.Stdout);

        TaskResult missing = await Run(new TaskSpec("pwd") { WorkingDirectory = directory.File("gone") });
        Assert.Equal(FailureKind.SpawnFailed, missing.Failure);
        Assert.Contains("does not exist", missing.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Standard_input_is_fed_and_closed_and_defaults_to_dev_null()
    {
        byte[] input = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("line of input\n", 20_000)));
        TaskResult fed = await Run(new TaskSpec("wc", "-c") { StandardInput = input });
        Assert.Equal(input.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), fed.Stdout.Trim());

        TaskResult none = await Run(new TaskSpec("cat"));
        Assert.True(none.Success);
        Assert.Equal(string.Empty, none.Stdout);
    }

    [Fact]
    public async Task Fifty_megabytes_of_stdout_arrive_intact()
    {
        const int Size = 50 * 1024 * 1024;
        await using var pool = TestPools.Create(workers: 1, process: TestPools.FastKill with { MaxOutputBytes = 64 * 1024 * 1024 });
        TaskResult result = await pool.SubmitAsync(new TaskSpec("head", "-c", Size.ToString(System.Globalization.CultureInfo.InvariantCulture), "/dev/zero")).Within(60);

        Assert.True(result.Success, result.ToString());
        Assert.Equal(Size, result.StdoutBytes.Length);
        Assert.False(result.StdoutTruncated);
        Assert.True(result.StdoutBytes.All(b => b == 0));
    }

    [Fact]
    public async Task Output_past_the_cap_is_dropped_and_flagged_without_blocking_the_child()
    {
        await using var pool = TestPools.Create(workers: 1, process: TestPools.FastKill with { MaxOutputBytes = 1000 });
        TaskResult result = await pool.SubmitAsync(new TaskSpec("head", "-c", "5000000", "/dev/zero")).Within();

        Assert.True(result.Success);
        Assert.Equal(1000, result.StdoutBytes.Length);
        Assert.True(result.StdoutTruncated);
        Assert.False(result.StderrTruncated);
    }

    [Fact]
    public async Task A_child_flooding_stderr_while_stdout_waits_does_not_deadlock()
    {
        // 4 MiB on stderr first, then stdout: a reader that drained only stdout would block forever on a full stderr pipe.
        TaskResult result = await Run(new TaskSpec("sh", "-c", "head -c 4194304 /dev/zero >&2; echo done"));

        Assert.Equal("done\n", result.Stdout);
        Assert.Equal(4194304, result.StderrBytes.Length);
    }

    [Fact]
    public async Task Non_UTF8_output_is_kept_intact_in_the_raw_bytes()
    {
        TaskResult result = await Run(new TaskSpec("printf", "\\377\\376\\000A\\303"));

        Assert.Equal(new byte[] { 0xFF, 0xFE, 0x00, 0x41, 0xC3 }, result.StdoutBytes);
        Assert.Contains('\uFFFD', result.Stdout);
    }

    [Fact]
    public async Task A_signal_death_is_reported_as_such()
    {
        TaskResult result = await Run(new TaskSpec("sh", "-c", "kill -SEGV $$"));

        Assert.Equal(FailureKind.Signaled, result.Failure);
        Assert.Equal(11, result.Signal);
        Assert.Null(result.ExitCode);
        Assert.Contains("SIGSEGV", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timeout_kills_the_whole_process_tree_and_keeps_partial_output()
    {
        var clock = Stopwatch.StartNew();
        TaskResult result = await Run(new TaskSpec("sh", "-c", "sleep 60 & echo $!; echo partial; wait")
        {
            Timeout = TimeSpan.FromMilliseconds(500),
        });
        clock.Stop();

        Assert.Equal(FailureKind.TimedOut, result.Failure);
        Assert.Null(result.ExitCode);
        Assert.Contains("partial", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Timed out after 500ms", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        int grandchild = int.Parse(result.Stdout.Split('\n')[0], System.Globalization.CultureInfo.InvariantCulture);
        await TestPools.WaitUntilGone(grandchild);
    }

    [Fact]
    public async Task A_child_that_ignores_SIGTERM_is_killed_after_the_grace_period()
    {
        TaskResult result = await Run(new TaskSpec("sh", "-c", "trap '' TERM; echo $$; while :; do sleep 0.05; done")
        {
            Timeout = TimeSpan.FromMilliseconds(300),
        });

        Assert.Equal(FailureKind.TimedOut, result.Failure);
        Assert.Equal(9, result.Signal);
        Assert.False(Processes.IsAlive(int.Parse(result.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Cancelling_a_running_task_kills_its_tree_promptly()
    {
        using var directory = new TempDirectory();
        string started = directory.File("started");
        using var cancel = new CancellationTokenSource();
        Task<TaskResult> running = _pool.SubmitAsync(new TaskSpec("sh", "-c", $"sleep 60 & echo $!; touch {started}; wait"), cancel.Token);
        await Eventually.TrueAsync(() => File.Exists(started)); // the grandchild is running
        var clock = Stopwatch.StartNew();
        await cancel.CancelAsync();
        TaskResult result = await running.Within();

        Assert.Equal(FailureKind.Cancelled, result.Failure);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        int grandchild = int.Parse(result.Stdout.Split('\n')[0], System.Globalization.CultureInfo.InvariantCulture);
        await TestPools.WaitUntilGone(grandchild);
    }

    [Fact]
    public async Task Leftover_children_holding_the_pipes_do_not_hold_the_result_past_the_drain_grace()
    {
        var clock = Stopwatch.StartNew();
        TaskResult result = await Run(new TaskSpec("sh", "-c", "sleep 30 & echo $!"));
        int leftover = int.Parse(result.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        System.Diagnostics.Process.GetProcessById(leftover).Kill();

        Assert.True(result.Success);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Executor_options_are_validated()
    {
        Assert.Throws<InvalidSettingException>(() => new LocalProcessExecutor(new ProcessExecutorOptions { MaxOutputBytes = -1 }));
        Assert.Throws<InvalidSettingException>(() => new LocalProcessExecutor(new ProcessExecutorOptions { KillGracePeriod = TimeSpan.FromSeconds(-1) }));
    }

    [Fact]
    public async Task A_cap_of_zero_keeps_all_the_output()
    {
        await using var pool = TestPools.Create(workers: 1, process: TestPools.FastKill with { MaxOutputBytes = 0 });

        TaskResult result = await pool.SubmitAsync(new TaskSpec("head", "-c", "17000000", "/dev/zero")).Within();

        Assert.Equal(17_000_000, result.StdoutBytes.Length); // more than the 16 MiB default
        Assert.False(result.StdoutTruncated);
    }

    [Fact]
    public void A_snapshot_environment_is_the_one_of_the_executors_start_and_a_task_that_changes_it_still_sees_the_rest()
    {
        string name = "REPARTIR_SNAPSHOT_" + Guid.NewGuid().ToString("N");
        System.Environment.SetEnvironmentVariable(name, "before");
        try
        {
            using var snapshot = new LocalProcessExecutor(TestPools.FastKill with { SnapshotEnvironment = true });
            using var live = new LocalProcessExecutor(TestPools.FastKill);
            System.Environment.SetEnvironmentVariable(name, "after");
            string Echo(LocalProcessExecutor executor, TaskSpec spec) =>
                executor.Execute(spec, new ExecutionSlot(new TaskId(1), 1, "cpu-1"), CancellationToken.None).Stdout;
            var plain = new TaskSpec("sh", "-c", $"echo ${name} $REPARTIR_OWNER");
            var changed = plain with { Environment = new Dictionary<string, string?> { ["EXTRA"] = "x" } };

            Assert.Equal($"before {snapshot.OwnerMarker}\n", Echo(snapshot, plain));
            Assert.Equal($"after {snapshot.OwnerMarker}\n", Echo(snapshot, changed)); // a task with changes reads the environment of its start
            Assert.Equal($"after {live.OwnerMarker}\n", Echo(live, plain));
        }
        finally
        {
            System.Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void A_snapshot_remembers_programs_it_found_and_looks_again_for_one_it_did_not()
    {
        using var directory = new TempDirectory();
        string program = "repartir-later-" + Guid.NewGuid().ToString("N");
        string oldPath = System.Environment.GetEnvironmentVariable("PATH")!;
        System.Environment.SetEnvironmentVariable("PATH", directory.Path + ":" + oldPath);
        try
        {
            using var executor = new LocalProcessExecutor(TestPools.FastKill with { SnapshotEnvironment = true });
            TaskResult Run() => executor.Execute(new TaskSpec(program), new ExecutionSlot(new TaskId(1), 1, "cpu-1"), CancellationToken.None);

            Assert.Equal(FailureKind.NotFound, Run().Failure);
            string path = directory.File(program);
            File.WriteAllText(path, "#!/bin/sh\necho found\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Assert.Equal("found\n", Run().Stdout); // installed after the first look: found now
            Assert.Equal("found\n", Run().Stdout);
        }
        finally
        {
            System.Environment.SetEnvironmentVariable("PATH", oldPath);
        }
    }
}
