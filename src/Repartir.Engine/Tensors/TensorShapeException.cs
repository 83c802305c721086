namespace Repartir.Tensors;

/// <summary>Tensors whose shapes do not fit the operation (or a shape that is not one); the message gives both shapes.</summary>
public sealed class TensorShapeException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public TensorShapeException(string message)
        : base(message)
    {
    }
}
