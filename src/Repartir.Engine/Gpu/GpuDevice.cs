using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Repartir.Gpu.Native;

namespace Repartir.Gpu;

/// <summary>
/// One open WebGPU device and its queue. Every call runs on the one GPU thread (<see cref="GpuThread"/>), which
/// serialises them (WebGPU devices are not for concurrent use, and an OpenGL ES device is bound to its thread); compiled pipelines are cached by shader and entry point, and storage and readback buffers are
/// pooled by size, so a repeated kernel compiles once and allocates nothing. Upload, dispatch and the copy to the
/// readback buffers go in one submission, so the queue overlaps them as far as the driver allows.
/// </summary>
/// <remarks>
/// A lost device (driver reset, <see cref="SimulateLoss"/>) fails the call in flight with
/// <see cref="GpuProblem.DeviceLost"/>; <see cref="GpuExecutor"/> opens a new device on its next call.
/// </remarks>
public sealed unsafe class GpuDevice : IDisposable
{
    private const int MaxCachedPrograms = 64;
    private const long MaxPooledBytes = 1L << 30;
    private static readonly TimeSpan WaitSlice = TimeSpan.FromMilliseconds(100);

    private readonly WebGpuApi _api;
    private readonly nint _instance;
    private readonly Dictionary<string, Program> _programs = new(StringComparer.Ordinal);
    private readonly Dictionary<(bool Readback, long Capacity), Stack<nint>> _pool = [];
    private readonly DeviceEvents _events = new();
    private readonly WGPULimits _limits;
    private long _pooledBytes;
    private nint _device;
    private readonly nint _queue;

    internal GpuDevice(WebGpuApi api, nint instance, nint adapter, WGPULimits adapterLimits, GpuAdapter info)
    {
        _api = api;
        _instance = instance;
        Adapter = info;
        WGPULimits required = adapterLimits;
        required.NextInChain = null;
        var descriptor = new WGPUDeviceDescriptor
        {
            RequiredLimits = &required,
            DeviceLostCallbackInfo = new WGPUCallbackInfo
            {
                Mode = WGPUCallbackMode.AllowSpontaneous,
                Callback = (delegate* unmanaged<nint*, uint, WGPUStringView, void*, void*, void>)&OnDeviceLost,
                Userdata1 = (void*)_events.Pointer,
            },
            UncapturedErrorCallbackInfo = new WGPUUncapturedErrorCallbackInfo
            {
                Callback = (delegate* unmanaged<nint*, uint, WGPUStringView, void*, void*, void>)&OnUncapturedError,
                Userdata1 = (void*)_events.Pointer,
            },
        };
        using var outcome = new CallbackOutcome();
        WGPUFuture future = api.AdapterRequestDevice(adapter, &descriptor, outcome.Info(CallbackOutcome.WithHandle));
        if (!GpuRuntime.Wait(api, instance, future, TimeSpan.FromSeconds(30)) || outcome.Status != WGPUConstants.StatusSuccess || outcome.Handle == 0)
        {
            _events.Dispose();
            throw new GpuException(GpuProblem.NoUsableGpu, $"{info.Name} ({info.Backend}) refused to open a device: {(outcome.Called ? outcome.Message : "no answer in 30 s")}");
        }

        _device = outcome.Handle;
        _queue = api.DeviceGetQueue(_device);
        WGPULimits granted = default;
        _limits = api.DeviceGetLimits(_device, &granted) == WGPUConstants.StatusSuccess ? granted : adapterLimits;
    }

    /// <summary>The adapter the device is on.</summary>
    public GpuAdapter Adapter { get; }

    /// <summary>True once the device was lost; every later call fails with <see cref="GpuProblem.DeviceLost"/>.</summary>
    public bool IsLost => _events.Lost is not null;

    /// <summary>Why the device was lost, as the driver said; <c>null</c> while it is not.</summary>
    public string? LossReason => _events.Lost;

    /// <summary>Runs <paramref name="kernel"/>: uploads its inputs, dispatches it once, reads its outputs back.</summary>
    /// <exception cref="GpuException">The kernel is malformed, beyond a limit, does not compile, or the device failed or was lost.</exception>
    public GpuKernelResult Run(GpuKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        kernel.Validate();
        return GpuThread.Run(() => RunLocked(kernel));
    }

    /// <summary>A storage buffer of <paramref name="bytes"/> bytes on the device, zeroed, for chains of dispatches.</summary>
    /// <exception cref="GpuException">Beyond the device's buffer limits (<see cref="GpuProblem.LimitExceeded"/>), or the device was lost.</exception>
    public GpuBuffer CreateBuffer(long bytes) => GpuThread.Run(() =>
    {
        ThrowIfLost();
        GpuBuffer buffer = Allocate(bytes, "The buffer");
        ClearLocked(buffer);
        return buffer;
    });

    /// <summary>Copies <paramref name="data"/> into <paramref name="buffer"/> from its start.</summary>
    public void Write(GpuBuffer buffer, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        fixed (byte* pointer = data)
        {
            // The caller waits for the GPU thread, so the pinned span outlives the call.
            nint address = (nint)pointer;
            int length = data.Length;
            GpuThread.Run(() =>
            {
                ThrowIfLost();
                WriteLocked(buffer, new ReadOnlySpan<byte>((void*)address, length));
            });
        }
    }

    /// <summary>Copies the start of <paramref name="buffer"/> into <paramref name="destination"/>, waiting for the work before it.</summary>
    public void Read(GpuBuffer buffer, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        fixed (byte* pointer = destination)
        {
            nint address = (nint)pointer;
            int length = destination.Length;
            GpuThread.Run(() =>
            {
                ThrowIfLost();
                ReadLocked(buffer, new Span<byte>((void*)address, length));
            });
        }
    }

    /// <summary>Dispatches the shader's entry point over <paramref name="bindings"/> (bindings 0, 1, … of group 0), <paramref name="repeat"/> times in one submission, and waits for it.</summary>
    public void Dispatch(string shader, string entryPoint, IReadOnlyList<GpuBuffer> bindings, GpuWorkgroups workgroups, int repeat = 1) => GpuThread.Run(() =>
    {
        Enqueue(shader, entryPoint, bindings, workgroups, repeat);
        FinishLocked();
    });

    /// <summary>Waits until the work submitted so far has finished.</summary>
    public void Finish() => GpuThread.Run(() =>
    {
        ThrowIfLost();
        FinishLocked();
    });

    /// <summary>Submits a dispatch without waiting for it: a later <see cref="Read"/> or <see cref="Finish"/> waits, in queue order.</summary>
    internal void Enqueue(string shader, string entryPoint, IReadOnlyList<GpuBuffer> bindings, GpuWorkgroups workgroups, int repeat = 1)
    {
        ArgumentNullException.ThrowIfNull(bindings);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeat, 1);
        workgroups.Validate();
        GpuThread.Run(() =>
        {
            ThrowIfLost();
            CheckBindings(bindings.Count);
            CheckWorkgroups(workgroups);
            DispatchLocked(Compile(shader, entryPoint), bindings, workgroups, repeat, clear: []);
        });
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> on the device, <paramref name="repeat"/> times, and waits (the device's copy bandwidth).</summary>
    public void Copy(GpuBuffer source, GpuBuffer destination, int repeat = 1)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        GpuThread.Run(() =>
        {
            ThrowIfLost();
            long bytes = Math.Min(source.Size, destination.Size);
            nint encoder = _api.DeviceCreateCommandEncoder(_device, null);
            for (int i = 0; i < repeat; i++)
            {
                _api.CommandEncoderCopyBufferToBuffer(encoder, source.Handle, 0, destination.Handle, 0, (ulong)bytes);
            }

            SubmitLocked(encoder);
            FinishLocked();
        });
    }

    /// <summary>Destroys the device as a driver reset would, so tests can see the loss reported and recovered from.</summary>
    public void SimulateLoss() => GpuThread.Run(() =>
    {
        _api.DeviceDestroy(_device);
        _api.InstanceProcessEvents(_instance);
    });

    /// <inheritdoc />
    public void Dispose() => GpuThread.Run(() =>
    {
        if (_device == 0)
        {
            return;
        }

        foreach (Program program in _programs.Values)
        {
            program.Release(_api);
        }

        _programs.Clear();
        foreach (((bool _, long _), Stack<nint> stack) in _pool)
        {
            foreach (nint buffer in stack)
            {
                _api.BufferRelease(buffer);
            }
        }

        _pool.Clear();
        _api.QueueRelease(_queue);
        _api.DeviceRelease(_device);
        _device = 0;
        _api.InstanceProcessEvents(_instance);
        _events.Dispose();
    });

    /// <summary>Takes back a buffer a <see cref="GpuBuffer"/> was done with: pooled, or released when the device is gone or lost (a lost device's buffers are never reused) or the pool is full.</summary>
    internal void Recycle(nint handle, long capacity) => GpuThread.Run(() =>
    {
        if (_device == 0 || IsLost || _pooledBytes + capacity > MaxPooledBytes)
        {
            _api.BufferRelease(handle);
            return;
        }

        PoolFor(readback: false, capacity).Push(handle);
        _pooledBytes += capacity;
    });

    private static long Align4(long bytes) => (bytes + 3) & ~3L;

    /// <summary>Pool size classes: powers of two up to 1 MiB, then steps of an eighth of the power of two below, so little is wasted on large buffers.</summary>
    private static long CapacityFor(long bytes)
    {
        long size = Math.Max(256, Align4(bytes));
        long power = 1L << (63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)size));
        if (power == size || size <= 1 << 20)
        {
            return power == size ? size : power << 1;
        }

        long step = power / 8;
        return (size + step - 1) / step * step;
    }

    [UnmanagedCallersOnly]
    private static void OnDeviceLost(nint* device, uint reason, WGPUStringView message, void* userdata1, void* userdata2) =>
        DeviceEvents.From(userdata1).Lost = $"{(reason == 2 ? "destroyed" : reason == 3 ? "callback cancelled" : reason == 4 ? "failed to create" : "lost")}: {message}";

    [UnmanagedCallersOnly]
    private static void OnUncapturedError(nint* device, uint type, WGPUStringView message, void* userdata1, void* userdata2) =>
        DeviceEvents.From(userdata1).LastError = message.ToString();

    private GpuKernelResult RunLocked(GpuKernel kernel)
    {
        ThrowIfLost();
        CheckBindings(kernel.Inputs.Count + kernel.OutputSizes.Count);
        CheckWorkgroups(kernel.Workgroups);
        var buffers = new List<GpuBuffer>(kernel.Inputs.Count + kernel.OutputSizes.Count);
        try
        {
            Program program = Compile(kernel.Shader, kernel.EntryPoint);
            long clock = Stopwatch.GetTimestamp();
            for (int i = 0; i < kernel.Inputs.Count; i++)
            {
                GpuBuffer input = Allocate(kernel.Inputs[i].Length, $"Input {i} (binding {i})");
                buffers.Add(input);
                WriteLocked(input, kernel.Inputs[i].Span);
            }

            for (int i = 0; i < kernel.OutputSizes.Count; i++)
            {
                buffers.Add(Allocate(kernel.OutputSizes[i], $"Output {i} (binding {kernel.Inputs.Count + i})"));
            }

            TimeSpan upload = Stopwatch.GetElapsedTime(clock);
            clock = Stopwatch.GetTimestamp();
            GpuBuffer[] outputs = buffers.Skip(kernel.Inputs.Count).ToArray();
            DispatchLocked(program, buffers, kernel.Workgroups, 1, clear: outputs);
            FinishLocked();
            TimeSpan compute = Stopwatch.GetElapsedTime(clock);
            clock = Stopwatch.GetTimestamp();
            var results = new byte[outputs.Length][];
            for (int i = 0; i < outputs.Length; i++)
            {
                results[i] = new byte[kernel.OutputSizes[i]];
                ReadLocked(outputs[i], results[i]);
            }

            return new GpuKernelResult(results, Adapter.Name, upload, compute, Stopwatch.GetElapsedTime(clock));
        }
        finally
        {
            foreach (GpuBuffer buffer in buffers)
            {
                buffer.Dispose();
            }
        }
    }

    private void ThrowIfLost()
    {
        ObjectDisposedException.ThrowIf(_device == 0, this);
        _api.InstanceProcessEvents(_instance);
        if (_events.Lost is { } reason)
        {
            throw new GpuException(GpuProblem.DeviceLost, $"The GPU device on {Adapter.Name} was lost ({reason}); the next call opens a new one.");
        }
    }

    private void CheckBindings(int count)
    {
        if (count > _limits.MaxStorageBuffersPerShaderStage)
        {
            throw new GpuException(GpuProblem.LimitExceeded, $"The kernel binds {count} buffers; {Adapter.Name} allows {_limits.MaxStorageBuffersPerShaderStage} (maxStorageBuffersPerShaderStage).");
        }
    }

    private void CheckWorkgroups(GpuWorkgroups workgroups)
    {
        uint most = Math.Max(workgroups.X, Math.Max(workgroups.Y, workgroups.Z));
        if (most > _limits.MaxComputeWorkgroupsPerDimension)
        {
            throw new GpuException(GpuProblem.LimitExceeded, $"The dispatch asks for {workgroups} workgroups; {Adapter.Name} allows {_limits.MaxComputeWorkgroupsPerDimension} per dimension (maxComputeWorkgroupsPerDimension).");
        }
    }

    private GpuBuffer Allocate(long bytes, string what)
    {
        long size = Align4(bytes);
        if ((ulong)size > _limits.MaxStorageBufferBindingSize)
        {
            throw new GpuException(GpuProblem.LimitExceeded, $"{what} is {bytes:N0} bytes; {Adapter.Name} binds at most {_limits.MaxStorageBufferBindingSize:N0} (maxStorageBufferBindingSize).");
        }

        if ((ulong)size > _limits.MaxBufferSize)
        {
            throw new GpuException(GpuProblem.LimitExceeded, $"{what} is {bytes:N0} bytes; {Adapter.Name} allows at most {_limits.MaxBufferSize:N0} (maxBufferSize).");
        }

        long capacity = Math.Min(CapacityFor(size), (long)Math.Min(_limits.MaxBufferSize, _limits.MaxStorageBufferBindingSize));
        return new GpuBuffer(this, Take(readback: false, capacity), size, capacity);
    }

    private nint Take(bool readback, long capacity)
    {
        if (_pool.TryGetValue((readback, capacity), out Stack<nint>? stack) && stack.TryPop(out nint pooled))
        {
            _pooledBytes -= capacity;
            return pooled;
        }

        var descriptor = new WGPUBufferDescriptor
        {
            Usage = readback ? WGPUBufferUsage.MapRead | WGPUBufferUsage.CopyDst : WGPUBufferUsage.Storage | WGPUBufferUsage.CopySrc | WGPUBufferUsage.CopyDst,
            Size = (ulong)capacity,
        };
        _api.DevicePushErrorScope(_device, WGPUErrorFilter.OutOfMemory);
        nint buffer = _api.DeviceCreateBuffer(_device, &descriptor);
        string? error = PopErrorScope();
        if (error is not null || buffer == 0)
        {
            if (buffer != 0)
            {
                _api.BufferRelease(buffer);
            }

            throw new GpuException(GpuProblem.LimitExceeded, $"{Adapter.Name} could not allocate {capacity:N0} bytes: {error ?? "no buffer"}");
        }

        return buffer;
    }

    private Stack<nint> PoolFor(bool readback, long capacity)
    {
        if (!_pool.TryGetValue((readback, capacity), out Stack<nint>? stack))
        {
            stack = new Stack<nint>();
            _pool[(readback, capacity)] = stack;
        }

        return stack;
    }

    private void WriteLocked(GpuBuffer buffer, ReadOnlySpan<byte> data)
    {
        if (data.Length > buffer.Size)
        {
            throw new ArgumentException($"{data.Length:N0} bytes do not fit a buffer of {buffer.Size:N0}.", nameof(data));
        }

        // WebGPU writes whole 4-byte words: the last partial word goes through a padded copy.
        int whole = data.Length & ~3;
        fixed (byte* source = data)
        {
            if (whole > 0)
            {
                _api.QueueWriteBuffer(_queue, buffer.Handle, 0, source, (nuint)whole);
            }
        }

        if (whole < data.Length)
        {
            uint tail = 0;
            data[whole..].CopyTo(new Span<byte>(&tail, 4));
            _api.QueueWriteBuffer(_queue, buffer.Handle, (ulong)whole, &tail, 4);
        }
    }

    private void ClearLocked(GpuBuffer buffer)
    {
        nint encoder = _api.DeviceCreateCommandEncoder(_device, null);
        ClearBuffer(encoder, buffer);
        SubmitLocked(encoder);
    }

    private void ClearBuffer(nint encoder, GpuBuffer buffer) =>
        _api.CommandEncoderClearBuffer(encoder, buffer.Handle, 0, (ulong)buffer.Size);

    private void DispatchLocked(Program program, IReadOnlyList<GpuBuffer> bindings, GpuWorkgroups workgroups, int repeat, IReadOnlyList<GpuBuffer> clear)
    {
        var entries = stackalloc WGPUBindGroupEntry[bindings.Count];
        for (int i = 0; i < bindings.Count; i++)
        {
            entries[i] = new WGPUBindGroupEntry { Binding = (uint)i, Buffer = bindings[i].Handle, Size = (ulong)bindings[i].Size };
        }

        _api.DevicePushErrorScope(_device, WGPUErrorFilter.OutOfMemory);
        _api.DevicePushErrorScope(_device, WGPUErrorFilter.Validation);
        var descriptor = new WGPUBindGroupDescriptor { Layout = program.Layout, EntryCount = (nuint)bindings.Count, Entries = entries };
        nint group = _api.DeviceCreateBindGroup(_device, &descriptor);
        nint encoder = _api.DeviceCreateCommandEncoder(_device, null);
        foreach (GpuBuffer buffer in clear)
        {
            ClearBuffer(encoder, buffer);
        }

        nint pass = _api.CommandEncoderBeginComputePass(encoder, null);
        _api.ComputePassEncoderSetPipeline(pass, program.Pipeline);
        _api.ComputePassEncoderSetBindGroup(pass, 0, group, 0, null);
        for (int i = 0; i < repeat; i++)
        {
            _api.ComputePassEncoderDispatchWorkgroups(pass, workgroups.X, workgroups.Y, workgroups.Z);
        }

        _api.ComputePassEncoderEnd(pass);
        _api.ComputePassEncoderRelease(pass);
        SubmitLocked(encoder);
        _api.BindGroupRelease(group);
        string? validation = PopErrorScope();
        string? memory = PopErrorScope();
        if ((validation ?? memory) is { } error)
        {
            throw new GpuException(
                memory is not null ? GpuProblem.LimitExceeded : GpuProblem.Failed,
                $"{Adapter.Name} refused the dispatch of {program.EntryPoint}: {error} (the kernel binds inputs then outputs at @group(0) @binding(0…{bindings.Count - 1}))");
        }
    }

    private void SubmitLocked(nint encoder)
    {
        nint commands = _api.CommandEncoderFinish(encoder, null);
        _api.QueueSubmit(_queue, 1, &commands);
        _api.CommandBufferRelease(commands);
        _api.CommandEncoderRelease(encoder);
    }

    private void FinishLocked()
    {
        using var outcome = new CallbackOutcome();
        WaitLocked(_api.QueueOnSubmittedWorkDone(_queue, outcome.Info(CallbackOutcome.WithStatus)), "the queue to finish");
        if (outcome.Status != WGPUConstants.StatusSuccess)
        {
            throw LostOr($"The queue of {Adapter.Name} did not finish: {outcome.Message}");
        }
    }

    private void ReadLocked(GpuBuffer buffer, Span<byte> destination)
    {
        if (destination.Length > buffer.Size)
        {
            throw new ArgumentException($"{destination.Length:N0} bytes are more than the buffer's {buffer.Size:N0}.", nameof(destination));
        }

        long bytes = Align4(destination.Length);
        long capacity = CapacityFor(bytes);
        nint staging = Take(readback: true, capacity);
        try
        {
            nint encoder = _api.DeviceCreateCommandEncoder(_device, null);
            _api.CommandEncoderCopyBufferToBuffer(encoder, buffer.Handle, 0, staging, 0, (ulong)bytes);
            SubmitLocked(encoder);
            using var outcome = new CallbackOutcome();
            WaitLocked(_api.BufferMapAsync(staging, WGPUConstants.MapModeRead, 0, (nuint)bytes, outcome.Info(CallbackOutcome.WithStatus)), "the readback");
            if (outcome.Status != WGPUConstants.StatusSuccess)
            {
                throw LostOr($"Reading back from {Adapter.Name} failed: {outcome.Message}");
            }

            void* mapped = _api.BufferGetConstMappedRange(staging, 0, (nuint)bytes);
            new ReadOnlySpan<byte>(mapped, destination.Length).CopyTo(destination);
            _api.BufferUnmap(staging);
        }
        finally
        {
            if (_pooledBytes + capacity <= MaxPooledBytes && !IsLost)
            {
                PoolFor(readback: true, capacity).Push(staging);
                _pooledBytes += capacity;
            }
            else
            {
                _api.BufferRelease(staging);
            }
        }
    }

    private void WaitLocked(WGPUFuture future, string what)
    {
        var info = new WGPUFutureWaitInfo { Future = future };
        while (true)
        {
            WGPUWaitStatus status = _api.InstanceWaitAny(_instance, 1, &info, (ulong)(WaitSlice.Ticks * 100));
            if (status == WGPUWaitStatus.Success && info.Completed != 0)
            {
                return;
            }

            if (status != WGPUWaitStatus.TimedOut || _events.Lost is not null)
            {
                throw LostOr($"Waiting for {what} on {Adapter.Name} failed ({status}).");
            }
        }
    }

    private GpuException LostOr(string message)
    {
        _api.InstanceProcessEvents(_instance);
        return _events.Lost is { } reason
            ? new GpuException(GpuProblem.DeviceLost, $"The GPU device on {Adapter.Name} was lost ({reason}); the next call opens a new one.")
            : new GpuException(GpuProblem.Failed, message);
    }

    private string? PopErrorScope()
    {
        using var outcome = new CallbackOutcome();
        WaitLocked(_api.DevicePopErrorScope(_device, outcome.Info(CallbackOutcome.WithError)), "the error scope");
        return outcome.ErrorType is 0 or (uint)WGPUErrorType.NoError ? null : outcome.Message;
    }

    private Program Compile(string shader, string entryPoint)
    {
        string key = entryPoint + "\0" + shader;
        if (_programs.TryGetValue(key, out Program? cached))
        {
            return cached;
        }

        if (_programs.Count >= MaxCachedPrograms)
        {
            foreach (Program old in _programs.Values)
            {
                old.Release(_api);
            }

            _programs.Clear();
        }

        byte[] code = Encoding.UTF8.GetBytes(shader);
        byte[] entry = Encoding.UTF8.GetBytes(entryPoint);
        nint module;
        nint pipeline;
        _api.DevicePushErrorScope(_device, WGPUErrorFilter.Validation);
        fixed (byte* codePointer = code)
        fixed (byte* entryPointer = entry)
        {
            var source = new WGPUShaderSourceWGSL
            {
                Chain = new WGPUChainedStruct { SType = WGPUConstants.STypeShaderSourceWGSL },
                Code = new WGPUStringView { Data = codePointer, Length = (nuint)code.Length },
            };
            var moduleDescriptor = new WGPUShaderModuleDescriptor { NextInChain = &source.Chain };
            module = _api.DeviceCreateShaderModule(_device, &moduleDescriptor);
            var pipelineDescriptor = new WGPUComputePipelineDescriptor
            {
                Compute = new WGPUComputeState { Module = module, EntryPoint = new WGPUStringView { Data = entryPointer, Length = (nuint)entry.Length } },
            };
            pipeline = _api.DeviceCreateComputePipeline(_device, &pipelineDescriptor);
        }

        string? error = PopErrorScope();
        _api.ShaderModuleRelease(module);
        if (error is not null)
        {
            if (pipeline != 0)
            {
                _api.ComputePipelineRelease(pipeline);
            }

            string? limit = LimitNamed(error);
            throw new GpuException(
                limit is null ? GpuProblem.InvalidShader : GpuProblem.LimitExceeded,
                $"The shader (entry point '{entryPoint}', SHA-256 {Convert.ToHexString(SHA256.HashData(code))[..12]}) was refused: {error.Trim()}{(limit is null ? string.Empty : $"\nThe limit: {limit} on {Adapter.Name}.")}");
        }

        var program = new Program(pipeline, _api.ComputePipelineGetBindGroupLayout(pipeline, 0), entryPoint);
        _programs[key] = program;
        return program;
    }

    /// <summary>Dawn says a pipeline exceeds "the maximum allowed" without the limit's name; this names it, with its value.</summary>
    private string? LimitNamed(string error) =>
        !error.Contains("maximum allowed", StringComparison.Ordinal) ? null
        : error.Contains("workgroup_size", StringComparison.Ordinal) ? $"maxComputeWorkgroupSizeX/Y/Z = {_limits.MaxComputeWorkgroupSizeX}/{_limits.MaxComputeWorkgroupSizeY}/{_limits.MaxComputeWorkgroupSizeZ}"
        : error.Contains("workgroup invocations", StringComparison.Ordinal) ? $"maxComputeInvocationsPerWorkgroup = {_limits.MaxComputeInvocationsPerWorkgroup}"
        : error.Contains("workgroup storage", StringComparison.Ordinal) ? $"maxComputeWorkgroupStorageSize = {_limits.MaxComputeWorkgroupStorageSize} bytes"
        : null;

    private sealed record Program(nint Pipeline, nint Layout, string EntryPoint)
    {
        public void Release(WebGpuApi api)
        {
            api.BindGroupLayoutRelease(Layout);
            api.ComputePipelineRelease(Pipeline);
        }
    }

    /// <summary>What the device's spontaneous callbacks report, reached through a GC handle.</summary>
    private sealed class DeviceEvents : IDisposable
    {
        private GCHandle _handle;

        public DeviceEvents() => _handle = GCHandle.Alloc(this);

        public nint Pointer => GCHandle.ToIntPtr(_handle);

        public volatile string? Lost;

        public volatile string? LastError;

        public static DeviceEvents From(void* pointer) => (DeviceEvents)GCHandle.FromIntPtr((nint)pointer).Target!;

        public void Dispose()
        {
            if (_handle.IsAllocated)
            {
                _handle.Free();
            }
        }
    }
}
