using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Repartir.Gpu;

/// <summary>
/// What the adapter at hand measured, for choosing between CPU and GPU: host-to-device and device-to-host bandwidth
/// (16 MiB each way, best of three) and f32 matmul throughput (512², best of three after a warm-up). Measured once per
/// device, on first need (tens of milliseconds on a GPU, about a second on a CPU driver).
/// </summary>
/// <param name="UploadBytesPerSecond">Writing host memory into a device buffer.</param>
/// <param name="ReadbackBytesPerSecond">Reading a device buffer back to host memory.</param>
/// <param name="MatMulFlopsPerSecond">f32 multiply-adds (counted as 2 FLOP) of the matmul kernel, data on the device.</param>
/// <param name="Adapter">The adapter measured.</param>
public sealed record GpuCalibration(double UploadBytesPerSecond, double ReadbackBytesPerSecond, double MatMulFlopsPerSecond, string Adapter)
{
    private const int TransferBytes = 16 << 20;
    private const int MatMulSize = 512;

    /// <summary>Seconds to move <paramref name="inputBytes"/> to the device and <paramref name="outputBytes"/> back.</summary>
    public double TransferSeconds(long inputBytes, long outputBytes) => (inputBytes / UploadBytesPerSecond) + (outputBytes / ReadbackBytesPerSecond);

    /// <summary>Measures <paramref name="device"/>.</summary>
    public static GpuCalibration Measure(GpuDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        byte[] host = new byte[TransferBytes];
        double upload = double.MaxValue, readback = double.MaxValue, matmul = double.MaxValue;
        using (GpuBuffer buffer = device.CreateBuffer(TransferBytes))
        {
            for (int i = 0; i < 3; i++)
            {
                long start = Stopwatch.GetTimestamp();
                device.Write(buffer, host);
                device.Finish();
                upload = Math.Min(upload, Stopwatch.GetElapsedTime(start).TotalSeconds);
                start = Stopwatch.GetTimestamp();
                device.Read(buffer, host);
                readback = Math.Min(readback, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }

        float[] values = new float[MatMulSize * MatMulSize];
        using GpuBuffer a = GpuTensor.Upload(device, values);
        using GpuBuffer b = GpuTensor.Upload(device, values);
        using GpuBuffer dims = GpuTensor.Upload(device, MemoryMarshal.Cast<uint, float>([MatMulSize, MatMulSize, MatMulSize, 0u]));
        using GpuBuffer c = device.CreateBuffer(values.Length * sizeof(float));
        for (int i = 0; i < 4; i++)
        {
            long start = Stopwatch.GetTimestamp();
            GpuTensor.EnqueueMatMul(device, a, b, dims, c, MatMulSize, MatMulSize);
            device.Finish();
            if (i > 0)
            {
                matmul = Math.Min(matmul, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }

        return new GpuCalibration(TransferBytes / upload, TransferBytes / readback, 2.0 * MatMulSize * MatMulSize * MatMulSize / matmul, device.Adapter.Name);
    }
}
