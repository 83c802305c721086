namespace Repartir.Tensors;

/// <summary>The shape checks every tensor backend makes, with one wording for each mismatch.</summary>
internal static class TensorShapes
{
    public static void SameShape(Tensor x, Tensor y, string verb)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (!x.Shape.SequenceEqual(y.Shape))
        {
            throw new TensorShapeException($"Cannot {verb} tensors of shapes {x.ShapeText} and {y.ShapeText}: the shapes must be equal.");
        }
    }

    public static void CheckLengths(int x, int y, int destination)
    {
        if (x != y || x != destination)
        {
            throw new TensorShapeException($"The operands hold {x} and {y} values and the destination {destination}: all three must be equal.");
        }
    }

    public static void CheckMatMul(int a, int b, int c, int m, int k, int n)
    {
        if (m <= 0 || k <= 0 || n <= 0 || a != (long)m * k || b != (long)k * n || c != (long)m * n)
        {
            throw new TensorShapeException($"A matrix multiply of [{m}, {k}] × [{k}, {n}] into [{m}, {n}] needs {(long)m * k}, {(long)k * n} and {(long)m * n} values, not {a}, {b} and {c}.");
        }
    }

    /// <summary>The dimensions (m, k, n) of a × b.</summary>
    public static (int M, int K, int N) MatMul(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Shape.Count != 2 || b.Shape.Count != 2 || a.Shape[1] != b.Shape[0])
        {
            throw new TensorShapeException($"Cannot multiply matrices of shapes {a.ShapeText} and {b.ShapeText}: both must be 2-D, and the first's columns must equal the second's rows.");
        }

        return (a.Shape[0], a.Shape[1], b.Shape[1]);
    }
}
