using System.Collections.Concurrent;

namespace Repartir.Cmdlets.Workers;

/// <summary>The worker daemons started in this PowerShell process, by endpoint.</summary>
public sealed class WorkerRegistry
{
    private readonly ConcurrentDictionary<string, WorkerInfo> _workers = new(StringComparer.Ordinal);

    /// <summary>The registry of this process, shared by the module's cmdlets.</summary>
    public static WorkerRegistry Process { get; } = new();

    /// <summary>Every running worker, by name then endpoint.</summary>
    public IReadOnlyList<WorkerInfo> All => _workers.Values.OrderBy(w => w.Name, StringComparer.OrdinalIgnoreCase).ThenBy(w => w.Endpoint, StringComparer.Ordinal).ToArray();

    internal void Add(WorkerInfo worker) => _workers[worker.Endpoint] = worker;

    internal void Remove(WorkerInfo worker) => _workers.TryRemove(worker.Endpoint, out _);

    /// <summary>Stops every worker at once (running tasks are killed; their coordinators run them elsewhere) and forgets them.</summary>
    public void StopAll()
    {
        foreach (WorkerInfo worker in All)
        {
            WorkerCommands.Halt(this, worker, drain: false, CancellationToken.None);
        }
    }
}
