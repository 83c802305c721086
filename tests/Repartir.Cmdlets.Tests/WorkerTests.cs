using System.Management.Automation;
using System.Net.Sockets;
using Repartir.Testing;

namespace Repartir.Cmdlets.Tests;

/// <summary>Start-, Get- and Stop-RepartirWorker (worker daemons in the session) in a real runspace.</summary>
public sealed class WorkerTests : IDisposable
{
    private readonly PowerShellSession _session = new();
    private readonly string _prefix = "workers-" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose()
    {
        _session.Run($"Stop-RepartirWorker -Name '{_prefix}*' -Force -Confirm:$false -ErrorAction SilentlyContinue");
        _session.Dispose();
    }

    [Fact]
    public void Start_writes_a_serving_worker_that_Get_RepartirWorker_lists()
    {
        PSObject worker = _session.Run($"Start-RepartirWorker -Bind 127.0.0.1:0 -Name {_prefix} -Slots 2").Succeeded().Single();

        Assert.Equal("Repartir.Cmdlets.Workers.WorkerInfo", worker.TypeNames[0]);
        Assert.Equal("Serving", worker.Value("State"));
        Assert.Matches(@"^127\.0\.0\.1:\d+$", worker.Get<string>("Endpoint"));
        using (var probe = new TcpClient())
        {
            probe.Connect(System.Net.IPEndPoint.Parse(worker.Get<string>("Endpoint")));
        }

        PSObject listed = _session.Run($"Get-RepartirWorker -Name '{_prefix}*'").Succeeded().Single();
        Assert.Equal(worker.Get<string>("Endpoint"), listed.Get<string>("Endpoint"));
        Assert.Equal("WorkerNotFound,Repartir.Cmdlets.Commands.GetRepartirWorkerCommand", Assert.Single(_session.Run($"Get-RepartirWorker -Name {_prefix}-none").Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void Get_RepartirWorker_carries_the_workers_own_figures()
    {
        PSObject worker = _session.Run($$"""
            $worker = Start-RepartirWorker -Bind 127.0.0.1:0 -Name {{_prefix}} -Slots 2 -Gpu 0, 1
            New-RepartirPool -Name {{_prefix}} -Worker $worker.Endpoint | Out-Null
            try { 1..4 | Submit-RepartirTask -Pool {{_prefix}} -FilePath sh -ArgumentList '-c', 'exit $(( $1 == 2 ))', sh, '{}' | Out-Null }
            finally { Remove-RepartirPool -Name {{_prefix}} -Force -Confirm:$false }
            Get-RepartirWorker -Name {{_prefix}}
            """).Succeeded().Single();

        Assert.Equal(4L, worker.Get<long>("Completed"));
        Assert.Equal(1L, worker.Get<long>("Failed"));
        Assert.Equal(0, worker.Get<int>("Running"));
        Assert.Equal(0, worker.Get<int>("Waiting"));
        Assert.Equal(new[] { "0", "1" }, ((System.Collections.IEnumerable)worker.Value("Gpus")!).Cast<object>().Select(o => o.ToString()));
    }

    [Fact]
    public void Get_RepartirWorker_piped_to_Stop_RepartirWorker_stops_the_daemon()
    {
        string endpoint = _session.Run($"(Start-RepartirWorker -Bind 127.0.0.1:0 -Name {_prefix}).Endpoint").Succeeded().Single().BaseObject.ToString()!;

        _session.Run($"Get-RepartirWorker -Name {_prefix} | Stop-RepartirWorker -Confirm:$false").Succeeded();

        Assert.Empty(_session.Run($"Get-RepartirWorker -Name '{_prefix}*'").Output);
        using var probe = new TcpClient();
        Assert.ThrowsAny<SocketException>(() => probe.Connect(System.Net.IPEndPoint.Parse(endpoint)));
    }

    [Fact]
    public void Bad_addresses_are_terminating_errors_that_say_what_is_wrong()
    {
        string endpoint = _session.Run($"(Start-RepartirWorker -Bind 127.0.0.1:0 -Name {_prefix}).Endpoint").Succeeded().Single().BaseObject.ToString()!;

        ErrorRecord inUse = _session.Run($"Start-RepartirWorker -Bind {endpoint} -Name {_prefix}-2").Terminating!;
        Assert.Equal("WorkerBindFailed,Repartir.Cmdlets.Commands.StartRepartirWorkerCommand", inUse.FullyQualifiedErrorId);
        Assert.Equal(endpoint, inUse.Target());

        ErrorRecord malformed = _session.Run("Start-RepartirWorker -Bind not-an-address").Terminating!;
        Assert.Equal("InvalidWorkerSettings,Repartir.Cmdlets.Commands.StartRepartirWorkerCommand", malformed.FullyQualifiedErrorId);
        Assert.Equal("not-an-address", malformed.Target());
        Assert.StartsWith("-Bind ", malformed.Exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", malformed.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_with_Wait_serves_until_stopped_then_drains_and_stops_without_an_error()
    {
        using RunningScript running = _session.Start($"Start-RepartirWorker -Bind 127.0.0.1:0 -Name {_prefix}-wait -Wait");
        using var other = new PowerShellSession();
        Eventually.True(() => other.Run($"Get-RepartirWorker -Name {_prefix}-wait").Output.Count == 1, TimeSpan.FromSeconds(20), "the worker to serve");
        string endpoint = other.Run($"(Get-RepartirWorker -Name {_prefix}-wait).Endpoint").Single().BaseObject.ToString()!;

        Invocation stopped = running.Stop();

        Assert.Empty(stopped.Errors);
        Assert.Empty(other.Run($"Get-RepartirWorker -Name {_prefix}-wait").Output);
        using var probe = new TcpClient();
        Assert.ThrowsAny<SocketException>(() => probe.Connect(System.Net.IPEndPoint.Parse(endpoint)));
    }
}
