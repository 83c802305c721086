namespace Repartir.Checkpoints;

/// <summary>A checkpoint cannot be saved or restored: not found, damaged, or a store that cannot be written. The message names the checkpoint and the store.</summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CheckpointException(CheckpointProblem problem, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Problem = problem;
    }

    /// <summary>What went wrong, for callers that react differently (an error category, an exit code).</summary>
    public CheckpointProblem Problem { get; }
}

/// <summary>The kinds of <see cref="CheckpointException"/>.</summary>
public enum CheckpointProblem
{
    /// <summary>No checkpoint has the name, version or iteration asked for.</summary>
    NotFound,

    /// <summary>A stored version does not match its hash or is not a state tree; other versions are unaffected.</summary>
    Damaged,

    /// <summary>The store cannot be opened, read or written: a read-only or full disk, a locked or foreign file.</summary>
    StoreUnavailable,
}
