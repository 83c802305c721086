using System.Management.Automation;

namespace Repartir.Cmdlets.Tests;

/// <summary>Submit-RepartirTask -Backend Gpu with New-RepartirPool -Gpu and Start-RepartirWorker -Gpu, in a real runspace.</summary>
public sealed class GpuPlacementTests : IDisposable
{
    private readonly PowerShellSession _session = new();
    private readonly string _prefix = "gpu-" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose()
    {
        _session.Run($"Get-RepartirPool -Name '{_prefix}*' | Remove-RepartirPool -Force -Confirm:$false; Stop-RepartirWorker -Name '{_prefix}*' -Force -Confirm:$false -ErrorAction SilentlyContinue");
        _session.Dispose();
    }

    [Fact]
    public void Gpu_tasks_run_on_the_pools_gpus_and_are_told_their_device()
    {
        Invocation run = _session.Run($"""
            New-RepartirPool -Name {_prefix} -CpuWorkers 2 -Gpu 0, 1 | Out-Null
            1..4 | Submit-RepartirTask -Pool {_prefix} -Backend Gpu -FilePath sh -ArgumentList '-c', 'echo $CUDA_VISIBLE_DEVICES'
            """).Succeeded();
        Assert.Equal(4, run.Output.Count);
        Assert.All(run.Output, r => Assert.Equal("Gpu", r.Get<string>("Backend")));
        Assert.Equal(["0", "1"], _session.Run($"(Get-RepartirPool -Name {_prefix}).Gpus").Succeeded().Output.Select(o => o.BaseObject));
        Assert.All(run.Output, r => Assert.Contains(r.Get<string>("Stdout").Trim(), new[] { "0", "1" }));
    }

    [Fact]
    public void A_pool_without_gpus_rejects_gpu_tasks_with_the_reason_and_bad_device_lists_are_named()
    {
        Invocation run = _session.Run($"""
            New-RepartirPool -Name {_prefix} -CpuWorkers 1 -Gpu @() | Out-Null
            Submit-RepartirTask -Pool {_prefix} -Backend Gpu -FilePath true
            """);
        PSObject result = Assert.Single(run.Output);
        Assert.Equal("Rejected", result.Get<string>("Failure"));
        Assert.Contains("has no GPU", result.Get<string>("FailureMessage"), StringComparison.Ordinal);

        ErrorRecord twice = _session.Run($"New-RepartirPool -Name {_prefix}-bad -Gpu 0, 0").Terminating!;
        Assert.Equal("InvalidPoolSettings,Repartir.Cmdlets.Commands.NewRepartirPoolCommand", twice.FullyQualifiedErrorId);
        Assert.Contains("twice", twice.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_worker_started_with_gpus_announces_them_and_runs_the_gpu_tasks()
    {
        Invocation run = _session.Run($"""
            $worker = Start-RepartirWorker -Bind 127.0.0.1:0 -Name {_prefix} -Slots 2 -Gpu 6
            New-RepartirPool -Name {_prefix} -Worker $worker.Endpoint | Out-Null
            1..3 | Submit-RepartirTask -Pool {_prefix} -Backend Gpu -FilePath sh -ArgumentList '-c', 'echo $CUDA_VISIBLE_DEVICES'
            """).Succeeded();
        Assert.Equal(3, run.Output.Count);
        Assert.All(run.Output, r => Assert.Equal("6", r.Get<string>("Stdout").Trim()));
        Assert.Equal(1, _session.Run($"(Get-RepartirPoolWorker -Pool {_prefix}).Gpus").Succeeded().Single().BaseObject);
        Assert.All(run.Output, r => Assert.EndsWith("/gpu6", r.Get<string>("Worker"), StringComparison.Ordinal));
    }
}
