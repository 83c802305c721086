namespace Repartir.Cmdlets.Output;

/// <summary>No worker started in this session has the name a command was given.</summary>
public sealed class WorkerNotFoundException(string workerName)
    : Exception($"No Repartir worker started in this session is named '{workerName}'. Start-RepartirWorker starts one.")
{
    /// <summary>The name that matched no worker.</summary>
    public string WorkerName { get; } = workerName;
}
