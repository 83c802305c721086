using System.Management.Automation;

namespace Repartir.Cmdlets.Tests;

/// <summary>New-, Get- and Remove-RepartirPool in a real runspace.</summary>
public sealed class PoolTests : IDisposable
{
    private readonly PowerShellSession _session = new();
    private readonly string _prefix = "pools-" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose()
    {
        _session.Run($"Get-RepartirPool -Name '{_prefix}*' | Remove-RepartirPool -Force -Confirm:$false");
        _session.Dispose();
    }

    [Fact]
    public void New_writes_the_pool_with_its_settings_in_plain_types()
    {
        PSObject pool = _session.Run($"New-RepartirPool -Name {_prefix} -CpuWorkers 3 -PlacementTimeoutSeconds 5").Succeeded().Single();

        Assert.Equal("Repartir.Cmdlets.Pools.PoolInfo", pool.TypeNames[0]);
        Assert.Equal(_prefix, pool.Get<string>("Name"));
        Assert.Equal(3, pool.Get<int>("CpuWorkers"));
        Assert.Equal("Running", pool.Value("State"));
        Assert.Equal(TimeSpan.FromSeconds(5), pool.Value("PlacementTimeout"));
        Assert.Null(pool.Properties["Pool"]); // the engine object stays inside the module
    }

    [Fact]
    public void A_taken_name_is_a_terminating_PoolExists_error_naming_the_pool()
    {
        _session.Run($"New-RepartirPool -Name {_prefix} -CpuWorkers 1 | Out-Null").Succeeded();
        ErrorRecord error = _session.Run($"New-RepartirPool -Name {_prefix} -CpuWorkers 1").Terminating!;

        Assert.Equal("PoolExists,Repartir.Cmdlets.Commands.NewRepartirPoolCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceExists, error.CategoryInfo.Category);
        Assert.Equal(_prefix, error.Target());
    }

    [Fact]
    public void Invalid_settings_are_InvalidPoolSettings_with_a_message_a_person_can_act_on()
    {
        ErrorRecord error = _session.Run($"New-RepartirPool -Name {_prefix} -CpuWorkers 0").Terminating!;

        Assert.Equal("InvalidPoolSettings,Repartir.Cmdlets.Commands.NewRepartirPoolCommand", error.FullyQualifiedErrorId);
        Assert.Equal(_prefix, error.Target());
        Assert.Equal("CpuWorkers must be between 1 and 4096, not 0 (0 is allowed only when the pool has remote workers).", error.Exception.Message);
        Assert.DoesNotContain("(Parameter", error.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhatIf_creates_and_removes_nothing()
    {
        _session.Run($"New-RepartirPool -Name {_prefix} -WhatIf").Succeeded();
        Assert.Empty(_session.Run($"Get-RepartirPool -Name '{_prefix}*'").Succeeded().Output);

        _session.Run($"New-RepartirPool -Name {_prefix} -CpuWorkers 1 | Out-Null; Remove-RepartirPool -Name {_prefix} -WhatIf").Succeeded();
        Assert.Equal("Running", _session.Run($"(Get-RepartirPool -Name {_prefix}).State").Single().BaseObject);
    }

    [Fact]
    public void Confirm_asks_before_removing_a_pool()
    {
        _session.Run($"New-RepartirPool -Name {_prefix} -CpuWorkers 1 | Out-Null").Succeeded();

        // The hosted runspace has no one to answer: asking is what fails.
        ErrorRecord asked = _session.Run($"Remove-RepartirPool -Name {_prefix} -Confirm").Terminating!;
        Assert.Contains("prompt", asked.Exception.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("Running", _session.Run($"(Get-RepartirPool -Name {_prefix}).State").Single().BaseObject);
    }

    [Fact]
    public void Stopping_New_RepartirPool_while_it_waits_for_its_workers_creates_nothing()
    {
        // A worker that accepts the connection but never answers the handshake: the first attempt waits out its 5 s timeout.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        using var other = new PowerShellSession();
        Invocation stopped = _session.RunAndStop(
            $"New-RepartirPool -Name {_prefix}-stopped -Worker {silent.LocalEndpoint}",
            () => other.Run($"Get-RepartirPool -Name {_prefix}-stopped -ErrorAction SilentlyContinue").Output.Count == 1,
            TimeSpan.FromSeconds(20));

        Assert.Empty(stopped.Output);
        Assert.Empty(stopped.Errors);
        Assert.Empty(other.Run($"Get-RepartirPool -Name '{_prefix}*'").Output);
    }

    [Fact]
    public void Get_matches_wildcards_binds_Name_by_property_and_reports_literal_misses_with_their_name()
    {
        _session.Run($"New-RepartirPool -Name {_prefix}-a -CpuWorkers 1 | Out-Null; New-RepartirPool -Name {_prefix}-b -CpuWorkers 1 | Out-Null").Succeeded();

        Assert.Equal([$"{_prefix}-a", $"{_prefix}-b"], _session.Run($"(Get-RepartirPool -Name '{_prefix}-*').Name").Output.Select(o => (string)o.BaseObject));
        Assert.Equal($"{_prefix}-b", _session.Run($"([pscustomobject]@{{ Name = '{_prefix}-b' }} | Get-RepartirPool).Name").Succeeded().Single().BaseObject);

        ErrorRecord miss = Assert.Single(_session.Run($"Get-RepartirPool -Name {_prefix}-none").Errors);
        Assert.Equal("PoolNotFound,Repartir.Cmdlets.Commands.GetRepartirPoolCommand", miss.FullyQualifiedErrorId);
        Assert.Equal($"{_prefix}-none", miss.Target());
    }

    [Fact]
    public void Remove_waits_for_running_work_by_default_and_cancels_it_with_Force()
    {
        Invocation graceful = _session.Run(
            $"$p = New-RepartirPool -Name {_prefix}-g -CpuWorkers 1; $h = Submit-RepartirTask -Pool $p -FilePath sleep -ArgumentList 0.3 -NoWait; " +
            $"Remove-RepartirPool -Name {_prefix}-g -Confirm:$false; ($h | Wait-RepartirTask).Success; $p.State").Succeeded();
        Assert.Equal([true, "Stopped"], graceful.Output.Select(o => o.BaseObject));

        Invocation forced = _session.Run(
            $"$p = New-RepartirPool -Name {_prefix}-f -CpuWorkers 1; $h = Submit-RepartirTask -Pool $p -FilePath sleep -ArgumentList 30 -NoWait; " +
            $"$p | Remove-RepartirPool -Force -Confirm:$false; ($h | Wait-RepartirTask).Failure").Succeeded();
        Assert.Equal("Cancelled", forced.Single().BaseObject);
    }

    [Fact]
    public void Output_cut_at_the_pools_MaxOutputBytes_is_a_warning_naming_the_task_and_the_stream()
    {
        Invocation run = _session.Run($"$p = New-RepartirPool -Name {_prefix}-cap -CpuWorkers 1 -MaxOutputBytes 1024; Submit-RepartirTask -Pool $p -FilePath sh -ArgumentList '-c', 'head -c 5000 /dev/zero'").Succeeded();

        PSObject result = run.Single();
        Assert.Equal(1024, result.Get<string>("Stdout").Length);
        Assert.True(result.Get<bool>("StdoutTruncated"));
        string warning = Assert.Single(run.Warnings);
        Assert.Matches(@"^Task \d+ \(sh -c 'head -c 5000 /dev/zero'\): its standard output was cut short at the capture limit; the rest was dropped\. New-RepartirPool -MaxOutputBytes keeps more \(0 keeps all\)\.$", warning);
    }
}
