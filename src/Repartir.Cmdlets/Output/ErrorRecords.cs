using System.Management.Automation;

namespace Repartir.Cmdlets.Output;

/// <summary>The one factory for Repartir's error records and their stable ids.</summary>
public static class ErrorRecords
{
    /// <summary>No pool has the given name.</summary>
    public const string PoolNotFound = "PoolNotFound";

    /// <summary>A pool with the given name already exists.</summary>
    public const string PoolExists = "PoolExists";

    /// <summary>A placeholder in -ArgumentList could not be filled from the input item.</summary>
    public const string ArgumentExpansionFailed = "ArgumentExpansionFailed";

    /// <summary>The task's parameters are invalid (the message names the field).</summary>
    public const string InvalidTask = "InvalidTask";

    /// <summary>Wait-RepartirTask ran out of time before the task finished.</summary>
    public const string WaitTimedOut = "WaitTimedOut";

    /// <summary>A pool could not be created with the given settings.</summary>
    public const string InvalidPoolSettings = "InvalidPoolSettings";

    /// <summary>The worker's address cannot be listened on (in use, or not an address of this machine).</summary>
    public const string WorkerBindFailed = "WorkerBindFailed";

    /// <summary>A worker could not be created with the given settings.</summary>
    public const string InvalidWorkerSettings = "InvalidWorkerSettings";

    /// <summary>No worker started in this session has the given name.</summary>
    public const string WorkerNotFound = "WorkerNotFound";

    /// <summary>A remote worker address is malformed, cannot be resolved, or the pool already has it.</summary>
    public const string InvalidWorkerAddress = "InvalidWorkerAddress";

    /// <summary>The pool has no remote worker at the given address.</summary>
    public const string RemoteWorkerNotFound = "RemoteWorkerNotFound";

    /// <summary>The worker cannot be removed: it is the last place the pool can run tasks.</summary>
    public const string LastWorker = "LastWorker";

    /// <summary>Converts a sink error into the record PowerShell shows.</summary>
    public static ErrorRecord From(CommandError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new ErrorRecord(error.Exception, error.ErrorId, error.Category, error.Target);
    }

    /// <summary>A terminating or non-terminating "no such pool" error.</summary>
    public static CommandError NoSuchPool(string name) =>
        new(PoolNotFound, ErrorCategory.ObjectNotFound, new PoolNotFoundException(name), name);

    /// <summary>A non-terminating "no such worker" error.</summary>
    public static CommandError NoSuchWorker(string name) =>
        new(WorkerNotFound, ErrorCategory.ObjectNotFound, new WorkerNotFoundException(name), name);
}
