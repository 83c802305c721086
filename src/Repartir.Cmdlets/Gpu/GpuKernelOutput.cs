namespace Repartir.Cmdlets.Gpu;

/// <summary>What Invoke-RepartirGpuKernel returns: the output buffers as typed arrays, the adapter, and the time of each phase.</summary>
/// <param name="Outputs">One typed array per output buffer, in binding order.</param>
/// <param name="Adapter">The adapter that ran the kernel.</param>
/// <param name="Upload">Writing the inputs.</param>
/// <param name="Compute">The dispatch, from submission to completion.</param>
/// <param name="Readback">Reading the outputs back.</param>
public sealed record GpuKernelOutput(IReadOnlyList<Array> Outputs, string Adapter, TimeSpan Upload, TimeSpan Compute, TimeSpan Readback)
{
    /// <summary>The first output, for the common kernel with one.</summary>
    public Array Output => Outputs[0];
}

/// <summary>The element types a kernel's buffers are read and written as.</summary>
public enum GpuValueType
{
    /// <summary>32-bit floats (WGSL f32).</summary>
    Single,

    /// <summary>32-bit signed integers (WGSL i32).</summary>
    Int32,

    /// <summary>32-bit unsigned integers (WGSL u32).</summary>
    UInt32,

    /// <summary>Raw bytes.</summary>
    Byte,
}
