namespace Repartir.Checkpoints;

/// <summary>A value a checkpoint cannot hold, or a payload that is not a state tree; the message names where in the tree.</summary>
public sealed class StateTreeException : Exception
{
    /// <summary>Creates the exception for the value at <paramref name="path"/>.</summary>
    public StateTreeException(string path, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Path = path;
    }

    /// <summary>Where in the tree, as a script would write it: <c>$state.model.weights[3]</c>.</summary>
    public string Path { get; }
}
