using System.Management.Automation;
using Repartir.Testing;

namespace Repartir.Cmdlets.Tests;

/// <summary>Pools over worker daemons (New-RepartirPool -Worker, Add-, Get- and Remove-RepartirPoolWorker) in a real runspace.</summary>
public sealed class PoolWorkerTests : IDisposable
{
    private readonly PowerShellSession _session = new();
    private readonly string _prefix = "farm-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string[] _nodes;

    public PoolWorkerTests()
    {
        _nodes = [.. _session.Run($"1..2 | ForEach-Object {{ (Start-RepartirWorker -Bind 127.0.0.1:0 -Name {_prefix}-node$_ -Slots 2).Endpoint }}").Succeeded().Output.Select(o => o.BaseObject.ToString()!)];
    }

    public void Dispose()
    {
        _session.Run($"Get-RepartirPool -Name '{_prefix}*' | Remove-RepartirPool -Force -Confirm:$false; Stop-RepartirWorker -Name '{_prefix}*' -Force -Confirm:$false");
        _session.Dispose();
    }

    [Fact]
    public void Tasks_of_a_pool_created_with_Worker_run_on_its_workers()
    {
        Invocation run = _session.Run($"$p = New-RepartirPool -Name {_prefix} -Worker $nodes; $p.CpuWorkers; $p.PoolWorkers; 1..20 | Submit-RepartirTask -Pool $p -FilePath echo", ("nodes", _nodes)).Succeeded();

        Assert.Equal([0, 2], run.Output.Take(2).Select(o => (int)o.BaseObject));
        PSObject[] results = [.. run.Output.Skip(2)];
        Assert.Equal(20, results.Length);
        Assert.All(results, r => Assert.True(r.Get<bool>("Success")));
        Assert.All(results, r => Assert.Equal("Remote", r.Value("Backend")));
        Assert.Equal([$"{_prefix}-node1", $"{_prefix}-node2"], results.Select(r => r.Get<string>("Worker").Split('/')[0]).Distinct().Order());
    }

    [Fact]
    public void Get_RepartirPoolWorker_lists_each_worker_and_several_endpoints_enumerate_as_strings()
    {
        _session.Run($"New-RepartirPool -Name {_prefix} -Worker $nodes | Out-Null", ("nodes", _nodes)).Succeeded();

        PSObject[] workers = [.. _session.Run($"Get-RepartirPoolWorker -Pool {_prefix}").Succeeded().Output];
        Assert.All(workers, w => Assert.Equal("Repartir.Cmdlets.Workers.PoolWorkerInfo", w.TypeNames[0]));
        Assert.All(workers, w => Assert.Equal("Online", w.Value("State")));
        Assert.All(workers, w => Assert.Equal(0, w.Value("Waiting"))); // nodes of 2 slots are sent nothing ahead
        string shown = string.Join('\n', _session.Run($"Get-RepartirPoolWorker -Pool {_prefix} | Format-List | Out-String").Output);
        Assert.Contains("Waiting", shown, StringComparison.Ordinal);
        Assert.Equal(_nodes.Order(), _session.Run($"(Get-RepartirPoolWorker -Pool {_prefix}).Endpoint").Output.Select(o => (string)o.BaseObject).Order());
        Assert.Single(_session.Run($"Get-RepartirPoolWorker {_prefix} '{_prefix}-node2'").Succeeded().Output);
    }

    [Fact]
    public void Workers_from_Get_RepartirWorker_are_added_by_Endpoint_and_removed_by_address_or_from_the_pipeline()
    {
        Invocation run = _session.Run(
            $"$p = New-RepartirPool -Name {_prefix} -CpuWorkers 1; Get-RepartirWorker -Name '{_prefix}-node*' | Add-RepartirPoolWorker -Pool $p | Out-Null; " +
            $"Remove-RepartirPoolWorker -Pool $p -Endpoint $nodes[1] -Confirm:$false; Get-RepartirPoolWorker -Pool $p | Remove-RepartirPoolWorker -Confirm:$false; $p.PoolWorkers",
            ("nodes", _nodes)).Succeeded();

        Assert.Equal(0, run.Single().BaseObject);
    }

    [Fact]
    public void Mistakes_get_their_own_errors_with_the_address_as_target()
    {
        Invocation bad = _session.Run($"$p = New-RepartirPool -Name {_prefix} -CpuWorkers 1; Add-RepartirPoolWorker -Pool $p -Endpoint not-an-address");
        ErrorRecord error = Assert.Single(bad.Errors);
        Assert.Equal("InvalidWorkerAddress,Repartir.Cmdlets.Commands.AddRepartirPoolWorkerCommand", error.FullyQualifiedErrorId);
        Assert.Equal("not-an-address", error.Target());

        ErrorRecord miss = Assert.Single(_session.Run($"Remove-RepartirPoolWorker -Pool {_prefix} -Endpoint 10.9.9.9:1 -Confirm:$false").Errors);
        Assert.Equal("PoolWorkerNotFound,Repartir.Cmdlets.Commands.RemoveRepartirPoolWorkerCommand", miss.FullyQualifiedErrorId);
        Assert.Equal($"Pool '{_prefix}' has no worker at '10.9.9.9:1'. Get-RepartirPoolWorker -Pool {_prefix} lists them.", miss.Exception.Message);

        ErrorRecord last = Assert.Single(_session.Run($"New-RepartirPool -Name {_prefix}-only -Worker $nodes[0] | Out-Null; Remove-RepartirPoolWorker -Pool {_prefix}-only -Endpoint $nodes[0] -Confirm:$false", ("nodes", _nodes)).Errors);
        Assert.Equal("LastWorker,Repartir.Cmdlets.Commands.RemoveRepartirPoolWorkerCommand", last.FullyQualifiedErrorId);
    }

    [Fact]
    public void A_pool_whose_only_worker_is_unreachable_warns_and_its_tasks_end_as_NoWorker()
    {
        Invocation run = _session.Run(
            $"$p = New-RepartirPool -Name {_prefix} -Worker 127.0.0.1:1 -PlacementTimeoutSeconds 0.5; 1..3 | Submit-RepartirTask -Pool $p -FilePath true -TimeoutSeconds 600");

        Assert.Contains(run.Warnings, w => w.Contains("cannot be reached yet", StringComparison.Ordinal));
        PSObject[] results = [.. run.Output];
        Assert.Equal(3, results.Length);
        Assert.All(results, r => Assert.Equal("NoWorker", r.Value("Failure")));
        Assert.All(results, r => Assert.Contains("127.0.0.1:1 is Offline", r.Get<string>("FailureMessage"), StringComparison.Ordinal));
    }

    [Fact]
    public void Tasks_of_a_worker_stopped_with_Force_run_again_on_another_worker()
    {
        // Every task waits for the release file, so none can finish on node1 before it is stopped, however slow the
        // machine (a 3 s sleep once did, under load). The release comes once node1 is gone.
        using var release = new TempDirectory();
        using RunningScript running = _session.Start(
            $"$p = New-RepartirPool -Name {_prefix} -Worker $nodes; 1..4 | Submit-RepartirTask -Pool $p -FilePath sh -ArgumentList '-c', 'while [ ! -e \"$1\" ]; do sleep 0.05; done; echo $0', '{{}}', $release",
            ("nodes", _nodes),
            ("release", release.File("go")));
        using var other = new PowerShellSession();
        Eventually.True(() => other.Run($"(Get-RepartirPoolWorker -Pool {_prefix} '{_prefix}-node1').Running").Output.FirstOrDefault()?.BaseObject is > 0, TimeSpan.FromSeconds(20), "a task to run on node1");

        other.Run($"Stop-RepartirWorker -Name {_prefix}-node1 -Force -Confirm:$false").Succeeded();
        File.WriteAllText(release.File("go"), string.Empty);

        PSObject[] results = [.. running.Wait().Succeeded().Output];
        Assert.Equal(4, results.Length);
        Assert.All(results, r => Assert.True(r.Get<bool>("Success"), r.Get<string>("FailureMessage")));
        string summary = string.Join("; ", results.Select(r => $"{r.Get<string>("Worker")}: {r.Get<int>("Losses")} lost, attempt {r.Get<int>("Attempt")}"));
        Assert.True(results.Any(r => r.Get<int>("Losses") == 1 && r.Get<int>("Attempt") == 1 && r.Get<string>("Worker").StartsWith($"{_prefix}-node2/", StringComparison.Ordinal)), summary);
    }

    [Fact]
    public void Stopping_a_draining_Remove_RepartirPoolWorker_ends_it_and_the_tasks_run_elsewhere()
    {
        using RunningScript tasks = _session.Start(
            $"$p = New-RepartirPool -Name {_prefix} -Worker $nodes; 1..2 | Submit-RepartirTask -Pool $p -FilePath sh -ArgumentList '-c', 'sleep 300' -TimeoutSeconds 600",
            ("nodes", _nodes));
        using var other = new PowerShellSession();
        Eventually.True(() => other.Run($"(Get-RepartirPoolWorker -Pool {_prefix} | Measure-Object Running -Sum).Sum").Output.FirstOrDefault()?.BaseObject is 2.0, TimeSpan.FromSeconds(20), "both tasks to run");

        using var third = new PowerShellSession();
        Invocation removal = third.RunAndStop(
            $"Remove-RepartirPoolWorker -Pool {_prefix} -Endpoint '{_prefix}-node1' -Confirm:$false",
            () => other.Run($"@(Get-RepartirPoolWorker -Pool {_prefix}).Count").Output.FirstOrDefault()?.BaseObject is 1, // draining: no longer listed, its task still running
            TimeSpan.FromSeconds(20));

        Assert.Empty(removal.Errors);
        Eventually.True(() => other.Run($"(Get-RepartirPoolWorker -Pool {_prefix}).Running").Output.FirstOrDefault()?.BaseObject is 2, TimeSpan.FromSeconds(20), "node1's task to run on node2");
        tasks.Stop();
    }
}
