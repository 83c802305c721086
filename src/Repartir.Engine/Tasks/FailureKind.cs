namespace Repartir.Tasks;

/// <summary>Why a task did not end with an exit code of its own. <see cref="None"/> when it did.</summary>
public enum FailureKind
{
    /// <summary>The process ran and exited; its exit code says how it went.</summary>
    None = 0,

    /// <summary>The executable does not exist (on PATH, or at the given path).</summary>
    NotFound,

    /// <summary>The executable exists but may not be executed (permissions, not a program, a directory).</summary>
    NotExecutable,

    /// <summary>The task ran past its timeout and its process tree was killed.</summary>
    TimedOut,

    /// <summary>The task was cancelled, before it started or while it ran (its process tree was killed).</summary>
    Cancelled,

    /// <summary>The operating system refused to start the process (resources, limits, a bad working directory).</summary>
    SpawnFailed,

    /// <summary>The pool refused the task (queue full, shutting down, or a backend it does not have).</summary>
    Rejected,

    /// <summary>The process was ended by a signal it did not handle (see <see cref="TaskResult.Signal"/>).</summary>
    Signaled,

    /// <summary>The worker running the task was lost, or stopped before the task finished (remote workers).</summary>
    WorkerLost,

    /// <summary>
    /// No worker could take the task within the pool's placement timeout: the only workers that may run it were
    /// unreachable, offline or draining the whole time (see <see cref="Scheduling.PoolOptions.PlacementTimeout"/>).
    /// </summary>
    NoWorker,

    /// <summary>
    /// A GPU kernel task could not run: no usable GPU or WebGPU library, WGSL that does not compile, a request beyond
    /// one of the device's limits, or a device that failed or was lost (the message says which).
    /// </summary>
    GpuFailed,

    /// <summary>In-process work (a PowerShell script block) failed: it threw, or its script had a terminating error.</summary>
    WorkFailed,
}
