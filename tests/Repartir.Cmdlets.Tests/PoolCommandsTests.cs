using System.Management.Automation;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Naming;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Scheduling;

namespace Repartir.Cmdlets.Tests;

public sealed class PoolCommandsTests : IDisposable
{
    private readonly PoolRegistry _registry = new();

    public void Dispose()
    {
        foreach (PoolInfo pool in _registry.All)
        {
            pool.Pool.Dispose();
        }
    }

    [Fact]
    public void New_creates_registers_and_writes_the_pool()
    {
        var sink = new RecordingSink();
        PoolCommands.New(_registry, new PoolOptions { Name = "nightly", CpuWorkers = 3, MaxQueue = 10 }, sink, CancellationToken.None);

        PoolInfo pool = Assert.IsType<PoolInfo>(Assert.Single(sink.Objects));
        Assert.Equal("nightly", pool.Name);
        Assert.Equal(3, pool.CpuWorkers);
        Assert.Equal(10, pool.MaxQueue);
        Assert.Equal(PoolState.Running, pool.State);
        Assert.True(_registry.TryGet("NIGHTLY", out _));
        Assert.Equal(("nightly", "Create a Repartir pool with 3 CPU workers"), Assert.Single(sink.ShouldProcessCalls));
    }

    [Fact]
    public void New_under_WhatIf_creates_nothing()
    {
        PoolCommands.New(_registry, new PoolOptions { Name = "dry" }, new RecordingSink(shouldProcess: false), CancellationToken.None);

        Assert.False(_registry.TryGet("dry", out _));
    }

    [Fact]
    public void A_taken_name_is_a_terminating_PoolExists_error()
    {
        PoolCommands.New(_registry, new PoolOptions { Name = "twice", CpuWorkers = 1 }, new RecordingSink(), CancellationToken.None);
        var error = Assert.Throws<TerminatingCommandException>(() => PoolCommands.New(_registry, new PoolOptions { Name = "TWICE", CpuWorkers = 1 }, new RecordingSink(), CancellationToken.None));

        Assert.Equal(ErrorRecords.PoolExists, error.Error.ErrorId);
        Assert.Equal(ErrorCategory.ResourceExists, error.Error.Category);
    }

    [Fact]
    public void Invalid_settings_are_a_terminating_error_naming_the_setting()
    {
        var error = Assert.Throws<TerminatingCommandException>(() => PoolCommands.New(_registry, new PoolOptions { Name = "bad", MaxQueue = 0 }, new RecordingSink(), CancellationToken.None));

        Assert.Equal(ErrorRecords.InvalidPoolSettings, error.Error.ErrorId);
        Assert.Contains("MaxQueue", error.Error.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_matches_wildcards_and_reports_literal_names_that_match_nothing()
    {
        foreach (string name in new[] { "nightly-a", "nightly-b", "adhoc" })
        {
            _registry.Create(new PoolOptions { Name = name, CpuWorkers = 1 });
        }

        var sink = new RecordingSink();
        PoolCommands.Get(_registry, ["nightly*", "missing", "nothing*"], sink);

        Assert.Equal(["nightly-a", "nightly-b"], sink.Objects.Cast<PoolInfo>().Select(p => p.Name));
        CommandError error = Assert.Single(sink.Errors);
        Assert.Equal(ErrorRecords.PoolNotFound, error.ErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.Category);
        Assert.Equal("missing", error.Target);
        Assert.IsType<PoolNotFoundException>(error.Exception);

        var all = new RecordingSink();
        PoolCommands.Get(_registry, null, all);
        Assert.Equal(3, all.Objects.Count);
    }

    [Fact]
    public void Remove_is_graceful_by_default_and_forced_with_Force()
    {
        PoolInfo graceful = _registry.Create(new PoolOptions { Name = "graceful", CpuWorkers = 1 });
        Task<Repartir.Tasks.TaskResult> finishing = graceful.Pool.SubmitAsync(new Repartir.Tasks.TaskSpec("sleep", "0.3"));
        PoolCommands.Remove(_registry, [graceful], force: false, new RecordingSink(), CancellationToken.None);

        Assert.True(finishing.Result.Success);
        Assert.Equal(PoolState.Stopped, graceful.State);
        Assert.False(_registry.TryGet("graceful", out _));

        PoolInfo forced = _registry.Create(new PoolOptions { Name = "forced", CpuWorkers = 1 });
        Task<Repartir.Tasks.TaskResult> killed = forced.Pool.SubmitAsync(new Repartir.Tasks.TaskSpec("sleep", "30"));
        Thread.Sleep(200);
        PoolCommands.Remove(_registry, [forced], force: true, new RecordingSink(), CancellationToken.None);
        Assert.Equal(Repartir.Tasks.FailureKind.Cancelled, killed.Result.Failure);
    }

    [Fact]
    public void Remove_under_WhatIf_leaves_the_pool_alone()
    {
        PoolInfo pool = _registry.Create(new PoolOptions { Name = "kept", CpuWorkers = 1 });
        var sink = new RecordingSink(shouldProcess: false);
        PoolCommands.Remove(_registry, [pool], force: true, sink, CancellationToken.None);

        Assert.Equal(PoolState.Running, pool.State);
        Assert.True(_registry.TryGet("kept", out _));
        Assert.Contains("cancelling queued tasks", Assert.Single(sink.ShouldProcessCalls).Action, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_pool_is_created_on_first_use_and_reused()
    {
        PoolInfo first = _registry.GetOrCreateDefault();
        PoolInfo second = _registry.GetOrCreateDefault();

        Assert.Same(first, second);
        Assert.Equal(PoolRegistry.DefaultPoolName, first.Name);
        Assert.Equal(Environment.ProcessorCount, first.CpuWorkers);
    }

    [Fact]
    public void Automatic_names_skip_taken_ones()
    {
        _registry.Create(new PoolOptions { Name = "pool-1", CpuWorkers = 1 });
        Assert.Equal("pool-2", _registry.NextAutomaticName());
    }

    [Theory]
    [InlineData("night*", "nightly", true)]
    [InlineData("night*", "NIGHTLY", true)]
    [InlineData("n?ght", "night", true)]
    [InlineData("[ab]x", "bx", true)]
    [InlineData("[ab]x", "cx", false)]
    [InlineData("a`*b", "a*b", true)]
    [InlineData("a`*b", "axb", false)]
    [InlineData("plain", "plainer", false)]
    [InlineData("x.y", "xzy", false)]
    public void Name_patterns_follow_PowerShell_wildcards(string pattern, string name, bool matches)
    {
        Assert.Equal(matches, new NamePattern(pattern).IsMatch(name));
    }

    [Fact]
    public void The_completer_offers_registered_names_by_prefix()
    {
        _registry.Create(new PoolOptions { Name = "alpha", CpuWorkers = 1 });
        _registry.Create(new PoolOptions { Name = "beta", CpuWorkers = 1 });

        Assert.Equal(["alpha"], PoolNameCompleter.MatchingNames(_registry, "AL"));
        Assert.Equal(2, PoolNameCompleter.MatchingNames(_registry, string.Empty).Count());
    }
}

public sealed class PoolTransformationTests
{
    [Fact]
    public void Pool_takes_a_pool_object_or_the_name_of_a_registered_pool()
    {
        var attribute = new PoolTransformationAttribute();
        PoolInfo pool = PoolRegistry.Process.Create(new PoolOptions { Name = "transform-" + Guid.NewGuid().ToString("N"), CpuWorkers = 1 });
        try
        {
            Assert.Same(pool, attribute.Transform(null!, pool));
            Assert.Same(pool, attribute.Transform(null!, pool.Name.ToUpperInvariant()));
            Assert.Throws<ArgumentTransformationMetadataException>(() => attribute.Transform(null!, "no-such-pool-" + Guid.NewGuid().ToString("N")));
            Assert.Throws<ArgumentTransformationMetadataException>(() => attribute.Transform(null!, 42));
        }
        finally
        {
            PoolRegistry.Process.Remove(pool);
            pool.Pool.Dispose();
        }
    }
}
