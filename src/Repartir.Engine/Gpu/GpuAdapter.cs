namespace Repartir.Gpu;

/// <summary>A WebGPU adapter this machine offers: what it is, the limits that matter for compute, and whether it would be used.</summary>
public sealed record GpuAdapter
{
    /// <summary>Its place in discovery order, for people choosing one.</summary>
    public required int Index { get; init; }

    /// <summary>The device's name as the driver gives it, for example <c>NVIDIA H200</c> or <c>llvmpipe (LLVM 15.0.6, 256 bits)</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The vendor as the driver gives it (may be empty).</summary>
    public required string Vendor { get; init; }

    /// <summary>The driver's description (version, API); may be empty.</summary>
    public required string Driver { get; init; }

    /// <summary>The graphics API Dawn drives it through: Vulkan, OpenGLES, … or Null (never used).</summary>
    public required string Backend { get; init; }

    /// <summary>Discrete, integrated, a CPU (software) adapter, or unknown.</summary>
    public required GpuAdapterType Type { get; init; }

    /// <summary>The PCI vendor id (0x10de for NVIDIA); 0 when none.</summary>
    public required uint VendorId { get; init; }

    /// <summary>The PCI device id; 0 when none.</summary>
    public required uint DeviceId { get; init; }

    /// <summary>The limits compute work runs into.</summary>
    public required GpuLimits Limits { get; init; }

    /// <summary>Why the adapter is never used (the Null backend computes nothing); <c>null</c> when it can be.</summary>
    public string? Unusable { get; init; }

    /// <summary>True when it can run work.</summary>
    public bool Usable => Unusable is null;

    /// <summary>True for the adapter work goes to: the best usable one (discrete, integrated, then CPU; Vulkan before OpenGL ES).</summary>
    public bool Chosen { get; init; }
}

/// <summary>The kinds of adapter, best first.</summary>
public enum GpuAdapterType
{
    /// <summary>A GPU of its own.</summary>
    Discrete = 1,

    /// <summary>A GPU sharing the CPU's memory.</summary>
    Integrated = 2,

    /// <summary>A software rasterizer running on the CPU (llvmpipe, lavapipe, SwiftShader).</summary>
    Cpu = 3,

    /// <summary>The driver did not say.</summary>
    Unknown = 4,
}

/// <summary>The limits of an adapter that compute work runs into (the device is opened with them all).</summary>
/// <param name="MaxBufferSize">The largest buffer, in bytes.</param>
/// <param name="MaxStorageBufferBindingSize">The largest buffer one binding may see, in bytes.</param>
/// <param name="MaxStorageBuffersPerShaderStage">How many storage buffers (inputs plus outputs) one kernel may bind.</param>
/// <param name="MaxComputeInvocationsPerWorkgroup">The largest workgroup, in invocations.</param>
/// <param name="MaxComputeWorkgroupSizeX">The largest workgroup size along x.</param>
/// <param name="MaxComputeWorkgroupsPerDimension">The most workgroups one dispatch may have along each dimension.</param>
/// <param name="MaxComputeWorkgroupStorageSize">Workgroup (shared) memory, in bytes.</param>
public sealed record GpuLimits(
    ulong MaxBufferSize,
    ulong MaxStorageBufferBindingSize,
    uint MaxStorageBuffersPerShaderStage,
    uint MaxComputeInvocationsPerWorkgroup,
    uint MaxComputeWorkgroupSizeX,
    uint MaxComputeWorkgroupsPerDimension,
    uint MaxComputeWorkgroupStorageSize);
