namespace Repartir.Cmdlets.Output;

/// <summary>A pool has no remote worker at the address a command was given.</summary>
public sealed class RemoteWorkerNotFoundException : Exception
{
    /// <summary>Creates the exception for <paramref name="address"/> in <paramref name="poolName"/>.</summary>
    public RemoteWorkerNotFoundException(string poolName, string address)
        : base($"Pool '{poolName}' has no remote worker at '{address}'. Get-RepartirWorker -Pool {poolName} lists them.")
    {
        PoolName = poolName;
        Address = address;
    }

    /// <summary>The pool that was searched.</summary>
    public string PoolName { get; }

    /// <summary>The address that matched no worker.</summary>
    public string Address { get; }
}
