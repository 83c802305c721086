using System.Runtime.InteropServices;
using Repartir.Gpu.Native;

namespace Repartir.Gpu;

/// <summary>
/// This process's view of WebGPU: one instance of the library, the adapters it offers and the choice among them.
/// Discovery asks for a Vulkan adapter (high performance, then low power) and an OpenGL ES one in compatibility
/// mode, keeps each distinct adapter once, and ranks the usable ones: discrete, integrated, then a CPU adapter;
/// Vulkan before OpenGL ES at the same rank. An adapter on Dawn's Null backend is listed as unusable and never chosen.
/// Every call runs on the one GPU thread (<see cref="GpuThread"/>).
/// </summary>
public sealed unsafe class GpuRuntime : IDisposable
{
    private static readonly Lazy<GpuRuntime> SharedRuntime = new(() => new GpuRuntime());

    private static readonly (WGPUBackendType Backend, WGPUFeatureLevel Level, WGPUPowerPreference Power)[] DefaultRequests =
    [
        (WGPUBackendType.Vulkan, WGPUFeatureLevel.Core, WGPUPowerPreference.HighPerformance),
        (WGPUBackendType.Vulkan, WGPUFeatureLevel.Core, WGPUPowerPreference.LowPower),
        (WGPUBackendType.OpenGLES, WGPUFeatureLevel.Compatibility, WGPUPowerPreference.Undefined),
    ];

    private readonly (WGPUBackendType Backend, WGPUFeatureLevel Level, WGPUPowerPreference Power)[] _requests;
    private readonly string? _libraryPath;
    private WebGpuApi? _api;
    private nint _instance;
    private List<DiscoveredAdapter>? _adapters;

    /// <summary>Creates a runtime that discovers the default backends (Vulkan, then OpenGL ES).</summary>
    public GpuRuntime()
        : this(DefaultRequests)
    {
    }

    internal GpuRuntime(params (WGPUBackendType Backend, WGPUFeatureLevel Level, WGPUPowerPreference Power)[] requests) => _requests = requests;

    /// <summary>A runtime over another library file (tests: a missing one).</summary>
    internal GpuRuntime(string libraryPath)
        : this(DefaultRequests) => _libraryPath = libraryPath;

    /// <summary>The runtime every part of this process shares (one library instance, one discovery).</summary>
    public static GpuRuntime Shared => SharedRuntime.Value;

    /// <summary>The library file in use (or looked for), for messages.</summary>
    public static string LibraryPath => WebGpuLibrary.Path;

    /// <summary>The adapters found, in discovery order, the chosen one marked.</summary>
    /// <exception cref="GpuException">The library is missing (<see cref="GpuProblem.LibraryMissing"/>).</exception>
    public IReadOnlyList<GpuAdapter> Adapters => GpuThread.Run(() => Discover().Select(a => a.Info).ToArray());

    /// <summary>Opens a device on the chosen adapter.</summary>
    /// <exception cref="GpuException">No library (<see cref="GpuProblem.LibraryMissing"/>) or no usable adapter (<see cref="GpuProblem.NoUsableGpu"/>).</exception>
    public GpuDevice OpenDevice() => GpuThread.Run(() =>
    {
        List<DiscoveredAdapter> adapters = Discover();
        DiscoveredAdapter chosen = adapters.FirstOrDefault(a => a.Info.Chosen)
            ?? throw new GpuException(GpuProblem.NoUsableGpu, NoUsableGpuMessage(adapters));
        return new GpuDevice(_api!, _instance, chosen.Handle, chosen.Limits, chosen.Info);
    });

    /// <summary>Forgets the adapters found, so the next use looks again (after a device was lost, say).</summary>
    public void Rediscover() => GpuThread.Run(ReleaseAdapters);

    /// <inheritdoc />
    public void Dispose() => GpuThread.Run(() =>
    {
        ReleaseAdapters();
        if (_instance != 0)
        {
            _api!.InstanceRelease(_instance);
            _instance = 0;
        }
    });

    /// <summary>Waits for <paramref name="future"/>, at most <paramref name="timeout"/>; true when it completed.</summary>
    internal static bool Wait(WebGpuApi api, nint instance, WGPUFuture future, TimeSpan timeout)
    {
        var info = new WGPUFutureWaitInfo { Future = future };
        WGPUWaitStatus status = api.InstanceWaitAny(instance, 1, &info, (ulong)(timeout.Ticks * 100));
        return status == WGPUWaitStatus.Success && info.Completed != 0;
    }

    private static string NoUsableGpuMessage(List<DiscoveredAdapter> adapters) => adapters.Count == 0
        ? $"No usable GPU: WebGPU ({WebGpuLibrary.Path}) found no Vulkan or OpenGL ES adapter. A CPU driver works too: Mesa's llvmpipe through EGL (libegl1-mesa) or lavapipe (mesa-vulkan-drivers)."
        : $"No usable GPU: {string.Join("; ", adapters.Select(a => $"{a.Info.Name} ({a.Info.Backend}): {a.Info.Unusable}"))}.";

    private List<DiscoveredAdapter> Discover()
    {
        if (_adapters is not null)
        {
            return _adapters;
        }

        _api ??= _libraryPath is null ? WebGpuLibrary.Api : WebGpuLibrary.From(_libraryPath);
        if (_instance == 0)
        {
            var descriptor = new WGPUInstanceDescriptor { Capabilities = new WGPUInstanceCapabilities { TimedWaitAnyEnable = 1, TimedWaitAnyMaxCount = 64 } };
            _instance = _api.CreateInstance(&descriptor);
            if (_instance == 0)
            {
                throw new GpuException(GpuProblem.LibraryMissing, $"The WebGPU library {WebGpuLibrary.Path} did not create an instance.");
            }
        }

        var found = new List<DiscoveredAdapter>();
        bool vulkanLoader = NativeLibrary.TryLoad("libvulkan.so.1", out nint loader);
        foreach ((WGPUBackendType backend, WGPUFeatureLevel level, WGPUPowerPreference power) in _requests)
        {
            if (backend == WGPUBackendType.Vulkan && !vulkanLoader)
            {
                continue; // Dawn would print its own warning for each request; without the loader there is nothing to find
            }

            nint handle = RequestAdapter(backend, level, power);
            if (handle == 0)
            {
                continue;
            }

            DiscoveredAdapter adapter = Describe(handle, found.Count);
            if (found.Any(a => a.Info.Backend == adapter.Info.Backend && a.Info.Name == adapter.Info.Name && a.Info.DeviceId == adapter.Info.DeviceId))
            {
                _api.AdapterRelease(handle);
                continue;
            }

            found.Add(adapter);
        }

        if (vulkanLoader)
        {
            NativeLibrary.Free(loader);
        }

        DiscoveredAdapter? best = found.Where(a => a.Info.Usable)
            .OrderBy(a => a.Info.Type)
            .ThenBy(a => a.Info.Backend == nameof(WGPUBackendType.Vulkan) ? 0 : 1)
            .FirstOrDefault();
        _adapters = found.Select(a => a == best ? a with { Info = a.Info with { Chosen = true } } : a).ToList();
        return _adapters;
    }

    private nint RequestAdapter(WGPUBackendType backend, WGPUFeatureLevel level, WGPUPowerPreference power)
    {
        var options = new WGPURequestAdapterOptions { BackendType = backend, FeatureLevel = level, PowerPreference = power };
        using var outcome = new CallbackOutcome();
        WGPUFuture future = _api!.InstanceRequestAdapter(_instance, &options, outcome.Info(CallbackOutcome.WithHandle));
        return Wait(_api, _instance, future, TimeSpan.FromSeconds(30)) && outcome.Status == WGPUConstants.StatusSuccess ? outcome.Handle : 0;
    }

    private DiscoveredAdapter Describe(nint handle, int index)
    {
        WGPUAdapterInfo info = default;
        WGPULimits limits = default;
        _ = _api!.AdapterGetInfo(handle, &info);
        _ = _api.AdapterGetLimits(handle, &limits);
        try
        {
            var adapter = new GpuAdapter
            {
                Index = index,
                Name = info.Device.ToString() is { Length: > 0 } device ? device : info.Description.ToString(),
                Vendor = info.Vendor.ToString(),
                Driver = info.Description.ToString(),
                Backend = Enum.IsDefined(info.BackendType) ? info.BackendType.ToString() : $"Backend{(uint)info.BackendType}",
                Type = TypeOf(info),
                VendorId = info.VendorId,
                DeviceId = info.DeviceId,
                Limits = new GpuLimits(
                    limits.MaxBufferSize,
                    limits.MaxStorageBufferBindingSize,
                    limits.MaxStorageBuffersPerShaderStage,
                    limits.MaxComputeInvocationsPerWorkgroup,
                    limits.MaxComputeWorkgroupSizeX,
                    limits.MaxComputeWorkgroupsPerDimension,
                    limits.MaxComputeWorkgroupStorageSize),
                Unusable = info.BackendType == WGPUBackendType.Null
                    ? "Dawn's Null backend runs nothing and reads back zeros"
                    : null,
            };
            return new DiscoveredAdapter(handle, limits, adapter);
        }
        finally
        {
            _api.AdapterInfoFreeMembers(info);
        }
    }

    /// <summary>Dawn's OpenGL ES backend reports Mesa's software rasterizers as Unknown; they are CPU adapters.</summary>
    private static GpuAdapterType TypeOf(in WGPUAdapterInfo info)
    {
        var type = (GpuAdapterType)info.AdapterType;
        string name = info.Device.ToString() + " " + info.Description.ToString();
        bool software = SoftwareRasterizers.Any(s => name.Contains(s, StringComparison.OrdinalIgnoreCase));
        return software ? GpuAdapterType.Cpu : Enum.IsDefined(type) ? type : GpuAdapterType.Unknown;
    }

    private static readonly string[] SoftwareRasterizers = ["llvmpipe", "lavapipe", "softpipe", "SwiftShader"];

    private void ReleaseAdapters()
    {
        foreach (DiscoveredAdapter adapter in _adapters ?? [])
        {
            _api!.AdapterRelease(adapter.Handle);
        }

        _adapters = null;
    }

    private sealed record DiscoveredAdapter(nint Handle, WGPULimits Limits, GpuAdapter Info);
}
