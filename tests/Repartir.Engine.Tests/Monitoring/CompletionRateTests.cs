using Microsoft.Extensions.Time.Testing;
using Repartir.Scheduling;

namespace Repartir.Tests.Monitoring;

public sealed class CompletionRateTests
{
    [Fact]
    public void The_rate_is_the_completions_of_the_last_ten_seconds_per_second()
    {
        var clock = new FakeTimeProvider();
        var rate = new CompletionRate(clock);
        Assert.Equal(0, rate.PerSecond);

        for (int second = 0; second < 4; second++)
        {
            for (int i = 0; i < 5; i++)
            {
                rate.Record();
            }

            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(5, rate.PerSecond, precision: 6); // 20 in 4 s: the young pool is not judged over ten

        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(2, rate.PerSecond, precision: 6); // the same 20 over the full window

        clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(0, rate.PerSecond); // they have left the window; the ring's old counts are not read again

        rate.Record();
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(1 / 10.5, rate.PerSecond, precision: 6);
    }
}
