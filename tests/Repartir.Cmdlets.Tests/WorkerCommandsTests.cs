using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Workers;
using Repartir.Remote;
using Repartir.Remote.Wire;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Tests;

public sealed class WorkerCommandsTests : IDisposable
{
    private readonly LocalWorkerRegistry _registry = new();

    public void Dispose() => WorkerCommands.Stop(_registry, _registry.All, force: true, new RecordingSink(), CancellationToken.None);

    private static WorkerOptions OnAnyPort(string name = "cmdlet-worker") => new() { Bind = new IPEndPoint(IPAddress.Loopback, 0), Name = name, Slots = 2 };

    [Fact]
    public void Start_runs_a_worker_that_serves_tasks_and_writes_it()
    {
        var sink = new RecordingSink();
        LocalWorkerInfo worker = WorkerCommands.Start(_registry, OnAnyPort(), sink)!;

        Assert.Same(worker, Assert.Single(sink.Objects));
        Assert.Equal("cmdlet-worker", worker.Name);
        Assert.Equal("Serving", worker.State);
        Assert.StartsWith("127.0.0.1:", worker.Endpoint, StringComparison.Ordinal);
        Assert.Same(worker, Assert.Single(_registry.All));

        using var client = new TcpClient();
        client.Connect(IPEndPoint.Parse(worker.Endpoint));
        var connection = new Connection(client.GetStream());
        connection.HandshakeAsync(new Hello(MessageCodec.ProtocolVersion, "0.1.0", "t", "t", 0, [], 1 << 20, new Dictionary<string, string>())).GetAwaiter().GetResult();
        connection.SendAsync(new Submit(1, 1, new TaskSpec("echo", "served"))).AsTask().GetAwaiter().GetResult();
        Message? message;
        do
        {
            message = connection.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        }
        while (message is Heartbeat);

        Assert.Equal("served\n", Assert.IsType<Result>(message).Outcome.Stdout);
        connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Fact]
    public void An_address_in_use_is_a_terminating_WorkerBindFailed_error()
    {
        LocalWorkerInfo first = WorkerCommands.Start(_registry, OnAnyPort(), new RecordingSink())!;
        var error = Assert.Throws<TerminatingCommandException>(() =>
            WorkerCommands.Start(_registry, OnAnyPort() with { Bind = IPEndPoint.Parse(first.Endpoint) }, new RecordingSink()));

        Assert.Equal(ErrorRecords.WorkerBindFailed, error.Error.ErrorId);
        Assert.Equal(ErrorCategory.ResourceUnavailable, error.Error.Category);
        Assert.Contains(first.Endpoint, error.Error.Exception.Message, StringComparison.Ordinal);
        Assert.Single(_registry.All);
    }

    [Fact]
    public void Invalid_settings_are_a_terminating_error_naming_the_setting()
    {
        var error = Assert.Throws<TerminatingCommandException>(() => WorkerCommands.Start(_registry, OnAnyPort() with { Slots = 0 }, new RecordingSink()));

        Assert.Equal(ErrorRecords.InvalidWorkerSettings, error.Error.ErrorId);
        Assert.Contains("Slots", error.Error.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhatIf_starts_nothing()
    {
        Assert.Null(WorkerCommands.Start(_registry, OnAnyPort(), new RecordingSink(shouldProcess: false)));
        Assert.Empty(_registry.All);
    }

    [Fact]
    public void Stop_by_name_with_wildcards_stops_and_forgets_the_workers()
    {
        LocalWorkerInfo a = WorkerCommands.Start(_registry, OnAnyPort("edge-a"), new RecordingSink())!;
        LocalWorkerInfo b = WorkerCommands.Start(_registry, OnAnyPort("edge-b"), new RecordingSink())!;
        WorkerCommands.Start(_registry, OnAnyPort("core"), new RecordingSink());

        var sink = new RecordingSink();
        WorkerCommands.Stop(_registry, WorkerCommands.Resolve(_registry, ["edge-*", "missing"], sink), force: false, sink, CancellationToken.None);

        Assert.Equal("Stopped", a.State);
        Assert.Equal("Stopped", b.State);
        Assert.Equal(["core"], _registry.All.Select(w => w.Name));
        CommandError error = Assert.Single(sink.Errors);
        Assert.Equal(ErrorRecords.WorkerNotFound, error.ErrorId);
        Assert.Equal("missing", error.Target);
    }
}
