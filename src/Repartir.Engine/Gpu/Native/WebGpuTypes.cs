using System.Runtime.InteropServices;

namespace Repartir.Gpu.Native;

// The compute subset of webgpu.h as the Dawn build from bun-webgpu-linux-x64@0.1.7 lays it out (upstream headers of
// mid-2025, with the differences ENVIRONMENT.md lists). Sequential layout gives C's natural alignment on x64 Linux.
// Handles are nint; a struct passed by value is passed by value here too.

#pragma warning disable CA1028, CA1008, CA1707, CA1815 // the C enums' own types, zero values and names; plain interop structs

internal enum WGPUBackendType : uint
{
    Undefined = 0,
    Null = 1,
    WebGPU = 2,
    D3D11 = 3,
    D3D12 = 4,
    Metal = 5,
    Vulkan = 6,
    OpenGL = 7,
    OpenGLES = 8,
}

internal enum WGPUAdapterType : uint
{
    DiscreteGPU = 1,
    IntegratedGPU = 2,
    CPU = 3,
    Unknown = 4,
}

internal enum WGPUFeatureLevel : uint
{
    Undefined = 0,
    Compatibility = 1,
    Core = 2,
}

internal enum WGPUPowerPreference : uint
{
    Undefined = 0,
    LowPower = 1,
    HighPerformance = 2,
}

internal enum WGPUCallbackMode : uint
{
    WaitAnyOnly = 1,
    AllowProcessEvents = 2,
    AllowSpontaneous = 3,
}

internal enum WGPUWaitStatus : uint
{
    Success = 1,
    TimedOut = 2,
    Error = 3,
}

internal enum WGPUErrorFilter : uint
{
    Validation = 1,
    OutOfMemory = 2,
    Internal = 3,
}

internal enum WGPUErrorType : uint
{
    NoError = 1,
    Validation = 2,
    OutOfMemory = 3,
    Internal = 4,
    Unknown = 5,
}

[Flags]
internal enum WGPUBufferUsage : ulong
{
    None = 0,
    MapRead = 0x1,
    MapWrite = 0x2,
    CopySrc = 0x4,
    CopyDst = 0x8,
    Uniform = 0x40,
    Storage = 0x80,
}

internal static class WGPUConstants
{
    /// <summary>A <see cref="WGPUStringView.Length"/> meaning "up to the NUL".</summary>
    public static readonly nuint Strlen = nuint.MaxValue;

    public const uint StatusSuccess = 1;
    public const uint STypeShaderSourceWGSL = 0x2;
    public const ulong MapModeRead = 0x1;
    public static readonly nuint WholeMapSize = nuint.MaxValue;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUStringView
{
    public byte* Data;
    public nuint Length;

    public override readonly string ToString() => Data is null ? string.Empty
        : Length == WGPUConstants.Strlen ? Marshal.PtrToStringUTF8((nint)Data) ?? string.Empty
        : System.Text.Encoding.UTF8.GetString(Data, checked((int)Length));
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUChainedStruct
{
    public WGPUChainedStruct* Next;
    public uint SType;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUInstanceCapabilities
{
    public void* NextInChain;
    public uint TimedWaitAnyEnable;
    public nuint TimedWaitAnyMaxCount;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUInstanceDescriptor
{
    public void* NextInChain;
    public WGPUInstanceCapabilities Capabilities;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPURequestAdapterOptions
{
    public void* NextInChain;
    public WGPUFeatureLevel FeatureLevel;
    public WGPUPowerPreference PowerPreference;
    public uint ForceFallbackAdapter;
    public WGPUBackendType BackendType;
    public nint CompatibleSurface;
}

/// <summary>Every <c>*CallbackInfo</c> of the API: 40 bytes, the callback's own signature varies.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUCallbackInfo
{
    public void* NextInChain;
    public WGPUCallbackMode Mode;
    public void* Callback;
    public void* Userdata1;
    public void* Userdata2;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUUncapturedErrorCallbackInfo
{
    public void* NextInChain;
    public void* Callback;
    public void* Userdata1;
    public void* Userdata2;
}

[StructLayout(LayoutKind.Sequential)]
internal struct WGPUFuture
{
    public ulong Id;
}

[StructLayout(LayoutKind.Sequential)]
internal struct WGPUFutureWaitInfo
{
    public WGPUFuture Future;
    public uint Completed;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUAdapterInfo
{
    public void* NextInChain;
    public WGPUStringView Vendor;
    public WGPUStringView Architecture;
    public WGPUStringView Device;
    public WGPUStringView Description;
    public WGPUBackendType BackendType;
    public WGPUAdapterType AdapterType;
    public uint VendorId;
    public uint DeviceId;
    public uint SubgroupMinSize;
    public uint SubgroupMaxSize;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPULimits
{
    public void* NextInChain;
    public uint MaxTextureDimension1D;
    public uint MaxTextureDimension2D;
    public uint MaxTextureDimension3D;
    public uint MaxTextureArrayLayers;
    public uint MaxBindGroups;
    public uint MaxBindGroupsPlusVertexBuffers;
    public uint MaxBindingsPerBindGroup;
    public uint MaxDynamicUniformBuffersPerPipelineLayout;
    public uint MaxDynamicStorageBuffersPerPipelineLayout;
    public uint MaxSampledTexturesPerShaderStage;
    public uint MaxSamplersPerShaderStage;
    public uint MaxStorageBuffersPerShaderStage;
    public uint MaxStorageTexturesPerShaderStage;
    public uint MaxUniformBuffersPerShaderStage;
    public ulong MaxUniformBufferBindingSize;
    public ulong MaxStorageBufferBindingSize;
    public uint MinUniformBufferOffsetAlignment;
    public uint MinStorageBufferOffsetAlignment;
    public uint MaxVertexBuffers;
    public ulong MaxBufferSize;
    public uint MaxVertexAttributes;
    public uint MaxVertexBufferArrayStride;
    public uint MaxInterStageShaderVariables;
    public uint MaxColorAttachments;
    public uint MaxColorAttachmentBytesPerSample;
    public uint MaxComputeWorkgroupStorageSize;
    public uint MaxComputeInvocationsPerWorkgroup;
    public uint MaxComputeWorkgroupSizeX;
    public uint MaxComputeWorkgroupSizeY;
    public uint MaxComputeWorkgroupSizeZ;
    public uint MaxComputeWorkgroupsPerDimension;
    public uint MaxImmediateSize;
    public uint MaxStorageBuffersInVertexStage;
    public uint MaxStorageTexturesInVertexStage;
    public uint MaxStorageBuffersInFragmentStage;
    public uint MaxStorageTexturesInFragmentStage;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUQueueDescriptor
{
    public void* NextInChain;
    public WGPUStringView Label;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUDeviceDescriptor
{
    public void* NextInChain;
    public WGPUStringView Label;
    public nuint RequiredFeatureCount;
    public uint* RequiredFeatures;
    public WGPULimits* RequiredLimits;
    public WGPUQueueDescriptor DefaultQueue;
    public WGPUCallbackInfo DeviceLostCallbackInfo;
    public WGPUUncapturedErrorCallbackInfo UncapturedErrorCallbackInfo;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUBufferDescriptor
{
    public void* NextInChain;
    public WGPUStringView Label;
    public WGPUBufferUsage Usage;
    public ulong Size;
    public uint MappedAtCreation;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUShaderSourceWGSL
{
    public WGPUChainedStruct Chain;
    public WGPUStringView Code;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUShaderModuleDescriptor
{
    public WGPUChainedStruct* NextInChain;
    public WGPUStringView Label;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUComputeState
{
    public void* NextInChain;
    public nint Module;
    public WGPUStringView EntryPoint;
    public nuint ConstantCount;
    public void* Constants;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUComputePipelineDescriptor
{
    public void* NextInChain;
    public WGPUStringView Label;
    public nint Layout;
    public WGPUComputeState Compute;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUBindGroupEntry
{
    public void* NextInChain;
    public uint Binding;
    public nint Buffer;
    public ulong Offset;
    public ulong Size;
    public nint Sampler;
    public nint TextureView;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUBindGroupDescriptor
{
    public void* NextInChain;
    public WGPUStringView Label;
    public nint Layout;
    public nuint EntryCount;
    public WGPUBindGroupEntry* Entries;
}

/// <summary>The descriptor of a command encoder, a command buffer and (without timestamps) a compute pass alike.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPULabelDescriptor
{
    public void* NextInChain;
    public WGPUStringView Label;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUComputePassDescriptor
{
    public void* NextInChain;
    public WGPUStringView Label;
    public void* TimestampWrites;
}
