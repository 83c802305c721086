using System.Text;
using System.Text.Unicode;

namespace Repartir.Tasks;

/// <summary>
/// How text that came from bytes maps back to those bytes. On Linux an argument is bytes, not text, and input
/// read from a file need not be UTF-8; .NET strings are UTF-16. <see cref="Decode"/> reads UTF-8 and keeps each
/// byte that is not part of a valid sequence as one lone low surrogate, U+DC80 to U+DCFF (Python's
/// "surrogateescape", PEP 383); <see cref="GetByteCount"/> and <see cref="Encode"/> turn such a surrogate back
/// into its byte. Valid UTF-8 never decodes to a lone surrogate, so the round trip is exact; text without those
/// surrogates encodes as plain UTF-8.
/// </summary>
public static class ArgumentBytes
{
    private const char FirstEscape = '\uDC80';
    private const char LastEscape = '\uDCFF';

    /// <summary>The bytes as text: UTF-8, with every byte outside a valid sequence kept as U+DC80 + (byte − 0x80).</summary>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
        {
            return Encoding.UTF8.GetString(bytes);
        }

        var text = new StringBuilder(bytes.Length);
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out Rune rune, out int consumed) == System.Buffers.OperationStatus.Done)
            {
                text.Append(rune);
                bytes = bytes[consumed..];
            }
            else
            {
                // One byte at a time: the next may start a valid sequence of its own.
                text.Append((char)(0xDC00 + bytes[0]));
                bytes = bytes[1..];
            }
        }

        return text.ToString();
    }

    /// <summary>Whether <paramref name="text"/> holds bytes that are not UTF-8 (see <see cref="Decode"/>).</summary>
    public static bool HasEscapedBytes(ReadOnlySpan<char> text) => text.IndexOfAnyInRange(FirstEscape, LastEscape) >= 0 && CountEscapes(text) > 0;

    /// <summary>How many bytes <see cref="Encode"/> writes for <paramref name="text"/>.</summary>
    public static int GetByteCount(ReadOnlySpan<char> text)
    {
        if (text.IndexOfAnyInRange(FirstEscape, LastEscape) < 0)
        {
            return Encoding.UTF8.GetByteCount(text);
        }

        int count = 0;
        while (!text.IsEmpty)
        {
            count += Next(ref text, out _, out Rune rune) ? 1 : rune.Utf8SequenceLength;
        }

        return count;
    }

    /// <summary>Writes <paramref name="text"/> as bytes (UTF-8, escaped bytes as themselves) and returns how many.</summary>
    public static int Encode(ReadOnlySpan<char> text, Span<byte> destination)
    {
        if (text.IndexOfAnyInRange(FirstEscape, LastEscape) < 0)
        {
            return Encoding.UTF8.GetBytes(text, destination);
        }

        int written = 0;
        while (!text.IsEmpty)
        {
            if (Next(ref text, out byte escaped, out Rune rune))
            {
                destination[written++] = escaped;
            }
            else
            {
                written += rune.EncodeToUtf8(destination[written..]);
            }
        }

        return written;
    }

    /// <summary>The bytes of <paramref name="text"/> (see <see cref="Encode"/>).</summary>
    public static byte[] GetBytes(string text)
    {
        var bytes = new byte[GetByteCount(text)];
        Encode(text, bytes);
        return bytes;
    }

    private static int CountEscapes(ReadOnlySpan<char> text)
    {
        int escapes = 0;
        while (!text.IsEmpty)
        {
            escapes += Next(ref text, out _, out _) ? 1 : 0;
        }

        return escapes;
    }

    /// <summary>Takes the next scalar or escaped byte off <paramref name="text"/>; true for an escaped byte.</summary>
    private static bool Next(ref ReadOnlySpan<char> text, out byte escaped, out Rune rune)
    {
        if (Rune.DecodeFromUtf16(text, out rune, out int consumed) == System.Buffers.OperationStatus.Done)
        {
            text = text[consumed..];
            escaped = 0;
            return false;
        }

        char lone = text[0];
        text = text[1..];
        if (lone is >= FirstEscape and <= LastEscape)
        {
            escaped = (byte)(lone - 0xDC00);
            return true;
        }

        // Any other lone surrogate is not text: UTF-8 writes it as U+FFFD, as Encoding.UTF8 does.
        rune = Rune.ReplacementChar;
        escaped = 0;
        return false;
    }
}
