using System.Numerics.Tensors;

namespace Repartir.Tensors;

/// <summary>
/// Tensor operations on the CPU: element-wise and reductions through <see cref="TensorPrimitives"/> (SIMD: AVX2,
/// AVX-512, NEON), split across cores in chunks of <see cref="ChunkLength"/> values taken dynamically when the input is
/// large, and a cache-blocked, vectorised f32 matrix multiply.
/// </summary>
public static class CpuTensor
{
    /// <summary>
    /// Values per chunk when an operation is split across cores: 4 MiB of floats, large enough that TensorPrimitives
    /// still streams each chunk with non-temporal stores (with 256 KiB chunks, 16M-value adds ran at 0.76 of one thread).
    /// </summary>
    public const int ChunkLength = 1 << 20;

    /// <summary>Below this many values (two chunks) an operation runs on the calling thread: splitting would not pay.</summary>
    public const int ParallelThreshold = 2 * ChunkLength;

    /// <summary>
    /// True for operands small enough to run on the calling thread, and well formed. Such a call goes straight to
    /// TensorPrimitives with nothing between: at 2K values an operation takes about 100 ns, and a delegate call cost 8%.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool IsSmall(int x, int y, int destination) => x < ParallelThreshold && x == y && x == destination;

    /// <summary>x + y into <paramref name="destination"/>.</summary>
    public static void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination)
    {
        if (IsSmall(x.Length, y.Length, destination.Length))
        {
            TensorPrimitives.Add(x, y, destination);
            return;
        }

        Binary(x, y, destination, TensorPrimitives.Add);
    }

    /// <summary>x − y into <paramref name="destination"/>.</summary>
    public static void Subtract(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination)
    {
        if (IsSmall(x.Length, y.Length, destination.Length))
        {
            TensorPrimitives.Subtract(x, y, destination);
            return;
        }

        Binary(x, y, destination, TensorPrimitives.Subtract);
    }

    /// <summary>x × y, element by element, into <paramref name="destination"/>.</summary>
    public static void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination)
    {
        if (IsSmall(x.Length, y.Length, destination.Length))
        {
            TensorPrimitives.Multiply(x, y, destination);
            return;
        }

        Binary(x, y, destination, TensorPrimitives.Multiply);
    }

    /// <summary>x ÷ y, element by element, into <paramref name="destination"/> (IEEE: x/0 is ±∞ or NaN).</summary>
    public static void Divide(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination)
    {
        if (IsSmall(x.Length, y.Length, destination.Length))
        {
            TensorPrimitives.Divide(x, y, destination);
            return;
        }

        Binary(x, y, destination, TensorPrimitives.Divide);
    }

    /// <summary>x × <paramref name="scalar"/> into <paramref name="destination"/>.</summary>
    public static unsafe void Scale(ReadOnlySpan<float> x, float scalar, Span<float> destination)
    {
        TensorShapes.CheckLengths(x.Length, x.Length, destination.Length);
        if (x.Length < ParallelThreshold)
        {
            TensorPrimitives.Multiply(x, scalar, destination);
            return;
        }

        fixed (float* px = x, pd = destination)
        {
            nint ax = (nint)px, ad = (nint)pd;
            ForChunks(x.Length, (start, length) => TensorPrimitives.Multiply(new ReadOnlySpan<float>((float*)ax + start, length), scalar, new Span<float>((float*)ad + start, length)));
        }
    }

    /// <summary>The dot product of x and y. Large inputs sum per chunk, then the chunks in order: the result does not depend on the scheduling.</summary>
    public static unsafe float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        TensorShapes.CheckLengths(x.Length, y.Length, x.Length);
        if (x.Length < ParallelThreshold)
        {
            return TensorPrimitives.Dot(x, y);
        }

        fixed (float* px = x, py = y)
        {
            nint ax = (nint)px, ay = (nint)py;
            return Reduce(x.Length, (start, length) => TensorPrimitives.Dot(new ReadOnlySpan<float>((float*)ax + start, length), new ReadOnlySpan<float>((float*)ay + start, length)));
        }
    }

    /// <summary>The sum of x, per chunk and then the chunks in order.</summary>
    public static unsafe float Sum(ReadOnlySpan<float> x)
    {
        if (x.Length < ParallelThreshold)
        {
            return TensorPrimitives.Sum(x);
        }

        fixed (float* px = x)
        {
            nint ax = (nint)px;
            return Reduce(x.Length, (start, length) => TensorPrimitives.Sum(new ReadOnlySpan<float>((float*)ax + start, length)));
        }
    }

    /// <summary>
    /// C = A × B for row-major A (<paramref name="m"/> × <paramref name="k"/>) and B (<paramref name="k"/> ×
    /// <paramref name="n"/>) into C (<paramref name="m"/> × <paramref name="n"/>). Rows of C are taken by cores in
    /// blocks; within a block, B is walked in tiles that stay in cache, and each row of C is updated with vectorised
    /// multiply-adds of B's rows.
    /// </summary>
    /// <exception cref="TensorShapeException">The spans' lengths do not match the dimensions.</exception>
    public static unsafe void MatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n)
    {
        TensorShapes.CheckMatMul(a.Length, b.Length, c.Length, m, k, n);

        const int RowBlock = 16, DepthTile = 128, ColumnTile = 512;
        fixed (float* pa = a, pb = b, pc = c)
        {
            nint aa = (nint)pa, ab = (nint)pb, ac = (nint)pc;
            int rowBlocks = (m + RowBlock - 1) / RowBlock;
            void Block(int block)
            {
                int rowStart = block * RowBlock, rowEnd = Math.Min(m, rowStart + RowBlock);
                new Span<float>((float*)ac + ((long)rowStart * n), (rowEnd - rowStart) * n).Clear();
                for (int column = 0; column < n; column += ColumnTile)
                {
                    int width = Math.Min(ColumnTile, n - column);
                    for (int depth = 0; depth < k; depth += DepthTile)
                    {
                        int depthEnd = Math.Min(k, depth + DepthTile);
                        for (int row = rowStart; row < rowEnd; row++)
                        {
                            var cRow = new Span<float>((float*)ac + ((long)row * n) + column, width);
                            float* aRow = (float*)aa + ((long)row * k);
                            for (int p = depth; p < depthEnd; p++)
                            {
                                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>((float*)ab + ((long)p * n) + column, width), aRow[p], cRow, cRow);
                            }
                        }
                    }
                }
            }

            if ((long)m * n * k < ParallelThreshold * 16L || rowBlocks == 1)
            {
                for (int block = 0; block < rowBlocks; block++)
                {
                    Block(block);
                }
            }
            else
            {
                Parallel.For(0, rowBlocks, Block);
            }
        }
    }

    /// <summary>x + y as a new tensor of their (equal) shape.</summary>
    public static Tensor Add(Tensor x, Tensor y) => Binary(x, y, "add", Add);

    /// <summary>x − y as a new tensor.</summary>
    public static Tensor Subtract(Tensor x, Tensor y) => Binary(x, y, "subtract", Subtract);

    /// <summary>x × y, element by element, as a new tensor.</summary>
    public static Tensor Multiply(Tensor x, Tensor y) => Binary(x, y, "multiply", Multiply);

    /// <summary>x ÷ y, element by element, as a new tensor.</summary>
    public static Tensor Divide(Tensor x, Tensor y) => Binary(x, y, "divide", Divide);

    /// <summary>x × <paramref name="scalar"/> as a new tensor.</summary>
    public static Tensor Scale(Tensor x, float scalar)
    {
        ArgumentNullException.ThrowIfNull(x);
        float[] result = GC.AllocateUninitializedArray<float>(x.Length);
        Scale(x.Data, scalar, result);
        return new Tensor(x.Shape, result);
    }

    /// <summary>The dot product of two tensors of the same shape (over all their values).</summary>
    public static float Dot(Tensor x, Tensor y)
    {
        TensorShapes.SameShape(x, y, "take the dot product of");
        return Dot(x.Data, y.Data);
    }

    /// <summary>The sum of a tensor's values.</summary>
    public static float Sum(Tensor x) => Sum((x ?? throw new ArgumentNullException(nameof(x))).Data);

    /// <summary>The matrix product of two 2-D tensors: [m, k] × [k, n] = [m, n].</summary>
    /// <exception cref="TensorShapeException">Not both 2-D, or the inner dimensions differ (the message gives both shapes).</exception>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        (int m, int k, int n) = TensorShapes.MatMul(a, b);
        float[] result = GC.AllocateUninitializedArray<float>(m * n);
        MatMul(a.Data, b.Data, result, m, k, n);
        return Tensor.Matrix(m, n, result);
    }

    /// <summary>An element-wise operation over spans: TensorPrimitives' own, or one of this class's parallel ones.</summary>
    private delegate void BinaryKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination);

    private static Tensor Binary(Tensor x, Tensor y, string verb, BinaryKernel operation)
    {
        TensorShapes.SameShape(x, y, verb);
        float[] result = GC.AllocateUninitializedArray<float>(x.Length);
        operation(x.Data, y.Data, result);
        return new Tensor(x.Shape, result);
    }

    private static unsafe void Binary(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination, BinaryKernel kernel)
    {
        TensorShapes.CheckLengths(x.Length, y.Length, destination.Length);
        if (x.Length < ParallelThreshold)
        {
            kernel(x, y, destination); // no closure, no pinning: a small input costs what TensorPrimitives costs
            return;
        }

        fixed (float* px = x, py = y, pd = destination)
        {
            nint ax = (nint)px, ay = (nint)py, ad = (nint)pd;
            ForChunks(x.Length, (start, length) => kernel(new ReadOnlySpan<float>((float*)ax + start, length), new ReadOnlySpan<float>((float*)ay + start, length), new Span<float>((float*)ad + start, length)));
        }
    }

    /// <summary>Runs <paramref name="chunk"/> over [0, length) (a large length) in chunks that idle cores take as they free.</summary>
    private static void ForChunks(int length, Action<int, int> chunk)
    {
        int chunks = (length + ChunkLength - 1) / ChunkLength;
        Parallel.For(0, chunks, i => chunk(i * ChunkLength, Math.Min(ChunkLength, length - (i * ChunkLength))));
    }

    private static float Reduce(int length, Func<int, int, float> chunk)
    {
        int chunks = (length + ChunkLength - 1) / ChunkLength;
        float[] partial = new float[chunks];
        Parallel.For(0, chunks, i => partial[i] = chunk(i * ChunkLength, Math.Min(ChunkLength, length - (i * ChunkLength))));
        return TensorPrimitives.Sum(partial);
    }
}
