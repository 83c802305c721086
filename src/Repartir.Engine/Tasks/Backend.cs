namespace Repartir.Tasks;

/// <summary>Where a task may run.</summary>
public enum Backend
{
    /// <summary>A process on this machine's CPUs (the pool's own CPU workers only).</summary>
    Cpu = 0,

    /// <summary>A GPU kernel (not yet available: such tasks come back Rejected).</summary>
    Gpu = 1,

    /// <summary>A process on one of the pool's remote worker daemons only.</summary>
    Remote = 2,

    /// <summary>Whichever of the pool's workers, local CPU or remote, is free first.</summary>
    Auto = 3,
}
