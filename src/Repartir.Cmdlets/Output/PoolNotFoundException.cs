namespace Repartir.Cmdlets.Output;

/// <summary>No pool has the name a command was given.</summary>
public sealed class PoolNotFoundException : Exception
{
    /// <summary>Creates the exception for <paramref name="poolName"/>.</summary>
    public PoolNotFoundException(string poolName)
        : this(poolName, $"No Repartir pool is named '{poolName}'. Get-RepartirPool lists the pools.")
    {
    }

    /// <summary>Creates the exception for <paramref name="poolName"/> with a message of its own.</summary>
    public PoolNotFoundException(string poolName, string message)
        : base(message)
    {
        PoolName = poolName;
    }

    /// <summary>The name that matched no pool.</summary>
    public string PoolName { get; }
}
