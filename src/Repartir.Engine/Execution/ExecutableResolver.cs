using System.Text;
using Repartir.Execution.Native;
using Repartir.Tasks;

namespace Repartir.Execution;

/// <summary>Finds the file a task's executable names, the way a POSIX shell does.</summary>
internal static unsafe class ExecutableResolver
{
    /// <summary>Used when the environment has no PATH at all (the value POSIX shells fall back to).</summary>
    internal const string DefaultSearchPath = "/usr/local/bin:/usr/bin:/bin";

    /// <summary>The outcome of a lookup: a full path, or the failure and its message.</summary>
    internal readonly record struct Resolution(string? FullPath, FailureKind Failure, string? Message);

    /// <summary>
    /// Resolves <paramref name="executable"/>: a name without a slash is searched on <paramref name="searchPath"/>,
    /// a path is taken relative to the current directory.
    /// </summary>
    internal static Resolution Resolve(string executable, string? searchPath)
    {
        if (executable.Contains('/', StringComparison.Ordinal))
        {
            string full = Path.GetFullPath(executable);
            return Check(full) switch
            {
                FailureKind.None => new Resolution(full, FailureKind.None, null),
                FailureKind.NotFound => new Resolution(null, FailureKind.NotFound, $"'{executable}' does not exist."),
                _ when Directory.Exists(full) => new Resolution(null, FailureKind.NotExecutable, $"'{executable}' is a directory, not a program."),
                _ => new Resolution(null, FailureKind.NotExecutable, $"'{executable}' is not executable (permission denied)."),
            };
        }

        string? notExecutable = null;
        foreach (string directory in (searchPath ?? DefaultSearchPath).Split(':'))
        {
            // An empty PATH entry means the current directory, as in every POSIX shell.
            string candidate = Path.Combine(directory.Length == 0 ? "." : directory, executable);
            switch (Check(candidate))
            {
                case FailureKind.None:
                    return new Resolution(Path.GetFullPath(candidate), FailureKind.None, null);
                case FailureKind.NotExecutable when !Directory.Exists(candidate):
                    notExecutable ??= candidate;
                    break;
            }
        }

        return notExecutable is not null
            ? new Resolution(null, FailureKind.NotExecutable, $"'{executable}' was found at '{notExecutable}' but is not executable (permission denied).")
            : new Resolution(null, FailureKind.NotFound, $"'{executable}' was not found on PATH.");
    }

    private static FailureKind Check(string path)
    {
        if (!File.Exists(path))
        {
            return Directory.Exists(path) ? FailureKind.NotExecutable : FailureKind.NotFound;
        }

        int length = Encoding.UTF8.GetByteCount(path);
        Span<byte> bytes = length < 1024 ? stackalloc byte[length + 1] : new byte[length + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        bytes[length] = 0;
        fixed (byte* p = bytes)
        {
            return LibC.Access(p, LibC.X_OK) == 0 ? FailureKind.None : FailureKind.NotExecutable;
        }
    }
}
