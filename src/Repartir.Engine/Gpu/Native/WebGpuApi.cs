using System.Runtime.InteropServices;

namespace Repartir.Gpu.Native;

/// <summary>
/// The entry points of the WebGPU C API that compute work needs, resolved once from a loaded library. Resolving them
/// all up front means a library that lacks one fails at load, by name, not in the middle of a dispatch.
/// </summary>
#pragma warning disable CA1051, SA1401 // the entry points are fields: calls through them are the whole point
internal sealed unsafe class WebGpuApi
{
    public readonly delegate* unmanaged<WGPUInstanceDescriptor*, nint> CreateInstance;
    public readonly delegate* unmanaged<nint, WGPURequestAdapterOptions*, WGPUCallbackInfo, WGPUFuture> InstanceRequestAdapter;
    public readonly delegate* unmanaged<nint, nuint, WGPUFutureWaitInfo*, ulong, WGPUWaitStatus> InstanceWaitAny;
    public readonly delegate* unmanaged<nint, void> InstanceProcessEvents;
    public readonly delegate* unmanaged<nint, void> InstanceRelease;
    public readonly delegate* unmanaged<nint, WGPUAdapterInfo*, uint> AdapterGetInfo;
    public readonly delegate* unmanaged<WGPUAdapterInfo, void> AdapterInfoFreeMembers;
    public readonly delegate* unmanaged<nint, WGPULimits*, uint> AdapterGetLimits;
    public readonly delegate* unmanaged<nint, WGPUDeviceDescriptor*, WGPUCallbackInfo, WGPUFuture> AdapterRequestDevice;
    public readonly delegate* unmanaged<nint, void> AdapterRelease;
    public readonly delegate* unmanaged<nint, WGPULimits*, uint> DeviceGetLimits;
    public readonly delegate* unmanaged<nint, nint> DeviceGetQueue;
    public readonly delegate* unmanaged<nint, WGPUBufferDescriptor*, nint> DeviceCreateBuffer;
    public readonly delegate* unmanaged<nint, WGPUShaderModuleDescriptor*, nint> DeviceCreateShaderModule;
    public readonly delegate* unmanaged<nint, WGPUComputePipelineDescriptor*, nint> DeviceCreateComputePipeline;
    public readonly delegate* unmanaged<nint, WGPUBindGroupDescriptor*, nint> DeviceCreateBindGroup;
    public readonly delegate* unmanaged<nint, WGPULabelDescriptor*, nint> DeviceCreateCommandEncoder;
    public readonly delegate* unmanaged<nint, WGPUErrorFilter, void> DevicePushErrorScope;
    public readonly delegate* unmanaged<nint, WGPUCallbackInfo, WGPUFuture> DevicePopErrorScope;
    public readonly delegate* unmanaged<nint, void> DeviceDestroy;
    public readonly delegate* unmanaged<nint, void> DeviceRelease;
    public readonly delegate* unmanaged<nint, uint, nint> ComputePipelineGetBindGroupLayout;
    public readonly delegate* unmanaged<nint, void> ComputePipelineRelease;
    public readonly delegate* unmanaged<nint, void> BindGroupLayoutRelease;
    public readonly delegate* unmanaged<nint, void> BindGroupRelease;
    public readonly delegate* unmanaged<nint, void> ShaderModuleRelease;
    public readonly delegate* unmanaged<nint, WGPUComputePassDescriptor*, nint> CommandEncoderBeginComputePass;
    public readonly delegate* unmanaged<nint, nint, ulong, nint, ulong, ulong, void> CommandEncoderCopyBufferToBuffer;
    public readonly delegate* unmanaged<nint, nint, ulong, ulong, void> CommandEncoderClearBuffer;
    public readonly delegate* unmanaged<nint, WGPULabelDescriptor*, nint> CommandEncoderFinish;
    public readonly delegate* unmanaged<nint, void> CommandEncoderRelease;
    public readonly delegate* unmanaged<nint, nint, void> ComputePassEncoderSetPipeline;
    public readonly delegate* unmanaged<nint, uint, nint, nuint, uint*, void> ComputePassEncoderSetBindGroup;
    public readonly delegate* unmanaged<nint, uint, uint, uint, void> ComputePassEncoderDispatchWorkgroups;
    public readonly delegate* unmanaged<nint, void> ComputePassEncoderEnd;
    public readonly delegate* unmanaged<nint, void> ComputePassEncoderRelease;
    public readonly delegate* unmanaged<nint, void> CommandBufferRelease;
    public readonly delegate* unmanaged<nint, nuint, nint*, void> QueueSubmit;
    public readonly delegate* unmanaged<nint, nint, ulong, void*, nuint, void> QueueWriteBuffer;
    public readonly delegate* unmanaged<nint, WGPUCallbackInfo, WGPUFuture> QueueOnSubmittedWorkDone;
    public readonly delegate* unmanaged<nint, void> QueueRelease;
    public readonly delegate* unmanaged<nint, ulong, nuint, nuint, WGPUCallbackInfo, WGPUFuture> BufferMapAsync;
    public readonly delegate* unmanaged<nint, nuint, nuint, void*> BufferGetConstMappedRange;
    public readonly delegate* unmanaged<nint, void> BufferUnmap;
    public readonly delegate* unmanaged<nint, void> BufferDestroy;
    public readonly delegate* unmanaged<nint, void> BufferRelease;

    public WebGpuApi(nint library)
    {
        CreateInstance = (delegate* unmanaged<WGPUInstanceDescriptor*, nint>)Export(library, "wgpuCreateInstance");
        InstanceRequestAdapter = (delegate* unmanaged<nint, WGPURequestAdapterOptions*, WGPUCallbackInfo, WGPUFuture>)Export(library, "wgpuInstanceRequestAdapter");
        InstanceWaitAny = (delegate* unmanaged<nint, nuint, WGPUFutureWaitInfo*, ulong, WGPUWaitStatus>)Export(library, "wgpuInstanceWaitAny");
        InstanceProcessEvents = (delegate* unmanaged<nint, void>)Export(library, "wgpuInstanceProcessEvents");
        InstanceRelease = (delegate* unmanaged<nint, void>)Export(library, "wgpuInstanceRelease");
        AdapterGetInfo = (delegate* unmanaged<nint, WGPUAdapterInfo*, uint>)Export(library, "wgpuAdapterGetInfo");
        AdapterInfoFreeMembers = (delegate* unmanaged<WGPUAdapterInfo, void>)Export(library, "wgpuAdapterInfoFreeMembers");
        AdapterGetLimits = (delegate* unmanaged<nint, WGPULimits*, uint>)Export(library, "wgpuAdapterGetLimits");
        AdapterRequestDevice = (delegate* unmanaged<nint, WGPUDeviceDescriptor*, WGPUCallbackInfo, WGPUFuture>)Export(library, "wgpuAdapterRequestDevice");
        AdapterRelease = (delegate* unmanaged<nint, void>)Export(library, "wgpuAdapterRelease");
        DeviceGetLimits = (delegate* unmanaged<nint, WGPULimits*, uint>)Export(library, "wgpuDeviceGetLimits");
        DeviceGetQueue = (delegate* unmanaged<nint, nint>)Export(library, "wgpuDeviceGetQueue");
        DeviceCreateBuffer = (delegate* unmanaged<nint, WGPUBufferDescriptor*, nint>)Export(library, "wgpuDeviceCreateBuffer");
        DeviceCreateShaderModule = (delegate* unmanaged<nint, WGPUShaderModuleDescriptor*, nint>)Export(library, "wgpuDeviceCreateShaderModule");
        DeviceCreateComputePipeline = (delegate* unmanaged<nint, WGPUComputePipelineDescriptor*, nint>)Export(library, "wgpuDeviceCreateComputePipeline");
        DeviceCreateBindGroup = (delegate* unmanaged<nint, WGPUBindGroupDescriptor*, nint>)Export(library, "wgpuDeviceCreateBindGroup");
        DeviceCreateCommandEncoder = (delegate* unmanaged<nint, WGPULabelDescriptor*, nint>)Export(library, "wgpuDeviceCreateCommandEncoder");
        DevicePushErrorScope = (delegate* unmanaged<nint, WGPUErrorFilter, void>)Export(library, "wgpuDevicePushErrorScope");
        DevicePopErrorScope = (delegate* unmanaged<nint, WGPUCallbackInfo, WGPUFuture>)Export(library, "wgpuDevicePopErrorScope");
        DeviceDestroy = (delegate* unmanaged<nint, void>)Export(library, "wgpuDeviceDestroy");
        DeviceRelease = (delegate* unmanaged<nint, void>)Export(library, "wgpuDeviceRelease");
        ComputePipelineGetBindGroupLayout = (delegate* unmanaged<nint, uint, nint>)Export(library, "wgpuComputePipelineGetBindGroupLayout");
        ComputePipelineRelease = (delegate* unmanaged<nint, void>)Export(library, "wgpuComputePipelineRelease");
        BindGroupLayoutRelease = (delegate* unmanaged<nint, void>)Export(library, "wgpuBindGroupLayoutRelease");
        BindGroupRelease = (delegate* unmanaged<nint, void>)Export(library, "wgpuBindGroupRelease");
        ShaderModuleRelease = (delegate* unmanaged<nint, void>)Export(library, "wgpuShaderModuleRelease");
        CommandEncoderBeginComputePass = (delegate* unmanaged<nint, WGPUComputePassDescriptor*, nint>)Export(library, "wgpuCommandEncoderBeginComputePass");
        CommandEncoderCopyBufferToBuffer = (delegate* unmanaged<nint, nint, ulong, nint, ulong, ulong, void>)Export(library, "wgpuCommandEncoderCopyBufferToBuffer");
        CommandEncoderClearBuffer = (delegate* unmanaged<nint, nint, ulong, ulong, void>)Export(library, "wgpuCommandEncoderClearBuffer");
        CommandEncoderFinish = (delegate* unmanaged<nint, WGPULabelDescriptor*, nint>)Export(library, "wgpuCommandEncoderFinish");
        CommandEncoderRelease = (delegate* unmanaged<nint, void>)Export(library, "wgpuCommandEncoderRelease");
        ComputePassEncoderSetPipeline = (delegate* unmanaged<nint, nint, void>)Export(library, "wgpuComputePassEncoderSetPipeline");
        ComputePassEncoderSetBindGroup = (delegate* unmanaged<nint, uint, nint, nuint, uint*, void>)Export(library, "wgpuComputePassEncoderSetBindGroup");
        ComputePassEncoderDispatchWorkgroups = (delegate* unmanaged<nint, uint, uint, uint, void>)Export(library, "wgpuComputePassEncoderDispatchWorkgroups");
        ComputePassEncoderEnd = (delegate* unmanaged<nint, void>)Export(library, "wgpuComputePassEncoderEnd");
        ComputePassEncoderRelease = (delegate* unmanaged<nint, void>)Export(library, "wgpuComputePassEncoderRelease");
        CommandBufferRelease = (delegate* unmanaged<nint, void>)Export(library, "wgpuCommandBufferRelease");
        QueueSubmit = (delegate* unmanaged<nint, nuint, nint*, void>)Export(library, "wgpuQueueSubmit");
        QueueWriteBuffer = (delegate* unmanaged<nint, nint, ulong, void*, nuint, void>)Export(library, "wgpuQueueWriteBuffer");
        QueueOnSubmittedWorkDone = (delegate* unmanaged<nint, WGPUCallbackInfo, WGPUFuture>)Export(library, "wgpuQueueOnSubmittedWorkDone");
        QueueRelease = (delegate* unmanaged<nint, void>)Export(library, "wgpuQueueRelease");
        BufferMapAsync = (delegate* unmanaged<nint, ulong, nuint, nuint, WGPUCallbackInfo, WGPUFuture>)Export(library, "wgpuBufferMapAsync");
        BufferGetConstMappedRange = (delegate* unmanaged<nint, nuint, nuint, void*>)Export(library, "wgpuBufferGetConstMappedRange");
        BufferUnmap = (delegate* unmanaged<nint, void>)Export(library, "wgpuBufferUnmap");
        BufferDestroy = (delegate* unmanaged<nint, void>)Export(library, "wgpuBufferDestroy");
        BufferRelease = (delegate* unmanaged<nint, void>)Export(library, "wgpuBufferRelease");
    }

    private static void* Export(nint library, string name) =>
        NativeLibrary.TryGetExport(library, name, out nint address)
            ? (void*)address
            : throw new EntryPointNotFoundException($"The WebGPU library has no {name}: it is not an implementation of the standard C API this build uses.");
}
