namespace Repartir.Cmdlets.Output;

/// <summary>No remote worker of the searched pools has the address (or name) a command was given.</summary>
public sealed class RemoteWorkerNotFoundException : Exception
{
    /// <summary>Creates the exception for <paramref name="address"/>, searched for in <paramref name="poolNames"/>.</summary>
    public RemoteWorkerNotFoundException(string address, IReadOnlyList<string> poolNames)
        : base(poolNames is [string pool]
            ? $"Pool '{pool}' has no remote worker at '{address}'. Get-RepartirWorker -Pool {pool} lists them."
            : $"No pool has a remote worker at '{address}'. Get-RepartirWorker lists them.")
    {
        Address = address;
        PoolNames = poolNames;
    }

    /// <summary>The address (or worker name) that matched nothing.</summary>
    public string Address { get; }

    /// <summary>The pools that were searched.</summary>
    public IReadOnlyList<string> PoolNames { get; }
}
