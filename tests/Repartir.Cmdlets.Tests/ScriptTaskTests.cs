using System.Management.Automation;
using Repartir.Testing;

namespace Repartir.Cmdlets.Tests;

/// <summary>Submit-RepartirTask -ScriptBlock in a real runspace: $using:, functions and modules, streams, failures, timeouts and Ctrl+C.</summary>
public sealed class ScriptTaskTests : IDisposable
{
    private readonly PowerShellSession _session = new();
    private readonly string _pool = "scripts-" + Guid.NewGuid().ToString("N")[..8];
    private readonly TempDirectory _directory = new();

    public ScriptTaskTests() => _session.Run($"New-RepartirPool -Name {_pool} -CpuWorkers 2 | Out-Null").Succeeded();

    public void Dispose()
    {
        _session.Run($"Remove-RepartirPool {_pool} -Force -Confirm:$false");
        _session.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void Each_item_runs_with_its_value_bound_and_using_values_of_value_and_reference_types_are_taken_from_the_caller()
    {
        PSObject[] results = [.. _session.Run(
            $"$factor = 3; $seen = [System.Collections.Concurrent.ConcurrentBag[int]]::new(); " +
            $"1..6 | Submit-RepartirTask -Pool {_pool} -Ordered -ScriptBlock {{ $bag = $using:seen; $bag.Add($_); $_ * $using:factor }}; $seen.Count").Succeeded().Output];

        Assert.Equal(6, results[^1].BaseObject); // a reference type is the caller's own object, as with ForEach-Object -Parallel
        PSObject[] tasks = results[..^1];
        Assert.All(tasks, r => Assert.Equal("Repartir.Cmdlets.Tasks.TaskResultInfo", r.TypeNames[0]));
        Assert.Equal([3, 6, 9, 12, 15, 18], tasks.Select(r => (int)((PSObject[])r.Value("Output")!).Single().BaseObject));
        Assert.All(tasks, r => Assert.True(r.Get<bool>("Success")));
        Assert.Equal("{ $bag = $using:seen; $bag.Add($_); $_ ... } 1", tasks[0].Value("Name")); // the script cut at 40 characters, then the item

        // The value is read when the command is called: a later change does not reach tasks already submitted.
        Invocation later = _session.Run($"$x = 1; $h = 1..2 | Submit-RepartirTask -Pool {_pool} -NoWait -ScriptBlock {{ Start-Sleep -Milliseconds 200; $using:x }}; $x = 2; ($h | Wait-RepartirTask).Output").Succeeded();
        Assert.Equal([1, 1], later.Output.Select(o => (int)o.BaseObject));
    }

    [Fact]
    public void Arguments_bind_to_args_or_param_and_Stream_writes_output_and_attributed_records_to_the_callers_streams()
    {
        Invocation run = _session.Run($"1..2 | Submit-RepartirTask -Pool {_pool} -Ordered -Stream -ScriptBlock {{ param($a) Write-Warning \"careful $_\"; Write-Information \"info $_\"; \"$a $_ $args\" }} -ArgumentList 'x', 'y' -InformationVariable info -WarningVariable warn; $info.Count; $warn.Count");

        Assert.Empty(run.Errors);
        Assert.Equal(["x 1 y", "x 2 y", "2", "2"], run.Output.Select(o => o.BaseObject.ToString()));
        Assert.Equal(["{ param($a) Write-Warning \"careful $_\";... } 1: careful 1", "{ param($a) Write-Warning \"careful $_\";... } 2: careful 2"], run.Warnings);
        Assert.Equal("{ param($a) Write-Warning \"careful $_\";... } 1", run.Information[0].Source);
        Assert.Equal("info 1", run.Information[0].MessageData.ToString());
    }

    [Fact]
    public void Functions_and_modules_named_are_available_and_ones_that_are_not_there_are_named()
    {
        string module = _directory.File("Tripler.psm1");
        File.WriteAllText(module, "function Get-Triple([int] $x) { $x * 3 }\nExport-ModuleMember -Function Get-Triple\n");
        Invocation run = _session.Run($"function Add-One([int] $x) {{ $x + 1 }}; 1..3 | Submit-RepartirTask -Pool {_pool} -Ordered -Stream -ImportFunction Add-One -ImportModule '{module}' -ScriptBlock {{ Add-One (Get-Triple $_) }}").Succeeded();
        Assert.Equal([4, 7, 10], run.Output.Select(o => (int)o.BaseObject));

        Invocation missingFunction = _session.Run($"1 | Submit-RepartirTask -Pool {_pool} -ImportFunction No-SuchThing -ScriptBlock {{ 1 }}");
        Assert.Equal("InvalidScriptTask", missingFunction.Terminating?.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Contains("no function named 'No-SuchThing'", missingFunction.Terminating!.Exception.Message, StringComparison.Ordinal);

        Invocation missingModule = _session.Run($"1 | Submit-RepartirTask -Pool {_pool} -ImportModule '{_directory.File("Nowhere.psm1")}' -ScriptBlock {{ 1 }}");
        Assert.Equal("InvalidScriptTask", missingModule.Terminating?.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Contains("did not load", missingModule.Terminating!.Exception.Message, StringComparison.Ordinal);

        Invocation badUsing = _session.Run($"$h = @{{ a = 1 }}; 1 | Submit-RepartirTask -Pool {_pool} -ScriptBlock {{ $using:h['a'] + $using:undefinedThing }}");
        Assert.Equal("InvalidScriptTask", badUsing.Terminating?.FullyQualifiedErrorId.Split(',')[0]);
    }

    [Fact]
    public void A_throwing_task_fails_alone_with_its_error_and_line_and_the_next_tasks_run_in_clean_runspaces()
    {
        PSObject[] results = [.. _session.Run($"1..20 | Submit-RepartirTask -Pool {_pool} -Ordered -ScriptBlock {{ if ($_ -eq 7) {{ $global:leftOver = 'x'; throw \"bad $_\" }}; Write-Error \"soft $_\" ; $_ }}").Output];

        Assert.Equal(20, results.Length);
        PSObject failed = results[6];
        Assert.False(failed.Get<bool>("Success"));
        Assert.Equal("WorkFailed", failed.Value("Failure"));
        Assert.Equal("bad 7 (line 1: if ($_ -eq 7) { $global:leftOver = 'x'; throw \"bad $_\" }; Write-Error \"soft $_\" ; $_)", failed.Value("FailureMessage"));
        Assert.Equal("bad 7", ((ErrorRecord[])failed.Value("Errors")!).Single().Exception.Message);
        Assert.All(results.Where((_, i) => i != 6), r => Assert.True(r.Get<bool>("Success"))); // a non-terminating error does not fail a task
        Assert.All(results.Where((_, i) => i != 6), r => Assert.Single((ErrorRecord[])r.Value("Errors")!));

        // The failed task's runspace was reset: what it left in $global: is gone.
        PSObject[] after = [.. _session.Run($"1..4 | Submit-RepartirTask -Pool {_pool} -Stream -ScriptBlock {{ $null -eq $global:leftOver }}").Succeeded().Output];
        Assert.All(after, o => Assert.True((bool)o.BaseObject));

        Invocation asErrors = _session.Run($"1..3 | Submit-RepartirTask -Pool {_pool} -ErrorOnFailure -ScriptBlock {{ if ($_ -eq 2) {{ throw 'no' }}; $_ }}");
        Assert.Single(asErrors.Errors);
        Assert.Equal(2, asErrors.Output.Count);
    }

    [Fact]
    public void A_timeout_stops_the_running_script_and_Ctrl_C_stops_every_one()
    {
        PSObject timedOut = _session.Run($"1 | Submit-RepartirTask -Pool {_pool} -TimeoutSeconds 0.3 -ScriptBlock {{ Start-Sleep -Seconds 30; 'never' }}").Succeeded().Single();
        Assert.Equal("TimedOut", timedOut.Value("Failure"));
        Assert.True(timedOut.Get<TimeSpan>("Duration") < TimeSpan.FromSeconds(20));
        Assert.Empty((PSObject[])timedOut.Value("Output")!);

        string marker = _directory.File("started");
        using RunningScript running = _session.Start($"1..4 | Submit-RepartirTask -Pool {_pool} -ScriptBlock {{ Set-Content -Path \"$using:marker.$_\" -Value 1; Start-Sleep -Seconds 60 }}", ("marker", marker));
        Eventually.True(() => Directory.GetFiles(_directory.Path, "started.*").Length >= 2, TimeSpan.FromSeconds(30), "two scripts running");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        running.Stop();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"Ctrl+C took {clock.Elapsed}");
        Eventually.True(() => _session.Run($"(Get-RepartirPool {_pool}).Outstanding").Output.Single().BaseObject is 0L, TimeSpan.FromSeconds(30), "the pool to have nothing outstanding");

        // The pool goes on: its runspaces were reset, not lost.
        Assert.Equal(["ok"], _session.Run($"1 | Submit-RepartirTask -Pool {_pool} -Stream -ScriptBlock {{ 'ok' }}").Succeeded().Output.Select(o => o.BaseObject));
    }

    [Fact]
    public void On_a_worker_started_in_PowerShell_remote_script_blocks_run_in_its_runspaces_with_copies_and_come_back_deserialized()
    {
        string worker = _pool + "-node";
        try
        {
            Invocation run = _session.Run(
                $"$node = Start-RepartirWorker -Bind 127.0.0.1:0 -Name {worker} -Slots 2; $remote = New-RepartirPool -Name {_pool}-remote -CpuWorkers 0 -Worker $node.Endpoint; " +
                $"$seen = [System.Collections.Generic.List[int]]::new(); $offset = 100; function Add-One([int] $x) {{ $x + 1 }}; " +
                $"1..3 | Submit-RepartirTask -Pool $remote -Backend Remote -Ordered -ImportFunction Add-One -ScriptBlock {{ $copy = $using:seen; [void] $copy.Add(1); [pscustomobject]@{{ Value = Add-One ($_ + $using:offset); ProcessId = $PID }} }}; $seen.Count").Succeeded();

            Assert.Equal(0, run.Output[^1].BaseObject); // $using: values travel as copies, as with Invoke-Command
            PSObject[] results = [.. run.Output.Take(3)];
            Assert.All(results, r => Assert.True(r.Get<bool>("Success"), r.Get<string>("FailureMessage")));
            Assert.All(results, r => Assert.StartsWith(worker + "/", r.Get<string>("Worker"), StringComparison.Ordinal));
            PSObject[] output = [.. results.Select(r => ((PSObject[])r.Value("Output")!).Single())];
            Assert.Equal([102, 103, 104], output.Select(o => o.Get<int>("Value")));
            Assert.All(output, o => Assert.Equal("Deserialized.System.Management.Automation.PSCustomObject", o.TypeNames[0]));
            Assert.All(output, o => Assert.Equal(Environment.ProcessId, o.Get<int>("ProcessId"))); // its own runspaces, not a pwsh per task

            PSObject failed = _session.Run("1 | Submit-RepartirTask -Pool $remote -Backend Remote -ScriptBlock { throw \"far $_\" }").Succeeded().Single();
            Assert.Equal("WorkFailed", failed.Value("Failure"));
            Assert.Equal("far 1 (line 1: throw \"far $_\")", failed.Value("FailureMessage"));
        }
        finally
        {
            _session.Run($"Remove-RepartirPool {_pool}-remote -Force -Confirm:$false; Stop-RepartirWorker -Name {worker} -Force -Confirm:$false");
        }
    }

    [Fact]
    public void Settings_that_do_not_go_with_a_script_block_are_refused_and_a_pool_without_cpu_workers_says_why()
    {
        Invocation gpu = _session.Run($"1 | Submit-RepartirTask -Pool {_pool} -Backend Gpu -ScriptBlock {{ 1 }}");
        Assert.Equal("InvalidScriptTask", gpu.Terminating?.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Contains("not on a GPU", gpu.Terminating!.Exception.Message, StringComparison.Ordinal);

        PSObject remote = _session.Run($"1 | Submit-RepartirTask -Pool {_pool} -Backend Remote -ScriptBlock {{ 1 }}").Succeeded().Single();
        Assert.Equal("Rejected", remote.Value("Failure")); // this pool has no remote workers
        Assert.Contains("no remote workers", remote.Get<string>("FailureMessage"), StringComparison.Ordinal);

        Invocation journal = _session.Run($"1 | Submit-RepartirTask -Pool {_pool} -Journal j -ScriptBlock {{ 1 }}");
        Assert.NotNull(journal.Terminating); // -Journal belongs to the program parameter set
        Assert.Contains("AmbiguousParameterSet", journal.Terminating!.FullyQualifiedErrorId, StringComparison.Ordinal);
    }
}
