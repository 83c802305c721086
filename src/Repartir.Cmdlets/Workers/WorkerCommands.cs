using System.Collections.Concurrent;
using System.Management.Automation;
using System.Net.Sockets;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Naming;
using Repartir.Remote;

namespace Repartir.Cmdlets.Workers;

/// <summary>The workers started in this PowerShell process, by endpoint.</summary>
public sealed class LocalWorkerRegistry
{
    private readonly ConcurrentDictionary<string, LocalWorkerInfo> _workers = new(StringComparer.Ordinal);

    /// <summary>The registry of this process, shared by the module's cmdlets.</summary>
    public static LocalWorkerRegistry Process { get; } = new();

    /// <summary>Every running worker, by name then endpoint.</summary>
    public IReadOnlyList<LocalWorkerInfo> All => _workers.Values.OrderBy(w => w.Name, StringComparer.OrdinalIgnoreCase).ThenBy(w => w.Endpoint, StringComparer.Ordinal).ToArray();

    internal void Add(LocalWorkerInfo worker) => _workers[worker.Endpoint] = worker;

    internal void Remove(LocalWorkerInfo worker) => _workers.TryRemove(worker.Endpoint, out _);

    /// <summary>The workers whose names match <paramref name="pattern"/> (PowerShell wildcards).</summary>
    public IReadOnlyList<LocalWorkerInfo> Match(string pattern)
    {
        return NameSelection.Match(All, w => w.Name, pattern);
    }
}

/// <summary>The behaviour of Start- and Stop-RepartirWorker, free of PowerShell.</summary>
public static class WorkerCommands
{
    /// <summary>Starts a worker in this process, registers it and writes it.</summary>
    /// <exception cref="TerminatingCommandException">The settings are invalid or the address cannot be listened on.</exception>
    public static LocalWorkerInfo? Start(LocalWorkerRegistry registry, WorkerOptions options, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        if (!sink.ShouldProcess(options.Bind.ToString(), $"Start a Repartir worker '{options.Name}' with {options.Slots} slots"))
        {
            return null;
        }

        WorkerServer server;
        try
        {
            server = new WorkerServer(options);
        }
        catch (ArgumentException e)
        {
            throw new TerminatingCommandException(new CommandError(ErrorRecords.InvalidWorkerSettings, ErrorCategory.InvalidArgument, e, options));
        }

        try
        {
            server.Start();
        }
        catch (SocketException e)
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            var problem = new IOException($"Cannot listen on {options.Bind}: {e.Message}", e);
            throw new TerminatingCommandException(new CommandError(ErrorRecords.WorkerBindFailed, ErrorCategory.ResourceUnavailable, problem, options.Bind.ToString()));
        }

        var worker = new LocalWorkerInfo(server);
        registry.Add(worker);
        sink.WriteObject(worker);
        return worker;
    }

    /// <summary>The workers <paramref name="names"/> select (all when null); errors for literal names with no worker.</summary>
    public static IReadOnlyList<LocalWorkerInfo> Resolve(LocalWorkerRegistry registry, IReadOnlyList<string>? names, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(sink);
        return NameSelection.Select(registry.All, w => w.Name, names, ErrorRecords.NoSuchWorker, sink);
    }

    /// <summary>
    /// Stops workers: by default each drains (stops accepting, lets running tasks finish and report,
    /// says goodbye); with <paramref name="force"/> running tasks are killed at once.
    /// </summary>
    public static void Stop(LocalWorkerRegistry registry, IEnumerable<LocalWorkerInfo> workers, bool force, ICommandSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentNullException.ThrowIfNull(sink);
        foreach (LocalWorkerInfo worker in workers)
        {
            if (!sink.ShouldProcess(worker.ToString(), force ? "Stop the worker, killing its running tasks" : "Stop the worker after its running tasks finish"))
            {
                continue;
            }

            sink.WriteVerbose($"Stopping worker {worker} ({(force ? "at once" : "draining")}, {worker.Connections} coordinators connected).");
            try
            {
                worker.Server.StopAsync(drain: !force, cancellationToken).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                worker.Server.StopAsync(drain: false, CancellationToken.None).GetAwaiter().GetResult();
            }

            worker.Server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            registry.Remove(worker);
        }
    }
}
