using System.Management.Automation;
using System.Net;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Cmdlets.Workers;
using Repartir.Remote;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Tests;

public sealed class RemoteWorkerCommandsTests : IAsyncLifetime
{
    private static readonly RemoteOptions Quick = new() { HeartbeatInterval = TimeSpan.FromMilliseconds(100), HeartbeatTimeout = TimeSpan.FromSeconds(2) };
    private readonly PoolRegistry _registry = new();
    private readonly List<WorkerServer> _servers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (PoolInfo pool in _registry.All)
        {
            await pool.Pool.DisposeAsync();
        }

        foreach (WorkerServer server in _servers)
        {
            await server.DisposeAsync();
        }
    }

    private string StartServer(string name)
    {
        var server = new WorkerServer(new WorkerOptions { Bind = new IPEndPoint(IPAddress.Loopback, 0), Name = name, Slots = 2 });
        server.Start();
        _servers.Add(server);
        return server.LocalEndPoint.ToString();
    }

    private PoolInfo NewPool(string name, int cpuWorkers, params string[] workers)
    {
        var sink = new RecordingSink();
        PoolCommands.New(_registry, new PoolOptions { Name = name, CpuWorkers = cpuWorkers, Workers = workers, Remote = Quick }, sink, CancellationToken.None);
        return Assert.IsType<PoolInfo>(Assert.Single(sink.Objects));
    }

    [Fact]
    public void New_with_workers_waits_for_them_and_tasks_run_there()
    {
        string address = StartServer("node-a");
        PoolInfo pool = NewPool("farm", 0, address);

        RemoteWorkerInfo worker = Assert.Single(pool.Pool.RemoteWorkers.Select(c => new RemoteWorkerInfo(pool, c)));
        Assert.Equal(RemoteWorkerState.Online, worker.State); // New waited for the first connection
        Assert.Equal(1, pool.RemoteWorkers);
        TaskResult result = pool.Pool.SubmitAsync(new TaskSpec("echo", "far")).WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        Assert.Equal("far\n", result.Stdout);
        Assert.StartsWith("node-a/", result.Worker, StringComparison.Ordinal);
    }

    [Fact]
    public void New_with_an_unreachable_worker_warns_and_still_creates_the_pool()
    {
        var sink = new RecordingSink();
        PoolCommands.New(_registry, new PoolOptions { Name = "lonely", CpuWorkers = 1, Workers = ["127.0.0.1:1"], Remote = Quick }, sink, CancellationToken.None);

        Assert.IsType<PoolInfo>(Assert.Single(sink.Objects));
        Assert.Contains("127.0.0.1:1 cannot be reached yet", Assert.Single(sink.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void New_with_a_malformed_worker_address_is_a_terminating_settings_error()
    {
        var error = Assert.Throws<TerminatingCommandException>(() =>
            PoolCommands.New(_registry, new PoolOptions { Name = "bad", CpuWorkers = 0, Workers = ["node1"] }, new RecordingSink(), CancellationToken.None));

        Assert.Equal(ErrorRecords.InvalidPoolSettings, error.Error.ErrorId);
        Assert.Contains("'node1' is not HOST:PORT", error.Error.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_writes_each_worker_and_reports_bad_addresses_without_stopping()
    {
        PoolInfo pool = NewPool("grow", 1);
        string address = StartServer("node-b");
        var sink = new RecordingSink();

        RemoteWorkerCommands.Add(pool, ["nonsense", address, address], sink, CancellationToken.None);

        RemoteWorkerInfo added = Assert.IsType<RemoteWorkerInfo>(Assert.Single(sink.Objects));
        Assert.Equal(address, added.Address);
        Assert.Equal("node-b", added.Name);
        Assert.Equal(2, added.Slots);
        Assert.Equal("grow", added.Pool);
        Assert.Equal(2, sink.Errors.Count);
        Assert.All(sink.Errors, e => Assert.Equal(ErrorRecords.InvalidWorkerAddress, e.ErrorId));
        Assert.Contains("already has worker", sink.Errors[1].Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_honours_WhatIf()
    {
        PoolInfo pool = NewPool("dry", 1);
        RemoteWorkerCommands.Add(pool, [StartServer("node-c")], new RecordingSink(shouldProcess: false), CancellationToken.None);

        Assert.Equal(0, pool.RemoteWorkers);
    }

    [Fact]
    public void Get_lists_every_pools_workers_and_selects_by_address_or_name()
    {
        string first = StartServer("alpha");
        string second = StartServer("beta");
        NewPool("one", 0, first);
        NewPool("two", 0, second);

        var all = new RecordingSink();
        RemoteWorkerCommands.Get(_registry.All, null, all);
        var byName = new RecordingSink();
        RemoteWorkerCommands.Get(_registry.All, ["b*"], byName);
        var missing = new RecordingSink();
        RemoteWorkerCommands.Get(_registry.All, ["10.9.9.9:9000"], missing);

        Assert.Equal(["alpha", "beta"], all.Objects.Cast<RemoteWorkerInfo>().Select(w => w.Name).Order());
        Assert.Equal("two", Assert.IsType<RemoteWorkerInfo>(Assert.Single(byName.Objects)).Pool);
        Assert.Empty(missing.Objects);
        Assert.Equal(ErrorRecords.RemoteWorkerNotFound, Assert.Single(missing.Errors).ErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, missing.Errors[0].Category);
        Assert.StartsWith("No pool has a remote worker at '10.9.9.9:9000'", missing.Errors[0].Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_miss_in_a_pool_without_remote_workers_names_that_pool()
    {
        PoolInfo pool = NewPool("bare", 1);
        var sink = new RecordingSink();

        Assert.Empty(RemoteWorkerCommands.Resolve(pool, ["node9:9000"], sink));
        Assert.StartsWith("Pool 'bare' has no remote worker at 'node9:9000'", Assert.Single(sink.Errors).Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Remove_takes_the_worker_out_and_refuses_to_remove_the_last_place_to_run()
    {
        string first = StartServer("keep");
        string second = StartServer("drop");
        PoolInfo pool = NewPool("shrink", 0, first, second);
        var sink = new RecordingSink();

        RemoteWorkerCommands.Remove(RemoteWorkerCommands.Resolve(pool, ["drop"], sink), force: false, sink);
        Assert.Equal("keep", Assert.Single(pool.Pool.RemoteWorkers).Name);
        Assert.Single(sink.Verbose);

        RemoteWorkerCommands.Remove(RemoteWorkerCommands.Resolve(pool, [first], sink), force: true, sink);
        Assert.Equal(ErrorRecords.LastWorker, Assert.Single(sink.Errors).ErrorId);
        Assert.Single(pool.Pool.RemoteWorkers);
    }
}
