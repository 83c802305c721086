using System.Management.Automation;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Scheduling;
using Repartir.Testing;

namespace Repartir.Cmdlets.Tests;

/// <summary>Watch-RepartirPool in a real runspace (where no view can be drawn, so it writes snapshots), and the figures Get-RepartirPool, Get-RepartirPoolWorker and Get-RepartirWorker carry.</summary>
public sealed class WatchTests : IDisposable
{
    private readonly PowerShellSession _session = new();
    private readonly string _prefix = "watch-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _node;

    public WatchTests() =>
        _node = _session.Run($"(Start-RepartirWorker -Bind 127.0.0.1:0 -Name {_prefix}-node -Slots 2).Endpoint").Succeeded().Single().BaseObject.ToString()!;

    public void Dispose()
    {
        _session.Run($"Get-RepartirPool -Name '{_prefix}*' | Remove-RepartirPool -Force -Confirm:$false; Stop-RepartirWorker -Name '{_prefix}*' -Force -Confirm:$false");
        _session.Dispose();
    }

    [Fact]
    public void Where_no_view_can_be_drawn_it_writes_a_snapshot_per_interval_with_a_row_per_place_and_the_longest_running_tasks()
    {
        _session.Run($"$p = New-RepartirPool -Name {_prefix} -CpuWorkers 1 -Worker $node; Get-RepartirPoolWorker $p | Out-Null", ("node", _node)).Succeeded();
        Eventually.True(() => _session.Run($"(Get-RepartirPoolWorker {_prefix}).State").Output.Single().BaseObject is "Online", TimeSpan.FromSeconds(30), "the worker to be Online");
        _session.Run($"1..3 | Submit-RepartirTask -Pool {_prefix} -FilePath sleep -ArgumentList 30 -NoWait | Out-Null").Succeeded();
        Eventually.True(() => _session.Run($"(Get-RepartirPool {_prefix}).Running").Output.Single().BaseObject is 3L, TimeSpan.FromSeconds(30), "three tasks running");

        PSObject[] snapshots = [.. _session.Run($"Watch-RepartirPool {_prefix} -IntervalSeconds 0.1 -Count 3").Succeeded().Output];

        Assert.Equal(3, snapshots.Length);
        Assert.All(snapshots, s => Assert.Equal("Repartir.Monitoring.ClusterSnapshot", s.TypeNames[0]));
        Assert.Equal(snapshots.Select(s => s.Get<DateTimeOffset>("Time")).Order(), snapshots.Select(s => s.Get<DateTimeOffset>("Time")));
        PSObject last = snapshots[^1];
        Assert.Equal($"pool '{_prefix}'", last.Value("Source"));
        Assert.Equal(3L, last.Value("Running"));
        Assert.Equal(2, last.Value("WorkersActive"));
        object[] rows = [.. ((System.Collections.IEnumerable)last.Value("Workers")!).Cast<object>()];
        Assert.Equal(["local", _node], rows.Select(r => PSObject.AsPSObject(r).Get<string>("Address")));
        Assert.Equal(3, ((System.Collections.IEnumerable)last.Value("LongestRunning")!).Cast<object>().Count());

        string table = string.Join('\n', _session.Run($"Watch-RepartirPool {_prefix} -Count 1 | Out-String").Succeeded().Output);
        Assert.Contains("Tasks/s", table, StringComparison.Ordinal);
        Assert.Contains("2/2", table, StringComparison.Ordinal); // workers active / known
        string workers = string.Join('\n', _session.Run($"(Watch-RepartirPool {_prefix} -Count 1).Workers | Out-String").Succeeded().Output);
        Assert.Contains(_node, workers, StringComparison.Ordinal);
        Assert.Contains("Online", workers, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_count_it_goes_on_until_Ctrl_C()
    {
        _session.Run($"New-RepartirPool -Name {_prefix} -CpuWorkers 1 | Out-Null").Succeeded();
        using RunningScript watching = _session.Start($"Watch-RepartirPool -Pool {_prefix} -Interval 0.1");
        Eventually.True(() => watching.Streams.Error.Count > 0 || watching.OutputCount >= 3, TimeSpan.FromSeconds(30), "three snapshots");
        Invocation stopped = watching.Stop();
        Assert.Empty(stopped.Errors);
        Assert.True(stopped.Output.Count >= 3);
    }

    [Fact]
    public void The_pool_and_worker_cmdlets_carry_the_same_figures()
    {
        _session.Run($"$p = New-RepartirPool -Name {_prefix} -CpuWorkers 0 -Worker $node; 1..4 | Submit-RepartirTask -Pool $p -FilePath true | Out-Null", ("node", _node)).Succeeded();

        PSObject pool = _session.Run($"Get-RepartirPool {_prefix}").Succeeded().Single();
        Assert.Equal(4L, pool.Value("Completed"));
        Assert.Equal(0L, pool.Value("Running"));
        Assert.True(pool.Get<double>("Throughput") > 0);
        Assert.Null(pool.Value("EstimatedTimeLeft")); // nothing outstanding

        PSObject worker = _session.Run($"Get-RepartirPoolWorker {_prefix}").Succeeded().Single();
        Eventually.True(() => _session.Run($"(Get-RepartirPoolWorker {_prefix}).SlotsUsed").Output.SingleOrDefault()?.BaseObject is 0, TimeSpan.FromSeconds(30), "the worker's first heartbeat");
        Assert.Contains("Load", worker.Properties.Select(p => p.Name));
        string table = string.Join('\n', _session.Run($"Get-RepartirPoolWorker {_prefix} | Out-String").Succeeded().Output);
        Assert.Contains("Load", table, StringComparison.Ordinal);

        PSObject daemon = _session.Run($"Get-RepartirWorker {_prefix}-node").Succeeded().Single();
        Assert.Equal(1, daemon.Value("Coordinators"));
        Assert.True(daemon.Get<double>("Throughput") > 0);
    }

    [Fact]
    public void A_pool_name_that_matches_nothing_is_PoolNotFound()
    {
        Invocation run = _session.Run($"Watch-RepartirPool {_prefix}-none -Count 1");
        Assert.Equal(ErrorRecords.PoolNotFound, run.Terminating?.FullyQualifiedErrorId.Split(',')[0]);
    }

    [Fact]
    public void Without_a_pool_it_watches_the_only_one_or_the_default_and_otherwise_says_which_there_are()
    {
        var registry = new PoolRegistry();
        Assert.Contains("has no Repartir pool to watch", Assert.Throws<TerminatingCommandException>(() => PoolWatch.Default(registry)).Error.Exception.Message, StringComparison.Ordinal);

        PoolInfo only = registry.Create(new PoolOptions { Name = "alpha", CpuWorkers = 1 })!;
        PoolInfo beta = registry.Create(new PoolOptions { Name = "beta", CpuWorkers = 1 })!;
        try
        {
            Assert.Contains("this session has 2 (alpha, beta) and none is named 'default'", Assert.Throws<TerminatingCommandException>(() => PoolWatch.Default(registry)).Error.Exception.Message, StringComparison.Ordinal);
            registry.Remove(beta);
            Assert.Same(only, PoolWatch.Default(registry));
        }
        finally
        {
            only.Pool.Dispose();
            beta.Pool.Dispose();
        }
    }
}
