namespace Repartir.Tasks;

/// <summary>Where a task may run.</summary>
public enum Backend
{
    /// <summary>A process on this machine's CPUs.</summary>
    Cpu = 0,

    /// <summary>A GPU kernel (not yet available: such tasks come back Rejected).</summary>
    Gpu = 1,

    /// <summary>A remote worker daemon (not yet available: such tasks come back Rejected).</summary>
    Remote = 2,

    /// <summary>Whatever backend the pool has that fits the task; today that is the CPU.</summary>
    Auto = 3,
}
