namespace Repartir.Remote.Wire;

/// <summary>What was wrong with MessagePack input.</summary>
public enum MessagePackError
{
    /// <summary>The input ended inside a value.</summary>
    Truncated,

    /// <summary>A string, binary or extension declares more bytes than the input has.</summary>
    LengthExceedsInput,

    /// <summary>Arrays and maps are nested deeper than the reader allows.</summary>
    TooDeep,

    /// <summary>An array or map declares more elements than the reader allows (or than the input could hold).</summary>
    CollectionTooLarge,

    /// <summary>A value of another type was found where one type was expected.</summary>
    UnexpectedType,

    /// <summary>The byte 0xc1, which the specification says is never used.</summary>
    ReservedByte,

    /// <summary>An integer does not fit the requested type.</summary>
    Overflow,

    /// <summary>A string is not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>A timestamp extension of a size the specification does not define, or with nanoseconds ≥ 10⁹.</summary>
    InvalidTimestamp,
}

/// <summary>MessagePack input the reader refuses; nothing was allocated for the offending value.</summary>
public sealed class MessagePackFormatException : FormatException
{
    /// <summary>Creates the exception for <paramref name="error"/> at byte <paramref name="offset"/>.</summary>
    public MessagePackFormatException(MessagePackError error, long offset, string message)
        : base($"{message} (at byte {offset})")
    {
        Error = error;
        Offset = offset;
    }

    /// <summary>What was wrong.</summary>
    public MessagePackError Error { get; }

    /// <summary>Where the offending value starts.</summary>
    public long Offset { get; }
}
