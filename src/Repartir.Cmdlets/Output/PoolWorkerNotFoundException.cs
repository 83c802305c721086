namespace Repartir.Cmdlets.Output;

/// <summary>No worker of the searched pools has the address (or name) a command was given.</summary>
public sealed class PoolWorkerNotFoundException : Exception
{
    /// <summary>Creates the exception for <paramref name="endpoint"/>, searched for in <paramref name="poolNames"/>.</summary>
    public PoolWorkerNotFoundException(string endpoint, IReadOnlyList<string> poolNames)
        : base(poolNames is [string pool]
            ? $"Pool '{pool}' has no worker at '{endpoint}'. Get-RepartirPoolWorker -Pool {pool} lists them."
            : $"No pool has a worker at '{endpoint}'. Get-RepartirPoolWorker lists them.")
    {
        Endpoint = endpoint;
        PoolNames = poolNames;
    }

    /// <summary>The address (or worker name) that matched nothing.</summary>
    public string Endpoint { get; }

    /// <summary>The pools that were searched.</summary>
    public IReadOnlyList<string> PoolNames { get; }
}
