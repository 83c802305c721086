namespace Repartir;

/// <summary>
/// The one exponential back-off: a task's retries (<see cref="Tasks.RetryPolicy"/>) and a pool's reconnects to a
/// worker (<see cref="Remote.RemoteOptions"/>) both wait <c>initial × multiplier^n</c>, capped.
/// </summary>
internal static class Backoff
{
    /// <summary>The wait after <paramref name="previousWaits"/> earlier ones (0 for the first): never above <paramref name="max"/>.</summary>
    internal static TimeSpan Delay(TimeSpan initial, double multiplier, TimeSpan max, int previousWaits)
    {
        double ticks = initial.Ticks * Math.Pow(multiplier, Math.Min(previousWaits, 1000));
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>
    /// <paramref name="delay"/> spread by ±20 %: peers that lost a worker together do not all knock on it again in
    /// the same instant.
    /// </summary>
    internal static TimeSpan Jittered(TimeSpan delay) => TimeSpan.FromTicks((long)(delay.Ticks * (0.8 + (0.4 * Random.Shared.NextDouble()))));
}
