namespace Repartir.Tasks;

/// <summary>Which outcomes are worth another attempt.</summary>
[Flags]
public enum RetryOn
{
    /// <summary>Nothing is retried.</summary>
    None = 0,

    /// <summary>The process exited with a non-zero exit code.</summary>
    NonZeroExit = 1,

    /// <summary>The process ran past its timeout.</summary>
    TimedOut = 2,

    /// <summary>The process was killed by a signal it did not send itself a handler for.</summary>
    Signaled = 4,

    /// <summary>The operating system refused to start the process (often transient: process or memory limits).</summary>
    SpawnFailed = 8,

    /// <summary>
    /// Every transient failure. Missing or non-executable programs, cancellation and rejection are never retried; nor
    /// is a task lost with its worker: those runs are counted apart (<see cref="TaskResult.Losses"/>) and run again
    /// elsewhere up to <see cref="Remote.RemoteOptions.MaxWorkerLosses"/>, without using up retries.
    /// </summary>
    AnyTransient = NonZeroExit | TimedOut | Signaled | SpawnFailed,
}

/// <summary>
/// How many more attempts a failed task gets and how long to wait before each: the delay before
/// retry <c>n</c> (1-based) is <c>InitialDelay × Multiplier^(n-1)</c>, capped at <see cref="MaxDelay"/>.
/// A task waiting out its back-off does not hold a worker.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>No retries: one attempt only.</summary>
    public static RetryPolicy None { get; } = new();

    /// <summary>Retries after the first attempt (0 = run once).</summary>
    public int MaxRetries { get; init; }

    /// <summary>The delay before the first retry.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The factor each further delay grows by.</summary>
    public double Multiplier { get; init; } = 2.0;

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Which failures are retried.</summary>
    public RetryOn RetryOn { get; init; } = RetryOn.AnyTransient;

    /// <summary>A policy of <paramref name="maxRetries"/> retries with the default back-off.</summary>
    public static RetryPolicy WithRetries(int maxRetries) => new() { MaxRetries = maxRetries };

    /// <summary>Checks the policy's values, naming the one that is wrong.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (MaxRetries < 0)
        {
            throw new InvalidSettingException(nameof(MaxRetries), $"MaxRetries must be 0 or more, not {MaxRetries}.");
        }

        if (InitialDelay < TimeSpan.Zero)
        {
            throw new InvalidSettingException(nameof(InitialDelay), "InitialDelay must not be negative.");
        }

        if (MaxDelay < InitialDelay)
        {
            throw new InvalidSettingException(nameof(MaxDelay), "MaxDelay must be at least InitialDelay.");
        }

        if (!(Multiplier >= 1.0) || double.IsInfinity(Multiplier))
        {
            throw new InvalidSettingException(nameof(Multiplier), "Multiplier must be a finite number of at least 1.");
        }
    }

    /// <summary>The wait before retry number <paramref name="retry"/> (1 = the first retry).</summary>
    public TimeSpan DelayBefore(int retry)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        return Backoff.Delay(InitialDelay, Multiplier, MaxDelay, retry - 1);
    }

    /// <summary>Whether a result that came from attempt <paramref name="attempt"/> (1-based) earns another attempt.</summary>
    public bool ShouldRetry(TaskResult result, int attempt)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (attempt > MaxRetries)
        {
            return false;
        }

        RetryOn reason = result.Failure switch
        {
            FailureKind.None => result.ExitCode == 0 ? RetryOn.None : RetryOn.NonZeroExit,
            FailureKind.TimedOut => RetryOn.TimedOut,
            FailureKind.Signaled => RetryOn.Signaled,
            FailureKind.SpawnFailed => RetryOn.SpawnFailed,
            _ => RetryOn.None,
        };
        return reason != RetryOn.None && (RetryOn & reason) == reason;
    }
}
