using System.Collections;
using System.Collections.Concurrent;
using Repartir.Execution.Native;

namespace Repartir.Execution;

/// <summary>
/// What every task of an executor inherits, built once: the process's environment with the owner's marker, as the
/// native block <c>posix_spawn</c> takes, and the executables found on its PATH. For a process whose environment
/// does not change while it runs (<see cref="ProcessExecutorOptions.SnapshotEnvironment"/>); rebuilding both for
/// every spawn was most of a run's allocation.
/// </summary>
internal sealed unsafe class EnvironmentSnapshot : IDisposable
{
    private readonly string? _searchPath;
    private readonly ConcurrentDictionary<string, ExecutableResolver.Resolution> _found = new(StringComparer.Ordinal);
    private NativeStrings _native;

    internal EnvironmentSnapshot(string ownerEntry)
    {
        List<string> entries = Build(new Dictionary<string, string?>(), ownerEntry, out _searchPath);
        NativeBlock = _native.AddVector(entries);
    }

    /// <summary>The environment as a NULL-terminated vector of <c>NAME=value</c> strings; it lives as long as the snapshot.</summary>
    internal byte** NativeBlock { get; }

    /// <summary>
    /// Where <paramref name="executable"/> is. A name found on PATH is remembered (a file removed since fails at spawn,
    /// as NotFound); a name not found is looked up again next time, since it may have been installed meanwhile.
    /// </summary>
    internal ExecutableResolver.Resolution Resolve(string executable)
    {
        if (_found.TryGetValue(executable, out ExecutableResolver.Resolution known))
        {
            return known;
        }

        ExecutableResolver.Resolution resolution = ExecutableResolver.Resolve(executable, _searchPath);
        if (resolution.FullPath is not null && !executable.Contains('/', StringComparison.Ordinal))
        {
            _found.TryAdd(executable, resolution); // a relative path depends on the current directory: not remembered
        }

        return resolution;
    }

    /// <summary>
    /// The process's environment with <paramref name="changes"/> applied (a null value removes a variable) and the
    /// owner's marker last, as <c>NAME=value</c> strings; <paramref name="searchPath"/> is the PATH a task sees.
    /// </summary>
    internal static List<string> Build(IReadOnlyDictionary<string, string?> changes, string ownerEntry, out string? searchPath)
    {
        IDictionary inherited = System.Environment.GetEnvironmentVariables();
        var merged = new Dictionary<string, string>(inherited.Count + changes.Count, StringComparer.Ordinal);
        foreach (DictionaryEntry entry in inherited)
        {
            merged[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        // The owner's marker is the executor's to set: an inherited one (this process is itself a task) or one in the
        // task's changes would otherwise stand beside it and hide which owner a process belongs to.
        merged.Remove(OwnerWatchdog.EnvironmentVariable);

        foreach (KeyValuePair<string, string?> change in changes)
        {
            if (string.Equals(change.Key, OwnerWatchdog.EnvironmentVariable, StringComparison.Ordinal))
            {
                continue;
            }

            if (change.Value is null)
            {
                merged.Remove(change.Key);
            }
            else
            {
                merged[change.Key] = change.Value;
            }
        }

        searchPath = merged.GetValueOrDefault("PATH");
        var block = new List<string>(merged.Count + 1);
        foreach (KeyValuePair<string, string> pair in merged)
        {
            block.Add(pair.Key + "=" + pair.Value);
        }

        block.Add(ownerEntry);
        return block;
    }

    /// <summary>Frees the native block; only once no process is being started from it.</summary>
    public void Dispose() => _native.Dispose();
}
