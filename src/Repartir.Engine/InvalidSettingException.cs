namespace Repartir;

/// <summary>
/// A setting — a field of a task, a pool, a worker or an executor — that is empty, malformed or out of range.
/// Its message is written for people and names the setting itself, so unlike a plain
/// <see cref="ArgumentException"/> it carries no "(Parameter …)" or "Actual value was …" suffix;
/// <see cref="ArgumentException.ParamName"/> still says which setting it is.
/// </summary>
public sealed class InvalidSettingException : ArgumentException
{
    private readonly string _message;

    /// <summary>Creates the exception for <paramref name="settingName"/>.</summary>
    /// <param name="settingName">The setting that is wrong, as the code names it.</param>
    /// <param name="message">A sentence a person can act on; it names the setting and, where it helps, the value.</param>
    public InvalidSettingException(string settingName, string message)
        : base(message, settingName)
    {
        _message = message;
    }

    /// <inheritdoc />
    public override string Message => _message;
}
