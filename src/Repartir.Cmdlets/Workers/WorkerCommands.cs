using System.Net.Sockets;
using Repartir.Cmdlets.Naming;
using Repartir.Cmdlets.Output;
using Repartir.Remote;

namespace Repartir.Cmdlets.Workers;

/// <summary>The behaviour of Start-, Get- and Stop-RepartirWorker (worker daemons in this session), free of PowerShell.</summary>
public static class WorkerCommands
{
    /// <summary>Starts a worker in this process, registers it and writes it.</summary>
    /// <exception cref="TerminatingCommandException">The settings are invalid or the address cannot be listened on.</exception>
    /// <param name="registry">Where the session's workers are kept.</param>
    /// <param name="options">The worker's settings.</param>
    /// <param name="sink">Where to write.</param>
    /// <param name="loadCertificates">Reads its TLS files again (WorkerInfo.ReloadCertificates); null for a plain worker.</param>
    public static WorkerInfo? Start(WorkerRegistry registry, WorkerOptions options, ICommandSink sink, Func<Repartir.Security.TlsCredentials>? loadCertificates = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        if (!sink.ShouldProcess(options.Bind.ToString(), $"Start a Repartir worker '{options.Name}' with {options.Slots} slots"))
        {
            return null;
        }

        // A worker inside PowerShell runs the script-block tasks it is sent in runspaces of its own, not in a pwsh each.
        var scripts = new Scripts.WorkerScriptHost();
        WorkerServer server;
        try
        {
            server = new WorkerServer(options with { InProcess = scripts.For });
        }
        catch (ArgumentException e)
        {
            scripts.Dispose();
            throw new TerminatingCommandException(ErrorRecords.BadWorkerSettings(options.Name, e));
        }

        try
        {
            server.Start();
        }
        catch (SocketException e)
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            scripts.Dispose();
            throw new TerminatingCommandException(ErrorRecords.CannotListen(options.Bind.ToString(), e.Message));
        }

        if (options.IsInsecure)
        {
            sink.WriteWarning($"Worker '{options.Name}' serves plain TCP on {server.LocalEndPoint}, which other hosts can reach: anyone who connects can run programs as this user.");
        }

        var worker = new WorkerInfo(server, loadCertificates) { Scripts = scripts };
        registry.Add(worker);
        sink.WriteObject(worker);
        return worker;
    }

    /// <summary>Get-RepartirWorker: every worker started in this session, or those whose names match.</summary>
    public static void Get(WorkerRegistry registry, IReadOnlyList<string>? names, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        foreach (WorkerInfo worker in Resolve(registry, names, sink))
        {
            sink.WriteObject(worker);
        }
    }

    /// <summary>The workers <paramref name="names"/> select (all when null); errors for literal names with no worker.</summary>
    public static IReadOnlyList<WorkerInfo> Resolve(WorkerRegistry registry, IReadOnlyList<string>? names, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(sink);
        return NameSelection.Select(registry.All, w => w.Name, names, ErrorRecords.NoSuchWorker, sink);
    }

    /// <summary>
    /// Stop-RepartirWorker: by default each worker drains (stops accepting, lets running tasks finish and report,
    /// says goodbye); with <paramref name="force"/> running tasks are killed at once and their coordinators run them
    /// elsewhere. A stop (Ctrl+C) during a drain turns it into a forced stop and ends the command.
    /// </summary>
    public static void Stop(WorkerRegistry registry, IEnumerable<WorkerInfo> workers, bool force, ICommandSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentNullException.ThrowIfNull(sink);
        foreach (WorkerInfo worker in workers)
        {
            if (cancellationToken.IsCancellationRequested
                || !sink.ShouldProcess(worker.ToString(), force ? "Stop the worker, killing its running tasks (their pools run them elsewhere)" : "Stop the worker after its running tasks finish"))
            {
                continue;
            }

            sink.WriteVerbose($"Stopping worker {worker} ({(force ? "at once" : "draining")}, {worker.Connections} coordinators connected).");
            Halt(registry, worker, drain: !force, cancellationToken);
        }
    }

    /// <summary>Stops one worker and forgets it, saying nothing: also for after a stop, when PowerShell may no longer be written to.</summary>
    internal static void Halt(WorkerRegistry registry, WorkerInfo worker, bool drain, CancellationToken cancellationToken)
    {
        try
        {
            worker.Server.StopAsync(drain, cancellationToken).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            worker.Server.StopAsync(drain: false, CancellationToken.None).GetAwaiter().GetResult();
        }

        worker.Server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        worker.Scripts?.Dispose();
        registry.Remove(worker);
    }
}
