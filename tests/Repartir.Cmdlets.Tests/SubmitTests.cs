using System.Management.Automation;
using Repartir.Testing;

namespace Repartir.Cmdlets.Tests;

/// <summary>Submit-RepartirTask in a real runspace: objects, binding, error records, progress and Ctrl+C.</summary>
public sealed class SubmitTests : IDisposable
{
    private readonly PowerShellSession _session = new();
    private readonly TempDirectory _directory = new();
    private readonly string _pool = "submit-" + Guid.NewGuid().ToString("N")[..8];

    public SubmitTests() => _session.Run($"New-RepartirPool -Name {_pool} -CpuWorkers 2 | Out-Null").Succeeded();

    public void Dispose()
    {
        _session.Run($"Remove-RepartirPool -Name {_pool} -Force -Confirm:$false");
        _session.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void Files_from_Get_ChildItem_become_one_task_each_and_travel_on_their_results()
    {
        for (int i = 1; i <= 4; i++)
        {
            File.WriteAllText(Path.Combine(_directory.Path, $"f{i}.csv"), $"row{i}");
        }

        Invocation run = _session.Run($"Get-ChildItem -Path $dir -Filter *.csv | Submit-RepartirTask -Pool {_pool} -FilePath cat -ArgumentList '{{FullName}}'", ("dir", _directory.Path)).Succeeded();

        Assert.Equal(4, run.Output.Count);
        foreach (PSObject result in run.Output)
        {
            Assert.Equal("Repartir.Cmdlets.Tasks.TaskResultInfo", result.TypeNames[0]);
            Assert.True(result.Get<bool>("Success"));
            var file = Assert.IsType<FileInfo>(((PSObject)result.Value("InputObject")!).BaseObject);
            Assert.Equal(File.ReadAllText(file.FullName), result.Get<string>("Stdout"));
            Assert.Equal(_pool, result.Get<string>("Pool"));
        }
    }

    [Fact]
    public void A_result_carries_exit_code_output_and_provenance_in_plain_types()
    {
        PSObject result = _session.Run($"Submit-RepartirTask -Pool {_pool} -FilePath sh -ArgumentList '-c', 'echo out; echo err >&2; exit 3'").Succeeded().Single();

        Assert.False(result.Get<bool>("Success"));
        Assert.Equal(3, result.Get<int>("ExitCode"));
        Assert.Equal("out\n", result.Get<string>("Stdout"));
        Assert.Equal("err\n", result.Get<string>("Stderr"));
        Assert.IsType<long>(result.Value("Id"));
        Assert.Equal("None", result.Value("Failure"));
        Assert.Equal("Cpu", result.Value("Backend"));
        Assert.Equal(1, result.Get<int>("Attempt"));
        Assert.Matches("^cpu-[0-9]+$", result.Get<string>("Worker"));
        Assert.IsType<TimeSpan>(result.Value("Duration"));
        Assert.True(result.Get<int>("ProcessId") > 0);
    }

    [Fact]
    public void Placeholders_and_script_blocks_are_filled_per_item_and_Ordered_keeps_input_order()
    {
        Invocation run = _session.Run($"'b', 'a' | Submit-RepartirTask -Pool {_pool} -FilePath echo -ArgumentList '{{}}-{{#}}', {{ $_.ToUpper() }} -Ordered").Succeeded();

        Assert.Equal(["b-1 B\n", "a-2 A\n"], run.Output.Select(r => r.Get<string>("Stdout")));
    }

    [Fact]
    public void A_null_ArgumentList_means_no_arguments()
    {
        Assert.Equal("\n", _session.Run($"Submit-RepartirTask -Pool {_pool} -FilePath echo -ArgumentList $null").Succeeded().Single().Get<string>("Stdout"));
    }

    [Fact]
    public void A_placeholder_the_item_lacks_fails_that_item_only_with_a_clean_message_and_the_item_as_target()
    {
        Invocation run = _session.Run($"'text', [pscustomobject]@{{ FullName = '/tmp' }} | Submit-RepartirTask -Pool {_pool} -FilePath echo -ArgumentList '{{FullName}}'");

        ErrorRecord error = Assert.Single(run.Errors);
        Assert.Equal("ArgumentExpansionFailed,Repartir.Cmdlets.Commands.SubmitRepartirTaskCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal("text", error.Target());
        Assert.Equal("The placeholder {FullName} cannot be filled: the input item (String 'text') has no property 'FullName'.", error.Exception.Message);
        Assert.Equal("/tmp\n", run.Single().Get<string>("Stdout"));
    }

    [Fact]
    public void A_script_block_argument_that_throws_fails_that_item_and_the_call_goes_on()
    {
        Invocation run = _session.Run($"1..4 | Submit-RepartirTask -Pool {_pool} -FilePath echo -ArgumentList {{ if ($_ -eq 2) {{ throw 'two is bad' }} $_ }}");

        ErrorRecord error = Assert.Single(run.Errors);
        Assert.Equal("ArgumentExpansionFailed,Repartir.Cmdlets.Commands.SubmitRepartirTaskCommand", error.FullyQualifiedErrorId);
        Assert.Equal(2, LanguagePrimitives.ConvertTo<int>(error.Target()));
        Assert.Contains("two is bad", error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal(["1\n", "3\n", "4\n"], run.Output.Select(r => r.Get<string>("Stdout")).Order());
    }

    [Fact]
    public void An_invalid_task_is_an_InvalidTask_error_naming_the_field_without_dotnet_leftovers()
    {
        Invocation run = _session.Run($"'x' | Submit-RepartirTask -Pool {_pool} -FilePath true -Environment @{{ 'A=B' = '1' }}");

        ErrorRecord error = Assert.Single(run.Errors);
        Assert.Equal("InvalidTask,Repartir.Cmdlets.Commands.SubmitRepartirTaskCommand", error.FullyQualifiedErrorId);
        Assert.Equal("x", error.Target());
        Assert.Equal("'A=B' is not a valid environment variable name.", error.Exception.Message);
        Assert.Empty(run.Output);
    }

    [Fact]
    public void An_unknown_pool_name_is_a_terminating_PoolNotFound_error_with_the_name_as_target()
    {
        ErrorRecord error = _session.Run("Submit-RepartirTask -Pool no-such-pool -FilePath true").Terminating!;

        Assert.Equal("PoolNotFound,Repartir.Cmdlets.Commands.SubmitRepartirTaskCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal("no-such-pool", error.Target());
        Assert.Equal("No Repartir pool is named 'no-such-pool'. Get-RepartirPool lists the pools.", error.Exception.Message);
    }

    [Fact]
    public void Failed_tasks_are_results_by_default_and_errors_with_ErrorOnFailure()
    {
        Assert.All(_session.Run($"1..2 | Submit-RepartirTask -Pool {_pool} -FilePath false").Succeeded().Output, r => Assert.False(r.Get<bool>("Success")));

        Invocation run = _session.Run($"'a', 'b' | Submit-RepartirTask -Pool {_pool} -FilePath sh -ArgumentList '-c', 'test $0 = a' -ErrorOnFailure");
        Assert.True(Assert.Single(run.Output).Get<bool>("Success"));
        ErrorRecord error = Assert.Single(run.Errors);
        Assert.Equal("TaskFailed,Repartir.Cmdlets.Commands.SubmitRepartirTaskCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidResult, error.CategoryInfo.Category);
        Assert.Equal("b", error.Target());
        Assert.Matches(@"^Task \d+ \(sh -c 'test \$0 = a' b\) exited with code 1\.$", error.Exception.Message);
        Assert.Equal(1, PSObject.AsPSObject(error.Exception).Get<PSObject>("Result").Get<int>("ExitCode"));
    }

    [Fact]
    public void A_missing_program_with_ErrorOnFailure_and_ErrorAction_Stop_ends_the_call()
    {
        Invocation run = _session.Run($"1..50 | Submit-RepartirTask -Pool {_pool} -FilePath ./no-such-program -ErrorOnFailure -ErrorAction Stop");

        Assert.Equal("TaskFailed,Repartir.Cmdlets.Commands.SubmitRepartirTaskCommand", run.Terminating?.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, run.Terminating!.CategoryInfo.Category);
        Assert.Contains("NotFound", run.Terminating.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(run.Output);
    }

    [Fact]
    public void Timeouts_missing_programs_and_retries_are_results_that_say_so()
    {
        string counter = Path.Combine(_directory.Path, "count");
        Invocation run = _session.Run(
            $"Submit-RepartirTask -Pool {_pool} -FilePath sleep -ArgumentList 30 -TimeoutSeconds 0.3; " +
            $"Submit-RepartirTask -Pool {_pool} -FilePath repartir-no-such-program; " +
            $"Submit-RepartirTask -Pool {_pool} -FilePath sh -ArgumentList '-c', 'echo x >> {counter}; test $(wc -l < {counter}) -ge 2' -RetryCount 3").Succeeded();

        Assert.Equal("TimedOut", run.Output[0].Value("Failure"));
        Assert.Equal("NotFound", run.Output[1].Value("Failure"));
        Assert.Contains("not found on PATH", run.Output[1].Get<string>("FailureMessage"), StringComparison.Ordinal);
        Assert.True(run.Output[2].Get<bool>("Success"));
        Assert.Equal(2, run.Output[2].Get<int>("Attempt"));
    }

    [Fact]
    public void Environment_and_WorkingDirectory_reach_the_task_relative_to_the_current_location()
    {
        Directory.CreateDirectory(Path.Combine(_directory.Path, "work"));
        PSObject result = _session.Run(
            $"Set-Location $dir; Submit-RepartirTask -Pool {_pool} -FilePath sh -ArgumentList '-c', 'echo \"$GREETING $(pwd)\"' -Environment @{{ GREETING = 'hi' }} -WorkingDirectory work",
            ("dir", _directory.Path)).Succeeded().Single();

        Assert.Equal($"hi {Path.Combine(_directory.Path, "work")}\n", result.Get<string>("Stdout"));
    }

    [Fact]
    public void Without_Pool_the_default_pool_runs_the_task()
    {
        Assert.Equal("default", _session.Run("Submit-RepartirTask -FilePath true").Succeeded().Single().Get<string>("Pool"));
        Assert.Equal("Running", _session.Run("(Get-RepartirPool -Name default).State").Single().BaseObject);
    }

    [Fact]
    public void Progress_shows_the_final_total_before_any_task_finishes_and_ends_with_a_Completed_record()
    {
        string gate = Path.Combine(_directory.Path, "go");
        using RunningScript running = _session.Start($"1..3 | Submit-RepartirTask -Pool {_pool} -FilePath sh -ArgumentList '-c', 'while [ ! -e {gate} ]; do sleep 0.02; done'");

        Eventually.True(() => running.Streams.Progress.ToArray().Any(p => p.StatusDescription == "0/3 completed, 0 failed"), TimeSpan.FromSeconds(20), "the total in the progress before any result");
        File.WriteAllText(gate, string.Empty);
        Assert.Equal(3, running.Wait().Succeeded().Output.Count);

        ProgressRecord[] progress = [.. running.Streams.Progress];
        Assert.All(progress, p => Assert.Equal("Repartir tasks", p.Activity));
        Assert.Equal(ProgressRecordType.Completed, progress[^1].RecordType);
        Assert.Equal("3/3 completed, 0 failed", progress[^1].StatusDescription);
        Assert.Single(progress, p => p.RecordType == ProgressRecordType.Completed);
    }

    [Fact]
    public void No_progress_is_written_when_ProgressPreference_is_SilentlyContinue()
    {
        Assert.Empty(_session.Run($"$ProgressPreference = 'SilentlyContinue'; 1..3 | Submit-RepartirTask -Pool {_pool} -FilePath true").Succeeded().Progress);
        Assert.NotEmpty(_session.Run($"$ProgressPreference = 'Continue'; 1..3 | Submit-RepartirTask -Pool {_pool} -FilePath true").Succeeded().Progress);
    }

    [Fact]
    public void NoWait_writes_handles_at_once_and_Wait_RepartirTask_writes_their_results_with_progress()
    {
        Invocation run = _session.Run($"$h = 1..3 | Submit-RepartirTask -Pool {_pool} -FilePath echo -NoWait; $h; $h | Wait-RepartirTask").Succeeded();

        Assert.All(run.Output.Take(3), h => Assert.Equal("Repartir.Cmdlets.Tasks.TaskHandle", h.TypeNames[0]));
        Assert.Equal(["1\n", "2\n", "3\n"], run.Output.Skip(3).Select(r => r.Get<string>("Stdout")).Order());
        Assert.Equal("3/3 completed, 0 failed", run.Progress[^1].StatusDescription);
        Assert.Equal(ProgressRecordType.Completed, run.Progress[^1].RecordType);
    }

    [Fact]
    public void Wait_RepartirTask_with_ErrorOnFailure_writes_failed_tasks_as_errors()
    {
        Invocation run = _session.Run($"'ok', 'bad' | Submit-RepartirTask -Pool {_pool} -FilePath sh -ArgumentList '-c', 'test $0 = ok' -NoWait | Wait-RepartirTask -ErrorOnFailure");

        Assert.Equal("ok", Assert.Single(run.Output).Get<PSObject>("InputObject").BaseObject);
        ErrorRecord error = Assert.Single(run.Errors);
        Assert.Equal("TaskFailed,Repartir.Cmdlets.Commands.WaitRepartirTaskCommand", error.FullyQualifiedErrorId);
        Assert.Equal("bad", error.Target());
    }

    [Fact]
    public void Stop_during_a_long_submit_cancels_it_and_kills_every_process_it_started()
    {
        string pids = Path.Combine(_directory.Path, "pids");
        Invocation run = _session.RunAndStop(
            $"1..20 | Submit-RepartirTask -Pool {_pool} -FilePath sh -ArgumentList '-c', 'echo $$ >> {pids}; exec sleep 300'",
            () => File.Exists(pids) && File.ReadAllLines(pids).Length == 2,
            TimeSpan.FromSeconds(20));

        Assert.Empty(run.Output);
        int[] started = [.. File.ReadAllLines(pids).Select(int.Parse)];
        Assert.Equal(2, started.Length);
        foreach (int pid in started)
        {
            Eventually.True(() => !Processes.IsAlive(pid), TimeSpan.FromSeconds(10), $"task process {pid} to be killed");
        }

        Eventually.True(() => _session.Run($"(Get-RepartirPool -Name {_pool}).Outstanding").Single().BaseObject is 0L, TimeSpan.FromSeconds(10), "the queued tasks to be cancelled");
    }

    [Fact]
    public void Script_block_arguments_run_over_many_items_in_several_runspaces_and_pools_at_once()
    {
        string[] pools = [.. Enumerable.Range(0, 3).Select(i => $"{_pool}-many{i}")];
        Task<string[]>[] runs = [.. pools.Select(pool => Task.Run(() =>
        {
            using var session = new PowerShellSession();
            session.Run($"New-RepartirPool -Name {pool} -CpuWorkers 2 | Out-Null").Succeeded();
            try
            {
                return session.Run($"1..150 | Submit-RepartirTask -Pool {pool} -FilePath echo -ArgumentList {{ '{pool}:' + ($_ * 2) }} -Ordered")
                    .Succeeded().Output.Select(r => r.Get<string>("Stdout").Trim()).ToArray();
            }
            finally
            {
                session.Run($"Remove-RepartirPool -Name {pool} -Force -Confirm:$false");
            }
        }))];

        for (int i = 0; i < pools.Length; i++)
        {
            Assert.Equal(Enumerable.Range(1, 150).Select(n => $"{pools[i]}:{n * 2}"), runs[i].Result);
        }
    }
}
