using Repartir.Tensors;

namespace Repartir.Tests.Tensors;

/// <summary>The CPU tensor operations against scalar loops: many lengths (around the vector width and the chunking), NaN and infinities.</summary>
public sealed class CpuTensorTests
{
    // Around every boundary: vector widths (4, 8, 16), the parallel threshold and the chunk length.
    public static TheoryData<int> Lengths => [1, 3, 7, 8, 15, 16, 17, 1023, CpuTensor.ChunkLength + 1, CpuTensor.ParallelThreshold - 1, CpuTensor.ParallelThreshold + 5, (3 * CpuTensor.ParallelThreshold) + 7];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Element_wise_operations_equal_a_scalar_loop(int length)
    {
        float[] x = TensorReference.Random(length, 1), y = TensorReference.Random(length, 2), d = new float[length];
        (Action<float[], float[], float[]> op, Func<float, float, float> scalar)[] cases =
        [
            ((a, b, r) => CpuTensor.Add(a, b, r), (a, b) => a + b),
            ((a, b, r) => CpuTensor.Subtract(a, b, r), (a, b) => a - b),
            ((a, b, r) => CpuTensor.Multiply(a, b, r), (a, b) => a * b),
            ((a, b, r) => CpuTensor.Divide(a, b, r), (a, b) => a / b),
            ((a, _, r) => CpuTensor.Scale(a, 2.5f, r), (a, _) => a * 2.5f),
        ];
        foreach ((Action<float[], float[], float[]> op, Func<float, float, float> scalar) in cases)
        {
            op(x, y, d);
            for (int i = 0; i < length; i++)
            {
                Assert.Equal(scalar(x[i], y[i]), d[i]); // element-wise IEEE operations are exact: the same float
            }
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Dot_and_sum_equal_a_double_precision_loop_within_float_rounding(int length)
    {
        float[] x = TensorReference.Random(length, 3), y = TensorReference.Random(length, 4);
        (double dot, double sum, double tolerance) = TensorReference.DotAndSum(x, y, 1e-6); // float accumulation: relative to the sum of magnitudes
        Assert.InRange(CpuTensor.Dot(x, y), dot - tolerance, dot + tolerance);
        Assert.InRange(CpuTensor.Sum(x), sum - tolerance, sum + tolerance);
        Assert.Equal(CpuTensor.Dot(x, y), CpuTensor.Dot(x, y)); // chunks are summed in order: the same result every time
    }

    [Fact]
    public void NaN_and_infinities_propagate_as_IEEE_says()
    {
        float[] x = [float.NaN, float.PositiveInfinity, 1, -1, 0, float.NegativeInfinity];
        float[] y = [1, 1, 0, 0, 0, float.PositiveInfinity];
        float[] d = new float[6];

        CpuTensor.Divide(x, y, d);
        Assert.True(float.IsNaN(d[0]));
        Assert.Equal([float.PositiveInfinity, float.PositiveInfinity, float.NegativeInfinity], d[1..4]);
        Assert.True(float.IsNaN(d[4]) && float.IsNaN(d[5]));
        CpuTensor.Add(x, y, d);
        Assert.True(float.IsNaN(d[5])); // -inf + inf
        Assert.True(float.IsNaN(CpuTensor.Sum(x)));
        Assert.Equal(float.PositiveInfinity, CpuTensor.Sum([1, float.PositiveInfinity]));
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(17, 129, 33)]
    [InlineData(64, 64, 64)]
    [InlineData(100, 300, 513)]
    [InlineData(257, 130, 129)]
    public void MatMul_equals_a_naive_triple_loop(int m, int k, int n)
    {
        float[] a = TensorReference.Random(m * k, 5), b = TensorReference.Random(k * n, 6);
        Tensor product = CpuTensor.MatMul(Tensor.Matrix(m, k, a), Tensor.Matrix(k, n, b));

        Assert.Equal([m, n], product.Shape);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double expected = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    expected += (double)a[(i * k) + p] * b[(p * n) + j];
                    magnitude += Math.Abs((double)a[(i * k) + p] * b[(p * n) + j]);
                }

                double tolerance = (1e-6 * magnitude) + 1e-6;
                Assert.InRange(product.Data[(i * n) + j], expected - tolerance, expected + tolerance);
            }
        }
    }

    [Fact]
    public void Shapes_that_do_not_fit_are_errors_that_give_both()
    {
        var row = Tensor.Matrix(1, 3, [1, 2, 3]);
        var column = Tensor.Matrix(3, 1, [1, 2, 3]);
        var wide = Tensor.Matrix(2, 2, [1, 2, 3, 4]);

        Assert.Equal("Cannot add tensors of shapes [1, 3] and [3, 1]: the shapes must be equal.", Assert.Throws<TensorShapeException>(() => CpuTensor.Add(row, column)).Message);
        Assert.Contains("[1, 3] and [2, 2]", Assert.Throws<TensorShapeException>(() => CpuTensor.MatMul(row, wide)).Message, StringComparison.Ordinal);
        Assert.Contains("holds 6 values, but 3 were given", Assert.Throws<TensorShapeException>(() => new Tensor([2, 3], [1, 2, 3])).Message, StringComparison.Ordinal);
        Assert.Contains("positive dimensions", Assert.Throws<TensorShapeException>(() => new Tensor([0], [])).Message, StringComparison.Ordinal);
        Assert.Throws<TensorShapeException>(() => CpuTensor.Add([1f, 2f], [1f], new float[2]));
        Assert.Equal(1 * 1 + 2 * 2 + 3 * 3, CpuTensor.MatMul(row, column).Data[0]);
    }
}
