using Repartir.Gpu;

namespace Repartir.Tensors;

/// <summary>Which backend runs a tensor call, and why, in words a person can check.</summary>
/// <param name="Backend">Cpu or Gpu.</param>
/// <param name="Tier">Scalar (too small for vector or parallel work to pay: one CPU thread), Simd (vectorised, across cores when large) or Gpu.</param>
/// <param name="Reason">The rule that decided, with the figures it used.</param>
public sealed record TensorDecision(TensorBackend Backend, string Tier, string Reason);

/// <summary>
/// The seed's choice between scalar, SIMD and GPU work. By complexity and size n (the values of the largest operand):
/// O(n) — SIMD above 1 M, GPU never; O(n log n) — SIMD from 10 K, GPU above 100 K; O(n³) — SIMD from 1 K, GPU above 10 K.
/// And the 5× rule: the GPU only when its estimated compute time exceeds five times the transfer time, both estimated
/// from the adapter's measured bandwidth and throughput (<see cref="GpuCalibration"/>), never from constants.
/// </summary>
public static class TensorBackendChooser
{
    /// <summary>The GPU must be busy this many times longer than its data takes to travel.</summary>
    public const double TransferRule = 5.0;

    /// <summary>The complexity class of <paramref name="operation"/>.</summary>
    public static TensorComplexity ComplexityOf(TensorOperation operation) =>
        operation == TensorOperation.MatMul ? TensorComplexity.High : TensorComplexity.Low;

    /// <summary>The sizes (SIMD from, GPU above) of the seed's table for <paramref name="complexity"/>; GPU above null means never.</summary>
    public static (long SimdFrom, long? GpuAbove) Thresholds(TensorComplexity complexity) => complexity switch
    {
        TensorComplexity.Low => (1_000_000, null),
        TensorComplexity.Medium => (10_000, 100_000),
        _ => (1_000, 10_000),
    };

    /// <summary>Chooses for a call of <paramref name="operation"/> over <paramref name="size"/> values that costs <paramref name="flops"/> and moves <paramref name="inputBytes"/> in and <paramref name="outputBytes"/> out.</summary>
    /// <param name="operation">The operation.</param>
    /// <param name="size">The values of the largest operand.</param>
    /// <param name="flops">Floating-point operations the call does.</param>
    /// <param name="inputBytes">Bytes the GPU would be sent.</param>
    /// <param name="outputBytes">Bytes it would send back.</param>
    /// <param name="gpu">The adapter's measured speeds (called only when the table allows the GPU); null or throwing when there is none.</param>
    public static TensorDecision Choose(TensorOperation operation, long size, double flops, long inputBytes, long outputBytes, Func<GpuCalibration?> gpu)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        TensorComplexity complexity = ComplexityOf(operation);
        (long simdFrom, long? gpuAbove) = Thresholds(complexity);
        string cpuTier = size >= simdFrom ? "Simd" : "Scalar";
        string cpuReason = size >= simdFrom
            ? $"{complexity} complexity at {size:N0} values: SIMD from {simdFrom:N0}"
            : $"{complexity} complexity at {size:N0} values: below SIMD's {simdFrom:N0}";
        if (gpuAbove is null)
        {
            return new TensorDecision(TensorBackend.Cpu, cpuTier, $"{cpuReason}; the GPU never pays for O(n) work");
        }

        if (size <= gpuAbove)
        {
            return new TensorDecision(TensorBackend.Cpu, cpuTier, $"{cpuReason}; the GPU only above {gpuAbove:N0}");
        }

        GpuCalibration? calibration;
        try
        {
            calibration = gpu();
        }
        catch (GpuException e)
        {
            return new TensorDecision(TensorBackend.Cpu, cpuTier, $"{cpuReason}; no GPU ({e.Problem})");
        }

        if (calibration is null)
        {
            return new TensorDecision(TensorBackend.Cpu, cpuTier, $"{cpuReason}; no GPU");
        }

        double compute = flops / calibration.MatMulFlopsPerSecond;
        double transfer = calibration.TransferSeconds(inputBytes, outputBytes);
        string figures = $"GPU compute {compute * 1e3:F2} ms vs transfer {transfer * 1e3:F2} ms on {calibration.Adapter} (measured {calibration.MatMulFlopsPerSecond / 1e9:F1} GFLOP/s, {calibration.UploadBytesPerSecond / 1e9:F1} GB/s up, {calibration.ReadbackBytesPerSecond / 1e9:F1} GB/s back)";
        return compute > TransferRule * transfer
            ? new TensorDecision(TensorBackend.Gpu, "Gpu", $"{complexity} complexity at {size:N0} values, above the GPU's {gpuAbove:N0}, and {figures}: more than {TransferRule}×")
            : new TensorDecision(TensorBackend.Cpu, cpuTier, $"{cpuReason}; above the GPU's {gpuAbove:N0}, but {figures}: not {TransferRule}×");
    }
}
