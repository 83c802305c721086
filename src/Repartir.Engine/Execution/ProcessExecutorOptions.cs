namespace Repartir.Execution;

/// <summary>Limits the local process executor applies to every process it starts.</summary>
public sealed record ProcessExecutorOptions
{
    /// <summary>The default cap on each captured stream: 16 MiB.</summary>
    public const int DefaultMaxOutputBytes = 16 * 1024 * 1024;

    /// <summary>
    /// The most bytes kept of each of stdout and stderr; the rest is read and dropped, and the result says so.
    /// 0 keeps everything (up to the 2 GiB a single buffer can hold).
    /// </summary>
    public int MaxOutputBytes { get; init; } = DefaultMaxOutputBytes;

    /// <summary>
    /// After a timeout or cancel the process group gets SIGTERM; whatever is still alive this long
    /// after gets SIGKILL. Zero sends SIGKILL at once.
    /// </summary>
    public TimeSpan KillGracePeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// After the process exits, how long output from its leftover children (which still hold the
    /// pipes) is still collected before the result is returned without it.
    /// </summary>
    public TimeSpan OutputDrainGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Give every task this process's own stdout and stderr instead of pipes: its output goes straight to where this
    /// process writes, unlimited and as it is written, interleaved with other tasks' as with <c>xargs -P</c>, and is
    /// not captured (the result's streams are empty). For a program that only prints what its tasks write.
    /// </summary>
    public bool PassOutputThrough { get; init; }

    /// <summary>
    /// Read this process's environment once, when the executor starts, and give it to every task (with executable
    /// lookups on its PATH remembered), instead of reading and building it for every start. For a process whose
    /// environment does not change while it runs: the <c>repartir</c> executable. PowerShell changes it
    /// (<c>$env:</c>), so the module leaves this off and each task sees the environment of the moment it starts.
    /// </summary>
    public bool SnapshotEnvironment { get; init; }

    /// <summary>Checks the options, naming the one that is wrong.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (MaxOutputBytes < 0)
        {
            throw new InvalidSettingException(nameof(MaxOutputBytes), $"MaxOutputBytes must not be negative (0 keeps everything), not {MaxOutputBytes}.");
        }

        if (KillGracePeriod < TimeSpan.Zero)
        {
            throw new InvalidSettingException(nameof(KillGracePeriod), "KillGracePeriod must not be negative.");
        }

        if (OutputDrainGrace < TimeSpan.Zero)
        {
            throw new InvalidSettingException(nameof(OutputDrainGrace), "OutputDrainGrace must not be negative.");
        }
    }
}
