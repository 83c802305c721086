namespace Repartir.Tensors;

/// <summary>The tensor operations every backend offers.</summary>
public enum TensorOperation
{
    /// <summary>x + y, element by element.</summary>
    Add,

    /// <summary>x − y, element by element.</summary>
    Subtract,

    /// <summary>x × y, element by element.</summary>
    Multiply,

    /// <summary>x ÷ y, element by element.</summary>
    Divide,

    /// <summary>x × a scalar.</summary>
    Scale,

    /// <summary>The dot product of x and y.</summary>
    Dot,

    /// <summary>The sum of x.</summary>
    Sum,

    /// <summary>The matrix product of two 2-D tensors.</summary>
    MatMul,
}

/// <summary>Where tensor work runs.</summary>
public enum TensorBackend
{
    /// <summary>This machine's CPU cores, vectorised (TensorPrimitives).</summary>
    Cpu,

    /// <summary>The chosen WebGPU adapter.</summary>
    Gpu,

    /// <summary>Chosen per call from the operation's complexity, its size, and the adapter's measured speeds.</summary>
    Auto,
}

/// <summary>How an operation's work grows with its size n (the seed's three classes).</summary>
public enum TensorComplexity
{
    /// <summary>O(n): element-wise operations and reductions.</summary>
    Low,

    /// <summary>O(n log n): sorts and transforms.</summary>
    Medium,

    /// <summary>O(n³) in a matrix's side (O(n^1.5) in its elements): matrix products.</summary>
    High,
}
