using Repartir.Gpu;
using Repartir.Tensors;
using Repartir.Tests.Gpu;

namespace Repartir.Tests.Tensors;

/// <summary>The seed's table and the 5× rule, at their boundaries, with calibrations given; and Auto on the adapter at hand.</summary>
[Collection(GpuCollection.Name)]
public sealed class TensorBackendChooserTests
{
    // 1 GFLOP/s, 1 GB/s each way: a matmul moving 12 MB spends 12 ms travelling.
    private static readonly GpuCalibration Slow = new(1e9, 1e9, 1e9, "test adapter");

    private static GpuCalibration NoGpuExpected() => throw new InvalidOperationException("the GPU must not be consulted");

    [Theory]
    [InlineData(999_999, "Scalar")]
    [InlineData(1_000_000, "Simd")]
    [InlineData(500_000_000, "Simd")]
    public void Linear_work_never_goes_to_the_gpu(long size, string tier)
    {
        foreach (TensorOperation operation in new[] { TensorOperation.Add, TensorOperation.Divide, TensorOperation.Scale, TensorOperation.Dot, TensorOperation.Sum })
        {
            TensorDecision decision = TensorBackendChooser.Choose(operation, size, size, size * 8, size * 4, NoGpuExpected);
            Assert.Equal(TensorBackend.Cpu, decision.Backend);
            Assert.Equal(tier, decision.Tier);
            Assert.Contains("never", decision.Reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(999, "Scalar")]
    [InlineData(1_000, "Simd")]
    [InlineData(10_000, "Simd")]
    public void Cubic_work_stays_on_the_cpu_up_to_ten_thousand_values(long size, string tier)
    {
        TensorDecision decision = TensorBackendChooser.Choose(TensorOperation.MatMul, size, 1e12, 1, 1, NoGpuExpected);
        Assert.Equal(TensorBackend.Cpu, decision.Backend);
        Assert.Equal(tier, decision.Tier);
    }

    [Fact]
    public void Above_ten_thousand_values_the_gpu_must_compute_five_times_longer_than_its_data_travels()
    {
        // 4096²: 137 GFLOP (137 s at 1 GFLOP/s) against 201 MB (0.2 s): the GPU.
        const long Side = 4096;
        TensorDecision big = TensorBackendChooser.Choose(TensorOperation.MatMul, Side * Side, 2.0 * Side * Side * Side, 8 * Side * Side, 4 * Side * Side, () => Slow);
        Assert.Equal(TensorBackend.Gpu, big.Backend);
        Assert.Contains("GPU compute", big.Reason, StringComparison.Ordinal);
        Assert.Contains("test adapter", big.Reason, StringComparison.Ordinal);

        // 110²: 12,100 values, 2.7 MFLOP (2.7 ms) against 145 KB (0.15 ms): 18×, the GPU; with transfers 10× slower, 1.8×: the CPU.
        const long Small = 110;
        double flops = 2.0 * Small * Small * Small;
        Assert.Equal(TensorBackend.Gpu, TensorBackendChooser.Choose(TensorOperation.MatMul, Small * Small, flops, 8 * Small * Small, 4 * Small * Small, () => Slow).Backend);
        TensorDecision slowBus = TensorBackendChooser.Choose(TensorOperation.MatMul, Small * Small, flops, 8 * Small * Small, 4 * Small * Small, () => Slow with { UploadBytesPerSecond = 1e8, ReadbackBytesPerSecond = 1e8 });
        Assert.Equal(TensorBackend.Cpu, slowBus.Backend);
        Assert.Contains("not 5×", slowBus.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_gpu_auto_runs_on_the_cpu_and_says_why()
    {
        TensorDecision decision = TensorBackendChooser.Choose(TensorOperation.MatMul, 1_000_000, 2e9, 8_000_000, 4_000_000, () => throw new GpuException(GpuProblem.NoUsableGpu, "none"));
        Assert.Equal(TensorBackend.Cpu, decision.Backend);
        Assert.Contains("NoUsableGpu", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_on_the_adapter_at_hand_uses_its_measured_speeds_and_gives_the_cpus_answer()
    {
        var random = new Random(9);
        Tensor a = Tensor.Matrix(160, 96, [.. Enumerable.Range(0, 160 * 96).Select(_ => (float)random.NextDouble())]);
        Tensor b = Tensor.Matrix(96, 128, [.. Enumerable.Range(0, 96 * 128).Select(_ => (float)random.NextDouble())]);
        TensorOutcome auto = TensorRunner.Run(TensorOperation.MatMul, a, b, 0, TensorBackend.Auto, GpuExecutor.Shared);
        Assert.Contains("measured", auto.Decision.Reason, StringComparison.Ordinal); // 20,480 values: above 10,000, so the 5× rule was applied
        GpuCalibration calibration = GpuExecutor.Shared.Calibration;
        Assert.True(calibration.MatMulFlopsPerSecond > 0 && calibration.UploadBytesPerSecond > 0 && calibration.ReadbackBytesPerSecond > 0);

        Tensor cpu = CpuTensor.MatMul(a, b);
        TensorOutcome gpu = TensorRunner.Run(TensorOperation.MatMul, a, b, 0, TensorBackend.Gpu, GpuExecutor.Shared);
        Assert.Equal(TensorBackend.Gpu, gpu.Decision.Backend);
        for (int i = 0; i < cpu.Length; i++)
        {
            Assert.InRange(gpu.Tensor!.Data[i], cpu.Data[i] - 1e-3f, cpu.Data[i] + 1e-3f);
            Assert.InRange(auto.Tensor!.Data[i], cpu.Data[i] - 1e-3f, cpu.Data[i] + 1e-3f);
        }

        TensorOutcome sum = TensorRunner.Run(TensorOperation.Sum, a, null, 0, TensorBackend.Auto, GpuExecutor.Shared);
        Assert.Equal(TensorBackend.Cpu, sum.Decision.Backend);
        Assert.Equal(CpuTensor.Sum(a), sum.Scalar);
        Assert.Contains("Right", Assert.Throws<TensorShapeException>(() => TensorRunner.Run(TensorOperation.Add, a, null, 0, TensorBackend.Cpu, GpuExecutor.Shared)).Message, StringComparison.Ordinal);
    }
}
