namespace Repartir.Gpu;

/// <summary>
/// A storage buffer that stays on a <see cref="GpuDevice"/> between dispatches (for chains of operations and for
/// measuring compute without transfers). Its size is a multiple of 4 bytes; dispose it to give it back to the device's pool.
/// </summary>
public sealed class GpuBuffer : IDisposable
{
    private readonly GpuDevice _device;

    internal GpuBuffer(GpuDevice device, nint handle, long size, long capacity)
    {
        _device = device;
        Handle = handle;
        Size = size;
        Capacity = capacity;
    }

    /// <summary>The bytes bound and copied: the size asked for, rounded up to a multiple of 4.</summary>
    public long Size { get; }

    internal long Capacity { get; }

    internal nint Handle { get; private set; }

    /// <inheritdoc />
    public void Dispose()
    {
        nint handle = Handle;
        Handle = 0;
        if (handle != 0)
        {
            _device.Recycle(handle, Capacity);
        }
    }
}
