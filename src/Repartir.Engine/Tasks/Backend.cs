namespace Repartir.Tasks;

/// <summary>Where a task may run.</summary>
public enum Backend
{
    /// <summary>A process on this machine's CPUs (the pool's own CPU workers only).</summary>
    Cpu = 0,

    /// <summary>
    /// A process on a node with a GPU: this machine's CPU workers while one of its GPUs is free, or a remote worker
    /// that announced GPUs; each running task gets a device of its own while devices are free (<c>CUDA_VISIBLE_DEVICES</c>).
    /// Rejected at once when no node offers one.
    /// </summary>
    Gpu = 1,

    /// <summary>A process on one of the pool's remote worker daemons only.</summary>
    Remote = 2,

    /// <summary>Whichever of the pool's workers, local CPU or remote, is free first.</summary>
    Auto = 3,
}
