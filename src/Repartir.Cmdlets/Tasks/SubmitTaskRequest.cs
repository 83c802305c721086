using Repartir.Tasks;

namespace Repartir.Cmdlets.Tasks;

/// <summary>What Submit-RepartirTask's parameters say, once bound and checked: the same for every input item.</summary>
public sealed record SubmitTaskRequest
{
    /// <summary>The program: a name looked up on PATH, or an absolute path; empty for a script block.</summary>
    public string FilePath { get; init; } = string.Empty;

    /// <summary>The arguments with their placeholders (a program's).</summary>
    public ArgumentTemplate Arguments { get; init; } = ArgumentTemplate.Parse([], PlaceholderSyntax.ItemAndProperties);

    /// <summary>The script block every task runs instead of a program, with its <c>$using:</c> values and runspaces; null for a program.</summary>
    internal Scripts.ScriptDefinition? Script { get; init; }

    /// <summary>With <see cref="Script"/>: write each task's output and records to the caller's streams instead of a result object.</summary>
    public bool Stream { get; init; }

    /// <summary>Environment changes (null value removes).</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>The directory tasks start in.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Scheduling priority.</summary>
    public TaskPriority Priority { get; init; } = TaskPriority.Normal;

    /// <summary>Where each task runs.</summary>
    public Backend Backend { get; init; } = Backend.Auto;

    /// <summary>Per-attempt timeout.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Retries for transient failures.</summary>
    public RetryPolicy Retry { get; init; } = RetryPolicy.None;

    /// <summary>Emit results in input order instead of completion order.</summary>
    public bool Ordered { get; init; }

    /// <summary>Emit task handles at once instead of results.</summary>
    public bool NoWait { get; init; }

    /// <summary>Run the tasks as one PowerShell job (a child job per task) and emit the job once the input has ended.</summary>
    public bool AsJob { get; init; }

    /// <summary>Write a failed task as a non-terminating TaskFailed error instead of a result object.</summary>
    public bool ErrorOnFailure { get; init; }

    /// <summary>The run's journal: successes are recorded, and those an earlier run recorded are not run again; null for none.</summary>
    public string? Journal { get; init; }

    /// <summary>Discard what <see cref="Journal"/> recorded before running.</summary>
    public bool RestartJournal { get; init; }

    /// <summary>The checkpoint store's directory holding the journal; null for the default store.</summary>
    public string? JournalStore { get; init; }
}
