namespace Repartir.Cmdlets.Output;

/// <summary>An argument could not be made from an input item: a placeholder names a property it lacks, or a script block argument failed.</summary>
public sealed class ArgumentExpansionException : Exception
{
    /// <summary>Creates the exception with a message that names the argument and what went wrong.</summary>
    public ArgumentExpansionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
