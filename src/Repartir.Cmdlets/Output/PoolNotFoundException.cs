namespace Repartir.Cmdlets.Output;

/// <summary>No pool has the name a command was given.</summary>
public sealed class PoolNotFoundException : Exception
{
    /// <summary>Creates the exception for <paramref name="poolName"/>.</summary>
    public PoolNotFoundException(string poolName)
        : base($"No Repartir pool is named '{poolName}'. Get-RepartirPool lists the pools.")
    {
        PoolName = poolName;
    }

    /// <summary>The name that matched no pool.</summary>
    public string PoolName { get; }
}
