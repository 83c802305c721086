using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Repartir.Gpu;
using Repartir.Tensors;

namespace Repartir.Bench;

/// <summary>
/// gpu: on the chosen adapter, the first dispatch of the process (cold: library, adapter, device, pipeline, buffers)
/// against the same call in steady state; vector-add bandwidth ÷ the device's own buffer-copy bandwidth, interleaved;
/// f32 matmul GFLOP/s with the data on the device (and as a fraction of a peak given with --peak-tflops); and the GPU ÷
/// CPU speed-up of the same matmul, kernel only and with its transfers.
/// </summary>
internal static class GpuSuite
{
    private const int VectorLength = 16 << 20;

    internal static JsonObject Run(int pairs, int? matmulSize, double? peakTeraflops)
    {
        var json = new JsonObject { ["suite"] = "gpu", ["pairs"] = pairs };
        Cold(json);
        GpuDevice device = GpuExecutor.Shared.Device;
        GpuAdapter adapter = device.Adapter;
        Console.WriteLine($"gpu: {adapter.Name} ({adapter.Type}, {adapter.Backend}; {adapter.Driver}), {Environment.ProcessorCount} cores, {pairs} interleaved rounds");
        json["adapter"] = adapter.Name;
        json["adapter_type"] = adapter.Type.ToString();
        json["backend"] = adapter.Backend;
        json["driver"] = adapter.Driver;
        foreach (GpuAdapter found in GpuRuntime.Shared.Adapters)
        {
            Console.WriteLine($"  adapter {found.Index}{(found.Chosen ? " (chosen)" : string.Empty)}: {found.Name}, {found.Type}, {found.Backend}, {found.Driver}{(found.Usable ? string.Empty : $", unusable: {found.Unusable}")}");
        }

        Bandwidth(device, pairs, json);
        int n = matmulSize ?? (adapter.Type == GpuAdapterType.Cpu ? 1024 : 4096);
        MatMul(device, n, pairs, peakTeraflops, json);
        GpuCalibration calibration = GpuExecutor.Shared.Calibration;
        json["upload_gb_per_s"] = calibration.UploadBytesPerSecond / 1e9;
        json["readback_gb_per_s"] = calibration.ReadbackBytesPerSecond / 1e9;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  host transfers: upload {calibration.UploadBytesPerSecond / 1e9:0.0} GB/s, readback {calibration.ReadbackBytesPerSecond / 1e9:0.0} GB/s; calibration matmul 512² {calibration.MatMulFlopsPerSecond / 1e9:0.0} GFLOP/s"));
        return json;
    }

    /// <summary>The first vector add of the process, everything included, then the same call warmed up.</summary>
    private static void Cold(JsonObject json)
    {
        float[] x = [.. Enumerable.Range(0, 1 << 20).Select(i => (float)i)];
        float[] d = new float[x.Length];
        long start = Stopwatch.GetTimestamp();
        GpuTensor.Shared.Add(x, x, d);
        double cold = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        Measurement.Warm(() => GpuTensor.Shared.Add(x, x, d));
        var steady = new List<double>();
        for (int i = 0; i < 20; i++)
        {
            steady.Add(Measurement.Seconds(() => GpuTensor.Shared.Add(x, x, d)) * 1e3);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  first 1M-value add of the process (cold) {cold:0.0} ms, steady state {Measurement.Median(steady):0.00} ms (upload, dispatch, readback)"));
        json["cold_first_add_ms"] = cold;
        json["steady_add_ms"] = Measurement.Median(steady);
    }

    /// <summary>
    /// Vector add ÷ the device's copy bandwidth, which is the faster of its buffer-copy command and a WGSL copy kernel
    /// (on the H200 the command copied at half the kernel's rate): the stricter denominator.
    /// </summary>
    private static void Bandwidth(GpuDevice device, int pairs, JsonObject json)
    {
        const long Bytes = (long)VectorLength * sizeof(float);
        const string CopyKernel = """
            @group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
            @group(0) @binding(1) var<storage, read_write> c: array<vec4<f32>>;
            @compute @workgroup_size(256)
            fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
                let i = gid.x + gid.y * groups.x * 256u;
                if (i < arrayLength(&c)) { c[i] = a[i]; }
            }
            """;
        using GpuBuffer a = device.CreateBuffer(Bytes);
        using GpuBuffer b = device.CreateBuffer(Bytes);
        using GpuBuffer c = device.CreateBuffer(Bytes);
        string add = TensorShaders.Binary('+');
        GpuWorkgroups grid = GpuTensor.VectorGrid(VectorLength);
        int repeats = device.Adapter.Type == GpuAdapterType.Cpu ? 4 : 64;
        Measurement.Warm(() => device.Dispatch(add, "main", [a, b, c], grid, repeats));
        Measurement.Warm(() => device.Copy(a, c, repeats));
        Measurement.Warm(() => device.Dispatch(CopyKernel, "main", [a, c], grid, repeats));
        var addRate = new List<double>();
        var copyCommand = new List<double>();
        var copyKernel = new List<double>();
        var copyRate = new List<double>();
        for (int i = 0; i < pairs; i++)
        {
            addRate.Add(3.0 * Bytes * repeats / Measurement.Seconds(() => device.Dispatch(add, "main", [a, b, c], grid, repeats)) / 1e9);
            copyCommand.Add(2.0 * Bytes * repeats / Measurement.Seconds(() => device.Copy(a, c, repeats)) / 1e9);
            copyKernel.Add(2.0 * Bytes * repeats / Measurement.Seconds(() => device.Dispatch(CopyKernel, "main", [a, c], grid, repeats)) / 1e9);
            copyRate.Add(Math.Max(copyCommand[^1], copyKernel[^1]));
        }

        Measurement.Ratio ratio = Measurement.Ratios(addRate, copyRate);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  vector add 16M: {Measurement.Median(addRate):0.0} GB/s (read + write)   copy: command {Measurement.Median(copyCommand):0.0} GB/s, WGSL kernel {Measurement.Median(copyKernel):0.0} GB/s   add ÷ the faster copy {ratio}"));
        json["add_16M_gb_per_s"] = Measurement.Median(addRate);
        json["copy_command_gb_per_s"] = Measurement.Median(copyCommand);
        json["copy_kernel_gb_per_s"] = Measurement.Median(copyKernel);
        json["add_over_copy_ratio"] = ratio.Median;
        json["add_over_copy_ratio_min"] = ratio.Min;
        json["add_over_copy_ratio_max"] = ratio.Max;
    }

    private static void MatMul(GpuDevice device, int n, int pairs, double? peakTeraflops, JsonObject json)
    {
        var random = new Random(11);
        float[] a = [.. Enumerable.Range(0, n * n).Select(_ => random.NextSingle())];
        float[] b = [.. Enumerable.Range(0, n * n).Select(_ => random.NextSingle())];
        float[] gpuResult = new float[n * n], cpuResult = new float[n * n];
        double flops = 2.0 * n * n * n;
        using GpuBuffer da = GpuTensor.Upload(device, a);
        using GpuBuffer db = GpuTensor.Upload(device, b);
        using GpuBuffer dims = GpuTensor.Upload(device, MemoryMarshal.Cast<uint, float>([(uint)n, (uint)n, (uint)n, 0u]));
        using GpuBuffer dc = device.CreateBuffer((long)n * n * sizeof(float));
        int repeats = Math.Max(1, (int)(2e12 / flops)); // about 2 TFLOP a measurement on a GPU
        if (device.Adapter.Type == GpuAdapterType.Cpu)
        {
            repeats = 1;
        }

        void Kernel()
        {
            GpuTensor.EnqueueMatMul(device, da, db, dims, dc, n, n, repeats);
            device.Finish();
        }

        Kernel();
        var kernel = new List<double>();
        var endToEnd = new List<double>();
        var cpu = new List<double>();
        for (int i = 0; i < pairs; i++)
        {
            kernel.Add(flops * repeats / Measurement.Seconds(Kernel) / 1e9);
            endToEnd.Add(flops / Measurement.Seconds(() => GpuTensor.Shared.MatMul(a, b, gpuResult, n, n, n)) / 1e9);
            cpu.Add(flops / Measurement.Seconds(() => CpuTensor.MatMul(a, b, cpuResult, n, n, n)) / 1e9);
        }

        double worst = 0;
        for (int i = 0; i < cpuResult.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(gpuResult[i] - cpuResult[i]) / Math.Max(1, Math.Abs(cpuResult[i])));
        }

        double kernelRate = Measurement.Median(kernel);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  matmul {n}² f32: GPU kernel {kernelRate:0.0} GFLOP/s ({kernel.Min():0.0}-{kernel.Max():0.0}){(peakTeraflops is { } peak ? $" = {kernelRate / (peak * 1e3):0.000} of {peak} TFLOP/s" : string.Empty)}; with transfers {Measurement.Median(endToEnd):0.0}; CPU {Measurement.Median(cpu):0.0} GFLOP/s; GPU ÷ CPU {kernelRate / Measurement.Median(cpu):0.0}x (kernel), {Measurement.Median(endToEnd) / Measurement.Median(cpu):0.0}x (with transfers); largest relative difference {worst:0.0e0}"));
        json["matmul_n"] = n;
        json["matmul_gpu_gflops"] = kernelRate;
        json["matmul_gpu_with_transfers_gflops"] = Measurement.Median(endToEnd);
        json["matmul_cpu_gflops"] = Measurement.Median(cpu);
        json["matmul_gpu_over_cpu"] = kernelRate / Measurement.Median(cpu);
        json["matmul_gpu_with_transfers_over_cpu"] = Measurement.Median(endToEnd) / Measurement.Median(cpu);
        json["matmul_largest_relative_difference"] = worst;
        if (peakTeraflops is { } given)
        {
            json["matmul_fraction_of_peak"] = kernelRate / (given * 1e3);
        }
    }
}
