using System.Globalization;

namespace Repartir.Cli;

/// <summary>Parses sizes as people type them: <c>512K</c>, <c>16M</c>, <c>1G</c> (powers of 1024), or plain bytes.</summary>
internal static class ByteSize
{
    internal static bool TryParse(string text, out int bytes, out string? error)
    {
        bytes = 0;
        string trimmed = text.Trim();
        (string number, long scale) = trimmed.Length > 0 ? char.ToUpperInvariant(trimmed[^1]) switch
        {
            'K' => (trimmed[..^1], 1L << 10),
            'M' => (trimmed[..^1], 1L << 20),
            'G' => (trimmed[..^1], 1L << 30),
            _ => (trimmed, 1L),
        } : (trimmed, 1L);
        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            error = $"'{text}' is not a size (examples: 512K, 16M, 1G, or bytes).";
            return false;
        }

        if (value > int.MaxValue / scale)
        {
            error = $"'{text}' is too large: at most 2G - 1 bytes are kept per stream.";
            return false;
        }

        bytes = (int)(value * scale);
        error = null;
        return true;
    }
}
