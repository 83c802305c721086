namespace Repartir.Gpu;

/// <summary>GPU work could not be done: no library, no usable adapter, a shader that does not compile, a request beyond the device's limits, a lost device.</summary>
public sealed class GpuException : Exception
{
    /// <summary>Creates the exception.</summary>
    public GpuException(GpuProblem problem, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Problem = problem;
    }

    /// <summary>What went wrong, for callers that react differently (an error id, an exit code).</summary>
    public GpuProblem Problem { get; }
}

/// <summary>The kinds of <see cref="GpuException"/>.</summary>
public enum GpuProblem
{
    /// <summary>The WebGPU library is not where it was looked for, or is not a WebGPU implementation.</summary>
    LibraryMissing,

    /// <summary>No adapter can compute: none found, or only Dawn's Null backend, which computes nothing.</summary>
    NoUsableGpu,

    /// <summary>The WGSL did not compile or the pipeline was refused; the message is the compiler's, with line and column.</summary>
    InvalidShader,

    /// <summary>The request exceeds one of the device's limits, which the message names.</summary>
    LimitExceeded,

    /// <summary>The kernel itself is malformed: no inputs or outputs, a zero workgroup count, an unaligned size.</summary>
    InvalidKernel,

    /// <summary>The device was lost (driver reset, destroyed); the next call opens a new one.</summary>
    DeviceLost,

    /// <summary>The device reported an error while running the work (validation, out of memory, internal).</summary>
    Failed,
}
