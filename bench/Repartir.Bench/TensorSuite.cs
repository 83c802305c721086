using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json.Nodes;
using Repartir.Tensors;

namespace Repartir.Bench;

/// <summary>
/// tensor: add, multiply and dot on 16M and 2K floats through <see cref="CpuTensor"/> (all cores when large) ÷
/// <see cref="TensorPrimitives"/> on one thread, interleaved; matmul GFLOP/s at 1024² and 4096² and its speed-up over a scalar loop.
/// </summary>
internal static class TensorSuite
{
    internal static JsonObject Run(int pairs)
    {
        Console.WriteLine($"tensor: {Environment.ProcessorCount} cores, {pairs} interleaved rounds");
        var json = new JsonObject { ["suite"] = "tensor", ["pairs"] = pairs };
        foreach (int length in new[] { 16 << 20, 2048 })
        {
            var random = new Random(length);
            float[] x = [.. Enumerable.Range(0, length).Select(_ => random.NextSingle())];
            float[] y = [.. Enumerable.Range(0, length).Select(_ => random.NextSingle())];
            float[] d = new float[length];
            int repeats = Math.Max(1, (64 << 20) / length); // about 64M values a measurement
            foreach ((string name, int bytesPerValue, Action ours, Action single) in new (string, int, Action, Action)[]
            {
                ("add", 12, () => CpuTensor.Add(x, y, d), () => TensorPrimitives.Add(x, y, d)),
                ("multiply", 12, () => CpuTensor.Multiply(x, y, d), () => TensorPrimitives.Multiply(x, y, d)),
                ("dot", 8, () => CpuTensor.Dot(x, y), () => TensorPrimitives.Dot(x, y)),
            })
            {
                Measurement.Warm(() => Repeat(ours, repeats));
                Measurement.Warm(() => Repeat(single, repeats));
                var oursRate = new List<double>();
                var singleRate = new List<double>();
                for (int i = 0; i < pairs; i++)
                {
                    oursRate.Add((double)length * bytesPerValue * repeats / Measurement.Seconds(() => Repeat(ours, repeats)) / 1e9);
                    singleRate.Add((double)length * bytesPerValue * repeats / Measurement.Seconds(() => Repeat(single, repeats)) / 1e9);
                }

                Measurement.Ratio ratio = Measurement.Ratios(oursRate, singleRate);
                string key = $"{name}_{(length >= 1 << 20 ? $"{length >> 20}M" : $"{length / 1024}K")}";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {key,-12} CpuTensor {Measurement.Median(oursRate),7:0.0} GB/s   TensorPrimitives 1 thread {Measurement.Median(singleRate),7:0.0} GB/s   ratio {ratio}"));
                json[key + "_gb_per_s"] = Measurement.Median(oursRate);
                json[key + "_single_thread_gb_per_s"] = Measurement.Median(singleRate);
                json[key + "_ratio"] = ratio.Median;
                json[key + "_ratio_min"] = ratio.Min;
                json[key + "_ratio_max"] = ratio.Max;
            }
        }

        MemoryCeiling(16 << 20, pairs, json);
        MemoryCeiling(256 << 20, pairs, json); // 1 GiB an operand: past any L3, so memory itself
        MatMul(pairs, json);
        return json;
    }

    /// <summary>
    /// The machine's memory bandwidth: all cores copying <paramref name="values"/> floats in the same 1 Mi-value chunks with non-temporal
    /// stores (STREAM's copy, counted as 8 bytes a value), interleaved with CpuTensor.Add (12 bytes a value) over the
    /// same 64-byte-aligned buffers. A plain memmove is no ceiling: it reads each destination line before writing it,
    /// and TensorPrimitives' large-input path does not.
    /// </summary>
    private static unsafe void MemoryCeiling(int values, int pairs, JsonObject json)
    {
        const int Chunk = CpuTensor.ChunkLength;
        string key = $"{values >> 20}M";
        float* x = (float*)NativeMemory.AlignedAlloc((nuint)values * sizeof(float), 64);
        float* y = (float*)NativeMemory.AlignedAlloc((nuint)values * sizeof(float), 64);
        float* d = (float*)NativeMemory.AlignedAlloc((nuint)values * sizeof(float), 64);
        try
        {
            new Span<float>(x, values).Fill(1f);
            new Span<float>(y, values).Fill(2f);
            new Span<float>(d, values).Clear();
            nint source = (nint)x, destination = (nint)d;
            void Copy() => Parallel.For(0, values / Chunk, i =>
            {
                float* from = (float*)source + ((long)i * Chunk), to = (float*)destination + ((long)i * Chunk);
                for (int j = 0; j < Chunk; j += Vector256<float>.Count)
                {
                    Vector256.Load(from + j).StoreAlignedNonTemporal(to + j);
                }
            });
            nint left = (nint)x, right = (nint)y;
            void Add() => CpuTensor.Add(new ReadOnlySpan<float>((void*)left, values), new ReadOnlySpan<float>((void*)right, values), new Span<float>((void*)destination, values));
            Measurement.Warm(Copy);
            Measurement.Warm(Add);
            var copy = new List<double>();
            var add = new List<double>();
            for (int i = 0; i < pairs; i++)
            {
                copy.Add(8.0 * values / Measurement.Seconds(Copy) / 1e9);
                add.Add(12.0 * values / Measurement.Seconds(Add) / 1e9);
            }

            Measurement.Ratio ratio = Measurement.Ratios(add, copy);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  memory, {key} floats: all cores copying with non-temporal stores {Measurement.Median(copy):0.0} GB/s; CpuTensor.Add {Measurement.Median(add):0.0} GB/s = {ratio} of it"));
            json[$"copy_{key}_all_cores_gb_per_s"] = Measurement.Median(copy);
            json[$"add_{key}_same_buffers_gb_per_s"] = Measurement.Median(add);
            json[$"add_{key}_over_copy_ratio"] = ratio.Median;
            json[$"add_{key}_over_copy_ratio_min"] = ratio.Min;
            json[$"add_{key}_over_copy_ratio_max"] = ratio.Max;
        }
        finally
        {
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(y);
            NativeMemory.AlignedFree(d);
        }
    }

    private static void Repeat(Action action, int times)
    {
        for (int i = 0; i < times; i++)
        {
            action();
        }
    }

    private static void MatMul(int pairs, JsonObject json)
    {
        const int N = 1024, Large = 4096, Small = 256;
        var random = new Random(7);
        float[] a = [.. Enumerable.Range(0, N * N).Select(_ => random.NextSingle())];
        float[] b = [.. Enumerable.Range(0, N * N).Select(_ => random.NextSingle())];
        float[] c = new float[N * N];
        Measurement.Warm(() => CpuTensor.MatMul(a, b, c, N, N, N));
        var gflops = new List<double>();
        for (int i = 0; i < pairs; i++)
        {
            gflops.Add(2.0 * N * N * N / Measurement.Seconds(() => CpuTensor.MatMul(a, b, c, N, N, N)) / 1e9);
        }

        // 4096²: 137 GFLOP a run (seconds on a few cores), so at most three runs.
        float[] la = [.. Enumerable.Range(0, Large * Large).Select(_ => random.NextSingle())];
        float[] lc = new float[Large * Large];
        var large = new List<double>();
        for (int i = 0; i < Math.Min(pairs, 3); i++)
        {
            large.Add(2.0 * Large * Large * Large / Measurement.Seconds(() => CpuTensor.MatMul(la, la, lc, Large, Large, Large)) / 1e9);
        }

        // The speed-up over a plain triple loop (i, p, j order, what a person would write first), at 256² to keep it short.
        float[] sa = a[..(Small * Small)], sb = b[..(Small * Small)], sc = new float[Small * Small];
        double scalar = Measurement.Seconds(() =>
        {
            Array.Clear(sc);
            for (int i = 0; i < Small; i++)
            {
                for (int p = 0; p < Small; p++)
                {
                    float aip = sa[(i * Small) + p];
                    for (int j = 0; j < Small; j++)
                    {
                        sc[(i * Small) + j] += aip * sb[(p * Small) + j];
                    }
                }
            }
        });
        double ours = Measurement.Seconds(() => CpuTensor.MatMul(sa, sb, sc, Small, Small, Small));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  matmul {N}²: {Measurement.Median(gflops):0.0} GFLOP/s ({gflops.Min():0.0}-{gflops.Max():0.0}); {Large}²: {Measurement.Median(large):0.0} GFLOP/s ({large.Min():0.0}-{large.Max():0.0}); {Small}²: {scalar / ours:0.0}x a scalar loop"));
        json["matmul_1024_gflops"] = Measurement.Median(gflops);
        json["matmul_4096_gflops"] = Measurement.Median(large);
        json["matmul_256_speedup_over_scalar"] = scalar / ours;
    }
}
