using Repartir.Checkpoints;
using Repartir.Cmdlets.Naming;
using Repartir.Cmdlets.Output;

namespace Repartir.Cmdlets.Checkpoints;

/// <summary>The behaviour of Save-, Restore-, Get- and Remove-RepartirCheckpoint, free of PowerShell.</summary>
public static class CheckpointCommands
{
    /// <summary>Save-RepartirCheckpoint: stores <paramref name="state"/> as the next version of <paramref name="name"/> and writes its info.</summary>
    /// <exception cref="TerminatingCommandException">The state holds a value a checkpoint cannot, or the store cannot be written.</exception>
    public static void Save(string? directory, string name, object? state, long? iteration, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (!sink.ShouldProcess($"{name} in {CheckpointStore.FullPath(directory)}", "Save a new version of the checkpoint"))
        {
            return; // before the store is opened: -WhatIf creates nothing
        }

        Use(directory, name, store =>
        {
            try
            {
                sink.WriteObject(store.Save(name, state, iteration, PowerShellState.Unwrap));
            }
            catch (StateTreeException e)
            {
                throw new TerminatingCommandException(ErrorRecords.NotStorable(name, e));
            }
        });
    }

    /// <summary>Restore-RepartirCheckpoint: writes the state of the latest version of <paramref name="name"/>, or of the given version or iteration, once its hash is checked.</summary>
    /// <returns>The state, for the cmdlet to write as one object (an array stays an array; null is a state too).</returns>
    /// <exception cref="TerminatingCommandException">No such version, a damaged one, or a store that cannot be read.</exception>
    public static object? Restore(string? directory, string name, long? version, long? iteration, bool asHashtable, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        object? restored = null;
        Use(directory, name, mustExist: true, store =>
        {
            (CheckpointInfo info, object? state) = store.Restore(name, version, iteration);
            sink.WriteVerbose($"Restored checkpoint '{info.Name}' version {info.Version} ({info.Size} bytes, SHA-256 verified) from {info.Store}.");
            try
            {
                restored = PowerShellState.ToPowerShell(state, asHashtable);
            }
            catch (StateTreeException e)
            {
                throw new TerminatingCommandException(ErrorRecords.NotRestorable(name, e));
            }
        });
        return restored;
    }

    /// <summary>Get-RepartirCheckpoint: every version of the checkpoints the names select (all when none), or only the latest of each.</summary>
    /// <exception cref="TerminatingCommandException">The store cannot be read.</exception>
    public static void Get(string? directory, IReadOnlyList<string>? names, bool latestOnly, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        string full = CheckpointStore.FullPath(directory);
        IReadOnlyList<CheckpointInfo> all = [];
        if (CheckpointStore.Exists(full))
        {
            Use(directory, names is [var only] ? only : "*", store => all = store.List()); // no store there: nothing to list, nothing created
        }

        foreach (string name in NameSelection.Select(all.Select(v => v.Name).Distinct(StringComparer.Ordinal).ToList(), n => n, names, n => ErrorRecords.NoSuchCheckpoint(n, null, full), sink))
        {
            IEnumerable<CheckpointInfo> versions = all.Where(v => v.Name == name);
            foreach (CheckpointInfo info in latestOnly ? versions.TakeLast(1) : versions)
            {
                sink.WriteObject(info);
            }
        }
    }

    /// <summary>
    /// Remove-RepartirCheckpoint: removes the given versions of <paramref name="name"/>, or those -KeepLast and
    /// -OlderThan select, or every version; one ShouldProcess per version.
    /// </summary>
    /// <exception cref="TerminatingCommandException">The store cannot be written, or a setting is out of range.</exception>
    public static void Remove(string? directory, string name, IReadOnlyList<long>? versions, int? keepLast, TimeSpan? olderThan, DateTimeOffset now, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (olderThan < TimeSpan.Zero)
        {
            throw new TerminatingCommandException(ErrorRecords.BadCheckpointSettings(name, new InvalidSettingException("OlderThan", $"-OlderThan is an age and cannot be negative ({olderThan}).")));
        }

        if (!CheckpointStore.Exists(directory))
        {
            // As for a store without the name (an error unless retention was asked for), and nothing is created.
            if (versions is { Count: > 0 } || (keepLast is null && olderThan is null))
            {
                sink.WriteError(ErrorRecords.NoSuchCheckpoint(name, null, CheckpointStore.FullPath(directory)));
            }

            return;
        }

        Use(directory, name, store =>
        {
            IReadOnlyList<CheckpointInfo> selected = store.Expired(name, keepLast, now - olderThan);
            if (versions is { Count: > 0 })
            {
                foreach (long missing in versions.Where(v => !selected.Any(s => s.Version == v)))
                {
                    sink.WriteError(ErrorRecords.NoSuchCheckpoint(name, missing, store.Directory));
                }

                selected = [.. selected.Where(s => versions.Contains(s.Version))];
            }
            else if (selected.Count == 0 && keepLast is null && olderThan is null)
            {
                sink.WriteError(ErrorRecords.NoSuchCheckpoint(name, null, store.Directory));
            }

            CheckpointInfo[] doomed = [.. selected.Where(v => sink.ShouldProcess($"{v.Name} version {v.Version} in {v.Store}", "Remove the checkpoint version"))];
            store.Remove(doomed);
            sink.WriteVerbose($"Removed {doomed.Length} version(s) of checkpoint '{name}' from {store.Directory}.");
        });
    }

    private static void Use(string? directory, string name, Action<CheckpointStore> action) => Use(directory, name, mustExist: false, action);

    /// <summary>Opens the store (with <paramref name="mustExist"/>, only one that is there: a reading command creates nothing) and runs <paramref name="action"/> on it.</summary>
    private static void Use(string? directory, string name, bool mustExist, Action<CheckpointStore> action)
    {
        try
        {
            using CheckpointStore store = mustExist ? CheckpointStore.OpenExisting(directory, name) : new CheckpointStore(directory);
            action(store);
        }
        catch (CheckpointException e)
        {
            throw new TerminatingCommandException(ErrorRecords.CheckpointFailed(name, e));
        }
        catch (InvalidSettingException e)
        {
            throw new TerminatingCommandException(ErrorRecords.BadCheckpointSettings(name, e));
        }
    }
}
