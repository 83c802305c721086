namespace Repartir.Cmdlets.Output;

/// <summary>Thrown by cmdlet logic for a whole-call failure; the cmdlet turns it into ThrowTerminatingError.</summary>
public sealed class TerminatingCommandException : Exception
{
    /// <summary>Wraps <paramref name="error"/>.</summary>
    public TerminatingCommandException(CommandError error)
        : base(error?.Exception.Message, error?.Exception)
    {
        Error = error ?? throw new ArgumentNullException(nameof(error));
    }

    /// <summary>The error to report.</summary>
    public CommandError Error { get; }
}
