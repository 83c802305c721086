namespace Repartir.Scheduling;

/// <summary>An attempt running now, on a CPU worker of the pool or on a remote worker, and since when (a <see cref="TimeProvider"/> timestamp of the pool's clock).</summary>
internal sealed record RunningAttempt(TaskAttempt Attempt, long Since);
