using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Repartir.Gpu.Native;

/// <summary>
/// What an asynchronous WebGPU call reported to its callback. One instance per call, pinned by a GC handle passed as
/// the callback's first user datum; the callback fills it in on the thread that waits (callbacks run in WaitAny).
/// </summary>
internal sealed unsafe class CallbackOutcome : IDisposable
{
    private GCHandle _handle;

    public CallbackOutcome() => _handle = GCHandle.Alloc(this);

    public bool Called { get; private set; }

    public uint Status { get; private set; }

    public nint Handle { get; private set; }

    public uint ErrorType { get; private set; }

    public string Message { get; private set; } = string.Empty;

    /// <summary>Callback info for a call whose callback is <paramref name="callback"/>, delivered only inside WaitAny.</summary>
    public WGPUCallbackInfo Info(void* callback) => new()
    {
        Mode = WGPUCallbackMode.WaitAnyOnly,
        Callback = callback,
        Userdata1 = (void*)GCHandle.ToIntPtr(_handle),
    };

    public void Dispose()
    {
        if (_handle.IsAllocated)
        {
            _handle.Free();
        }
    }

    /// <summary>RequestAdapter and RequestDevice: (status, handle, message).</summary>
    public static delegate* unmanaged<uint, nint, WGPUStringView, void*, void*, void> WithHandle => &OnHandle;

    /// <summary>MapAsync and OnSubmittedWorkDone: (status, message).</summary>
    public static delegate* unmanaged<uint, WGPUStringView, void*, void*, void> WithStatus => &OnStatus;

    /// <summary>PopErrorScope: (status, error type, message).</summary>
    public static delegate* unmanaged<uint, uint, WGPUStringView, void*, void*, void> WithError => &OnError;

    [UnmanagedCallersOnly]
    private static void OnHandle(uint status, nint handle, WGPUStringView message, void* userdata1, void* userdata2) =>
        From(userdata1).Set(status, handle, 0, message);

    [UnmanagedCallersOnly]
    private static void OnStatus(uint status, WGPUStringView message, void* userdata1, void* userdata2) =>
        From(userdata1).Set(status, 0, 0, message);

    [UnmanagedCallersOnly]
    private static void OnError(uint status, uint type, WGPUStringView message, void* userdata1, void* userdata2) =>
        From(userdata1).Set(status, 0, type, message);

    private static CallbackOutcome From(void* userdata) => (CallbackOutcome)GCHandle.FromIntPtr((nint)userdata).Target!;

    private void Set(uint status, nint handle, uint errorType, WGPUStringView message)
    {
        Status = status;
        Handle = handle;
        ErrorType = errorType;
        Message = message.ToString();
        Called = true;
    }
}
