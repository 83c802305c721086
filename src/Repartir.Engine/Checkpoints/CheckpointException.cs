namespace Repartir.Checkpoints;

/// <summary>A checkpoint cannot be saved or restored: not found, damaged, or a store that cannot be written. The message names the checkpoint and the store.</summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CheckpointException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
