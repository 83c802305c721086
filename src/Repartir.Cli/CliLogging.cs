using Microsoft.Extensions.Logging;

namespace Repartir.Cli;

/// <summary>The one log format of the command line: single lines on stderr with UTC timestamps.</summary>
internal static class CliLogging
{
    internal static ILoggerFactory Create(LogLevel minimum) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(minimum)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fff ";
            o.UseUtcTimestamp = true;
        })
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
}
