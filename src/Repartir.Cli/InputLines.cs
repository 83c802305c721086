using System.Buffers;
using System.Runtime.CompilerServices;
using Repartir.Tasks;

namespace Repartir.Cli;

/// <summary>
/// The lines of <c>repartir run</c>'s input, as bytes first: a line is what ends at <c>\n</c> (a <c>\r</c> before
/// it is dropped, so CRLF files work), and a line that is not UTF-8 keeps its bytes (<see cref="ArgumentBytes"/>),
/// so a task receives exactly what was read. A text reader would have rewritten them to U+FFFD.
/// </summary>
internal static class InputLines
{
    private const int ChunkSize = 64 * 1024;

    internal static async IAsyncEnumerable<string> ReadAsync(Stream input, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkSize);
        var partial = new ArrayBufferWriter<byte>(); // a line that spans chunks
        try
        {
            int read;
            while ((read = await input.ReadAsync(chunk.AsMemory(0, ChunkSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                int start = 0;
                int end;
                while ((end = Array.IndexOf(chunk, (byte)'\n', start, read - start)) >= 0)
                {
                    string line;
                    if (partial.WrittenCount > 0)
                    {
                        partial.Write(chunk.AsSpan(start, end - start));
                        line = Line(partial.WrittenSpan);
                        partial.ResetWrittenCount();
                    }
                    else
                    {
                        line = Line(chunk.AsSpan(start, end - start));
                    }

                    start = end + 1;
                    yield return line;
                }

                partial.Write(chunk.AsSpan(start, read - start));
            }

            if (partial.WrittenCount > 0)
            {
                yield return Line(partial.WrittenSpan); // the last line need not end with \n
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static string Line(ReadOnlySpan<byte> bytes) =>
        ArgumentBytes.Decode(bytes.Length > 0 && bytes[^1] == (byte)'\r' ? bytes[..^1] : bytes);
}
