namespace Repartir.Tensors;

/// <summary>A dense f32 tensor: a shape and its values, contiguous, in row-major order.</summary>
public sealed class Tensor
{
    private readonly int[] _shape;

    /// <summary>A tensor of <paramref name="shape"/> over <paramref name="data"/> (not copied).</summary>
    /// <exception cref="TensorShapeException">A dimension is not positive, or the shape does not hold exactly the data's length.</exception>
    public Tensor(IReadOnlyList<int> shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        if (shape.Count == 0 || shape.Any(d => d <= 0))
        {
            throw new TensorShapeException($"A tensor's shape needs one or more positive dimensions, not [{string.Join(", ", shape)}].");
        }

        long elements = shape.Aggregate(1L, (product, d) => product * d);
        if (elements != data.Length)
        {
            throw new TensorShapeException($"A tensor of shape [{string.Join(", ", shape)}] holds {elements} values, but {data.Length} were given.");
        }

        _shape = [.. shape];
        Data = data;
    }

    /// <summary>The dimensions, outermost first.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>The values in row-major order.</summary>
    public float[] Data { get; }

    /// <summary>How many values it holds.</summary>
    public int Length => Data.Length;

    /// <summary>A one-dimensional tensor over <paramref name="values"/>.</summary>
    public static Tensor Vector(float[] values) => new([values?.Length ?? 0], values!);

    /// <summary>A <paramref name="rows"/> × <paramref name="columns"/> matrix over <paramref name="values"/> (row-major).</summary>
    public static Tensor Matrix(int rows, int columns, float[] values) => new([rows, columns], values);

    /// <summary>The shape as people write it: <c>[3, 4]</c>.</summary>
    public string ShapeText => $"[{string.Join(", ", _shape)}]";

    /// <inheritdoc />
    public override string ToString() => $"Tensor {ShapeText}";
}
