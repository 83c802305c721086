using System.Globalization;

namespace Repartir.Cli;

/// <summary>Parses durations as people type them: <c>500ms</c>, <c>30s</c>, <c>2m</c>, <c>1h</c>, <c>7d</c>, <c>1.5s</c>, or plain seconds.</summary>
internal static class Duration
{
    internal static bool TryParse(string text, out TimeSpan duration, out string? error)
    {
        duration = default;
        string trimmed = text.Trim();
        (string number, double scale) = trimmed switch
        {
            _ when trimmed.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (trimmed[..^2], 0.001),
            _ when trimmed.EndsWith('s') || trimmed.EndsWith('S') => (trimmed[..^1], 1.0),
            _ when trimmed.EndsWith('m') || trimmed.EndsWith('M') => (trimmed[..^1], 60.0),
            _ when trimmed.EndsWith('h') || trimmed.EndsWith('H') => (trimmed[..^1], 3600.0),
            _ when trimmed.EndsWith('d') || trimmed.EndsWith('D') => (trimmed[..^1], 86400.0),
            _ => (trimmed, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)
            || double.IsNaN(value) || double.IsInfinity(value))
        {
            error = $"'{text}' is not a duration (examples: 500ms, 30s, 2m, 1h, 7d).";
            return false;
        }

        double seconds = value * scale;
        if (seconds <= 0 || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            error = $"'{text}' is out of range: a duration must be positive.";
            return false;
        }

        duration = TimeSpan.FromSeconds(seconds);
        error = null;
        return true;
    }
}
