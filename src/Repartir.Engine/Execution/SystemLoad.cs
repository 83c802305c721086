using System.Globalization;

namespace Repartir.Execution;

/// <summary>This machine's load average, as the kernel reports it (Linux <c>/proc/loadavg</c>).</summary>
internal static class SystemLoad
{
    /// <summary>The one-minute load average; −1 where it cannot be read.</summary>
    internal static double OneMinute()
    {
        try
        {
            string text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
        {
            return -1;
        }
    }
}
