using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Repartir.Cli;

/// <summary>
/// <c>repartir run --progress</c>: one line on stderr, redrawn in place (carriage return, no escape codes, so a dumb
/// terminal shows it too) at most every 100 ms: a bar once the input's end is known, counts, throughput and ETA, as
/// GNU parallel's <c>--bar</c> does. Anything else written to the terminal clears the line first and redraws it after.
/// Only when stderr is a terminal: redirected, the option draws nothing (a log is no place for a redrawn line).
/// </summary>
internal sealed class ProgressLine
{
    private static readonly long Interval = Stopwatch.Frequency / 10;
    private readonly Stream _stderr;
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _submitted;
    private long _done;
    private long _failed;
    private long _drawnAt;
    private int _width;
    private volatile bool _inputEnded;

    private ProgressLine(Stream stderr) => _stderr = stderr;

    /// <summary>A progress line when asked for and stderr is a terminal; null otherwise.</summary>
    internal static ProgressLine? For(bool asked, Stream stderr) => asked && !Console.IsErrorRedirected ? new ProgressLine(stderr) : null;

    /// <summary>A task was read from the input and submitted.</summary>
    internal void Submitted() => Interlocked.Increment(ref _submitted);

    /// <summary>The input has ended: the total is known.</summary>
    internal void InputEnded() => _inputEnded = true;

    /// <summary>A result arrived; redraws when the last drawing is 100 ms old.</summary>
    internal void Finished(bool success)
    {
        _done++;
        if (!success)
        {
            _failed++;
        }

        long now = Stopwatch.GetTimestamp();
        if (now - _drawnAt >= Interval)
        {
            _drawnAt = now;
            Draw();
        }
    }

    /// <summary>Blanks the line, before other output goes to the terminal.</summary>
    internal void Clear()
    {
        if (_width > 0)
        {
            Write("\r" + new string(' ', _width) + "\r");
            _width = 0;
            _drawnAt = 0; // redrawn with the next result
        }
    }

    /// <summary>Draws the line as it stands.</summary>
    internal void Draw()
    {
        double seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        double rate = seconds > 0 ? _done / seconds : 0;
        long total = Interlocked.Read(ref _submitted);
        var line = new StringBuilder();
        if (_inputEnded && total > 0)
        {
            const int Bar = 20;
            int filled = (int)(Bar * _done / total);
            line.Append('[').Append('#', filled).Append('.', Bar - filled).Append("] ");
            line.Append(CultureInfo.InvariantCulture, $"{_done}/{total} {100 * _done / total}%");
        }
        else
        {
            line.Append(CultureInfo.InvariantCulture, $"{_done}/{total}+");
        }

        line.Append(CultureInfo.InvariantCulture, $", {_failed} failed, {rate:0.#}/s");
        if (_inputEnded && rate > 0 && total > _done)
        {
            line.Append(CultureInfo.InvariantCulture, $", ETA {TimeSpan.FromSeconds(Math.Ceiling((total - _done) / rate)):g}");
        }

        string text = line.ToString();
        Write("\r" + text + (text.Length < _width ? new string(' ', _width - text.Length) : string.Empty));
        _width = text.Length;
    }

    /// <summary>The final drawing, and the line ended so the prompt starts below it.</summary>
    internal void Complete()
    {
        Draw();
        Write("\n");
        _width = 0;
    }

    private void Write(string text)
    {
        _stderr.Write(Encoding.UTF8.GetBytes(text));
        _stderr.Flush();
    }
}
