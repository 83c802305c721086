using Repartir.Gpu;
using Repartir.Tensors;
using Repartir.Tests.Tensors;

namespace Repartir.Tests.Gpu;

/// <summary>
/// The GPU tensor operations against scalar references, on the adapter this machine has (in CI: Mesa's llvmpipe, a
/// CPU driver, through OpenGL ES). Lengths around the workgroup size (256), a reduction workgroup's share (2,048),
/// and past the 65,535-workgroup fold of the grid.
/// </summary>
[Collection(GpuCollection.Name)]
public sealed class GpuTensorTests
{
    public static TheoryData<int> Lengths => [1, 3, 255, 256, 257, 2047, 2049, 100_003];

    private static GpuTensor Gpu => GpuTensor.Shared;

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Element_wise_operations_equal_a_scalar_loop(int length)
    {
        float[] x = TensorReference.Random(length, 1), y = TensorReference.Random(length, 2), d = new float[length];
        (Action<float[], float[], float[]> op, Func<float, float, float> scalar)[] cases =
        [
            ((a, b, r) => Gpu.Add(a, b, r), (a, b) => a + b),
            ((a, b, r) => Gpu.Subtract(a, b, r), (a, b) => a - b),
            ((a, b, r) => Gpu.Multiply(a, b, r), (a, b) => a * b),
            ((a, _, r) => Gpu.Scale(a, 2.5f, r), (a, _) => a * 2.5f),
        ];
        foreach ((Action<float[], float[], float[]> op, Func<float, float, float> scalar) in cases)
        {
            Array.Clear(d);
            op(x, y, d);
            for (int i = 0; i < length; i++)
            {
                Assert.Equal(scalar(x[i], y[i]), d[i]); // WGSL's +, - and * are correctly rounded: the same float
            }
        }

        Gpu.Divide(x, y, d);
        for (int i = 0; i < length; i++)
        {
            float expected = x[i] / y[i];
            float ulp = MathF.BitIncrement(MathF.Abs(expected)) - MathF.Abs(expected);
            Assert.InRange(d[i], expected - (2.5f * ulp), expected + (2.5f * ulp)); // WGSL allows 2.5 ULP for division
        }
    }

    [Fact]
    public void A_vector_past_the_grid_fold_is_added_whole()
    {
        int length = (65_535 * TensorShaders.GroupSize) + 3; // more workgroups than one dimension holds
        float[] x = TensorReference.Random(length, 5), y = TensorReference.Random(length, 6), d = new float[length];
        Gpu.Add(x, y, d);
        Assert.Equal(x[^1] + y[^1], d[^1]);
        Assert.Equal(x[length / 2] + y[length / 2], d[length / 2]);
        Assert.Equal(x[0] + y[0], d[0]);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Dot_and_sum_equal_a_double_precision_loop_within_the_stated_tolerance(int length)
    {
        float[] x = TensorReference.Random(length, 3), y = TensorReference.Random(length, 4);
        (double dot, double sum, double tolerance) = TensorReference.DotAndSum(x, y, GpuTensor.ReductionTolerance); // float accumulation: relative to the sum of magnitudes
        Assert.InRange(Gpu.Dot(x, y), dot - tolerance, dot + tolerance);
        Assert.InRange(Gpu.Sum(x), sum - tolerance, sum + tolerance);
    }

    [Fact]
    public void NaN_and_infinities_propagate_as_on_the_cpu()
    {
        float[] x = [float.NaN, float.PositiveInfinity, 1, -1, 0, float.NegativeInfinity];
        float[] y = [1, 1, 0, 0, 0, float.PositiveInfinity];
        float[] gpu = new float[6], cpu = new float[6];
        foreach (Action<float[], float[], float[]>[] pair in new[]
        {
            new Action<float[], float[], float[]>[] { (a, b, r) => Gpu.Divide(a, b, r), (a, b, r) => CpuTensor.Divide(a, b, r) },
            new Action<float[], float[], float[]>[] { (a, b, r) => Gpu.Add(a, b, r), (a, b, r) => CpuTensor.Add(a, b, r) },
            new Action<float[], float[], float[]>[] { (a, b, r) => Gpu.Multiply(a, b, r), (a, b, r) => CpuTensor.Multiply(a, b, r) },
        })
        {
            pair[0](x, y, gpu);
            pair[1](x, y, cpu);
            Assert.Equal(cpu, gpu); // xunit's float equality treats NaN as equal to NaN
        }

        Assert.True(float.IsNaN(Gpu.Sum(x)));
        Assert.Equal(float.PositiveInfinity, Gpu.Sum([1, float.PositiveInfinity]));
        Assert.True(float.IsNaN(Gpu.Dot([float.NaN, 1], [1, 1])));
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(17, 129, 33)]
    [InlineData(130, 9, 131)]
    [InlineData(64, 64, 64)]
    [InlineData(129, 257, 127)]
    public void Matmul_equals_the_cpu_within_the_stated_tolerance(int m, int k, int n)
    {
        float[] a = TensorReference.Random(m * k, 7), b = TensorReference.Random(k * n, 8), gpu = new float[m * n], cpu = new float[m * n];
        Gpu.MatMul(a, b, gpu, m, k, n);
        CpuTensor.MatMul(a, b, cpu, m, k, n);
        for (int i = 0; i < m * n; i++)
        {
            float tolerance = GpuTensor.ReductionTolerance * k * 4 * 2; // |a|, |b| ≤ 2: each term at most 4
            Assert.InRange(gpu[i], cpu[i] - tolerance, cpu[i] + tolerance);
        }
    }

    [Theory]
    [InlineData(1, 1, 1, true)]
    [InlineData(129, 17, 131, true)]
    [InlineData(200, 300, 7, true)]
    [InlineData(33, 9, 35, false)]
    public void Both_matmul_kernels_are_right_whatever_the_adapter(int m, int k, int n, bool tiled)
    {
        // The adapter picks one kernel; the other is checked here too, so a GPU's kernel is tested on a CPU driver.
        float[] a = TensorReference.Random(m * k, 9), b = TensorReference.Random(k * n, 10), gpu = new float[m * n], cpu = new float[m * n];
        GpuDevice device = GpuExecutor.Shared.Device;
        using (GpuBuffer da = GpuTensor.Upload(device, a))
        using (GpuBuffer db = GpuTensor.Upload(device, b))
        using (GpuBuffer dims = GpuTensor.Upload(device, System.Runtime.InteropServices.MemoryMarshal.Cast<uint, float>([(uint)m, (uint)k, (uint)n, 0u])))
        using (GpuBuffer dc = device.CreateBuffer((long)m * n * sizeof(float)))
        {
            GpuTensor.EnqueueMatMul(device, da, db, dims, dc, m, n, tiled: tiled);
            device.Read(dc, System.Runtime.InteropServices.MemoryMarshal.AsBytes(gpu.AsSpan()));
        }

        CpuTensor.MatMul(a, b, cpu, m, k, n);
        float tolerance = GpuTensor.ReductionTolerance * k * 4 * 2;
        for (int i = 0; i < m * n; i++)
        {
            Assert.InRange(gpu[i], cpu[i] - tolerance, cpu[i] + tolerance);
        }
    }

    [Fact]
    public void Tensors_keep_their_shape_and_mismatches_are_named()
    {
        Tensor x = Tensor.Matrix(2, 3, [1, 2, 3, 4, 5, 6]);
        Tensor y = Tensor.Matrix(3, 2, [1, 0, 0, 1, 1, 1]);
        Assert.Equal([2, 3], Gpu.Scale(x, 2).Shape);
        Assert.Equal([2, 4, 6, 8, 10, 12], Gpu.Scale(x, 2).Data);
        Assert.Equal([4, 5, 10, 11], Gpu.MatMul(x, y).Data);
        Assert.Equal(21, Gpu.Sum(x));
        TensorShapeException add = Assert.Throws<TensorShapeException>(() => Gpu.Add(x, y));
        Assert.Contains("[2, 3] and [3, 2]", add.Message, StringComparison.Ordinal);
        TensorShapeException product = Assert.Throws<TensorShapeException>(() => Gpu.MatMul(x, x));
        Assert.Contains("first's columns must equal the second's rows", product.Message, StringComparison.Ordinal);
        Assert.Throws<TensorShapeException>(() => Gpu.Dot([1, 2], [1]));
    }
}
