using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.InteropServices;
using Repartir.Tensors;

namespace Repartir.Gpu;

/// <summary>
/// The tensor operations of <see cref="CpuTensor"/>, computed on a GPU through a <see cref="GpuExecutor"/>. Each call
/// uploads its operands, dispatches, and reads its result back; the partial sums of a reduction are added on the CPU
/// in order. Results equal the CPU's exactly for element-wise operations (IEEE single precision both sides) and within
/// <see cref="ReductionTolerance"/> (relative, times the count of values summed) for sums, dot products and matmul,
/// whose additions run in another order.
/// </summary>
public sealed class GpuTensor
{
    /// <summary>The relative difference from the CPU that a sum of n values may show, per value summed (float32 rounding, another order).</summary>
    public const float ReductionTolerance = 1e-6f;

    private readonly GpuExecutor _executor;

    /// <summary>Creates the operations over <paramref name="executor"/>.</summary>
    public GpuTensor(GpuExecutor executor)
    {
        ArgumentNullException.ThrowIfNull(executor);
        _executor = executor;
    }

    /// <summary>The operations on this process's shared executor.</summary>
    public static GpuTensor Shared { get; } = new(GpuExecutor.Shared);

    /// <summary>The executor the work goes to.</summary>
    public GpuExecutor Executor => _executor;

    /// <summary>destination = x + y.</summary>
    public void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination) => Binary('+', x, y, destination);

    /// <summary>destination = x − y.</summary>
    public void Subtract(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination) => Binary('-', x, y, destination);

    /// <summary>destination = x × y, element by element.</summary>
    public void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination) => Binary('*', x, y, destination);

    /// <summary>destination = x ÷ y, element by element.</summary>
    public void Divide(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination) => Binary('/', x, y, destination);

    /// <summary>destination = x × <paramref name="scalar"/>.</summary>
    public void Scale(ReadOnlySpan<float> x, float scalar, Span<float> destination)
    {
        TensorShapes.CheckLengths(x.Length, x.Length, destination.Length);
        if (x.IsEmpty)
        {
            return;
        }

        GpuDevice device = _executor.Device;
        using GpuBuffer a = UploadVectors(device, x);
        using GpuBuffer s = Upload(device, [scalar]);
        using GpuBuffer c = device.CreateBuffer(VectorBytes(x.Length));
        device.Enqueue(TensorShaders.Scale, "main", [a, s, c], VectorGrid(x.Length));
        device.Read(c, MemoryMarshal.AsBytes(destination));
    }

    /// <summary>The dot product of x and y.</summary>
    public float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        TensorShapes.CheckLengths(x.Length, y.Length, x.Length);
        if (x.IsEmpty)
        {
            return 0f;
        }

        GpuDevice device = _executor.Device;
        using GpuBuffer a = Upload(device, x);
        using GpuBuffer b = Upload(device, y);
        return Reduce(device, TensorShaders.Reduce(dot: true), [a, b], x.Length);
    }

    /// <summary>The sum of x.</summary>
    public float Sum(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty)
        {
            return 0f;
        }

        GpuDevice device = _executor.Device;
        using GpuBuffer a = Upload(device, x);
        return Reduce(device, TensorShaders.Reduce(dot: false), [a], x.Length);
    }

    /// <summary>C = A × B for row-major A (m × k), B (k × n) and C (m × n).</summary>
    /// <exception cref="TensorShapeException">The spans' lengths do not match the dimensions.</exception>
    public void MatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n)
    {
        TensorShapes.CheckMatMul(a.Length, b.Length, c.Length, m, k, n);
        GpuDevice device = _executor.Device;
        using GpuBuffer left = Upload(device, a);
        using GpuBuffer right = Upload(device, b);
        using GpuBuffer dims = Upload(device, MemoryMarshal.Cast<uint, float>([(uint)m, (uint)k, (uint)n, 0u]));
        using GpuBuffer product = device.CreateBuffer((long)m * n * sizeof(float));
        EnqueueMatMul(device, left, right, dims, product, m, n);
        device.Read(product, MemoryMarshal.AsBytes(c));
    }

    /// <summary>x + y as a new tensor.</summary>
    public Tensor Add(Tensor x, Tensor y) => Binary(x, y, "add", Add);

    /// <summary>x − y as a new tensor.</summary>
    public Tensor Subtract(Tensor x, Tensor y) => Binary(x, y, "subtract", Subtract);

    /// <summary>x × y, element by element, as a new tensor.</summary>
    public Tensor Multiply(Tensor x, Tensor y) => Binary(x, y, "multiply", Multiply);

    /// <summary>x ÷ y, element by element, as a new tensor.</summary>
    public Tensor Divide(Tensor x, Tensor y) => Binary(x, y, "divide", Divide);

    /// <summary>x × <paramref name="scalar"/> as a new tensor.</summary>
    public Tensor Scale(Tensor x, float scalar)
    {
        ArgumentNullException.ThrowIfNull(x);
        float[] result = new float[x.Length];
        Scale(x.Data, scalar, result);
        return new Tensor(x.Shape, result);
    }

    /// <summary>The dot product of two tensors of the same shape.</summary>
    public float Dot(Tensor x, Tensor y)
    {
        TensorShapes.SameShape(x, y, "take the dot product of");
        return Dot(x.Data, y.Data);
    }

    /// <summary>The sum of a tensor's values.</summary>
    public float Sum(Tensor x) => Sum((x ?? throw new ArgumentNullException(nameof(x))).Data);

    /// <summary>The matrix product of two 2-D tensors.</summary>
    public Tensor MatMul(Tensor a, Tensor b)
    {
        (int m, int k, int n) = TensorShapes.MatMul(a, b);
        float[] result = new float[m * n];
        MatMul(a.Data, b.Data, result, m, k, n);
        return Tensor.Matrix(m, n, result);
    }

    /// <summary>The matmul kernel for the device's adapter (unless <paramref name="tiled"/> says which): tiled in workgroup memory on a GPU, register-blocked on a CPU adapter.</summary>
    internal static void EnqueueMatMul(GpuDevice device, GpuBuffer a, GpuBuffer b, GpuBuffer dims, GpuBuffer c, int m, int n, int repeat = 1, bool? tiled = null)
    {
        bool useTiles = tiled ?? device.Adapter.Type != GpuAdapterType.Cpu;
        int tile = useTiles ? TensorShaders.MatMulTile : TensorShaders.MatMulBlockTile;
        var workgroups = new GpuWorkgroups((uint)((n + tile - 1) / tile), (uint)((m + tile - 1) / tile));
        device.Enqueue(useTiles ? TensorShaders.MatMulTiled : TensorShaders.MatMulBlocked, "main", [a, b, dims, c], workgroups, repeat);
    }

    /// <summary>A grid of workgroups of <paramref name="groupSize"/> covering <paramref name="count"/> items, folded into y past 65,535.</summary>
    internal static GpuWorkgroups Grid(long count, int groupSize)
    {
        long groups = Math.Max(1, (count + groupSize - 1) / groupSize);
        long x = Math.Min(groups, 65_535);
        return new GpuWorkgroups((uint)x, (uint)((groups + x - 1) / x));
    }

    /// <summary>The bytes of <paramref name="count"/> floats padded to whole vec4s, for the element-wise kernels.</summary>
    internal static long VectorBytes(long count) => (count + TensorShaders.VectorWidth - 1) / TensorShaders.VectorWidth * TensorShaders.VectorWidth * sizeof(float);

    /// <summary>The grid of an element-wise kernel over <paramref name="count"/> floats, a vec4 an invocation.</summary>
    internal static GpuWorkgroups VectorGrid(long count) => Grid((count + TensorShaders.VectorWidth - 1) / TensorShaders.VectorWidth, TensorShaders.GroupSize);

    /// <summary>A buffer of whole vec4s holding <paramref name="values"/>, the padding zeroed.</summary>
    internal static GpuBuffer UploadVectors(GpuDevice device, ReadOnlySpan<float> values)
    {
        GpuBuffer buffer = device.CreateBuffer(VectorBytes(values.Length));
        device.Write(buffer, MemoryMarshal.AsBytes(values));
        return buffer;
    }

    internal static GpuBuffer Upload(GpuDevice device, ReadOnlySpan<float> values)
    {
        GpuBuffer buffer = device.CreateBuffer((long)values.Length * sizeof(float));
        device.Write(buffer, MemoryMarshal.AsBytes(values));
        return buffer;
    }

    private static float Reduce(GpuDevice device, string shader, GpuBuffer[] inputs, int length)
    {
        int groups = (length + TensorShaders.ReductionItems - 1) / TensorShaders.ReductionItems;
        using GpuBuffer partial = device.CreateBuffer((long)groups * sizeof(float));
        device.Enqueue(shader, "main", [.. inputs, partial], Grid(groups, 1));
        float[] sums = new float[groups];
        device.Read(partial, MemoryMarshal.AsBytes(sums.AsSpan()));
        return TensorPrimitives.Sum(sums);
    }

    private delegate void BinaryKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination);

    private static Tensor Binary(Tensor x, Tensor y, string verb, BinaryKernel operation)
    {
        TensorShapes.SameShape(x, y, verb);
        float[] result = new float[x.Length];
        operation(x.Data, y.Data, result);
        return new Tensor(x.Shape, result);
    }

    private void Binary(char op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination)
    {
        TensorShapes.CheckLengths(x.Length, y.Length, destination.Length);
        if (x.IsEmpty)
        {
            return;
        }

        GpuDevice device = _executor.Device;
        using GpuBuffer a = UploadVectors(device, x);
        using GpuBuffer b = UploadVectors(device, y);
        using GpuBuffer c = device.CreateBuffer(VectorBytes(x.Length));
        device.Enqueue(TensorShaders.Binary(op), "main", [a, b, c], VectorGrid(x.Length));
        device.Read(c, MemoryMarshal.AsBytes(destination));
    }
}
