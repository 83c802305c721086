using Microsoft.Extensions.Time.Testing;
using Repartir.Remote;

namespace Repartir.Tests.Remote;

public sealed class RefusalLogTests
{
    [Fact]
    public void A_flood_of_one_kind_of_refusal_is_logged_once_per_interval_with_the_count_it_left_unsaid()
    {
        var clock = new FakeTimeProvider();
        var log = new MemoryLogger();
        var refusals = new RefusalLog(clock);

        for (int i = 0; i < 500; i++)
        {
            refusals.Log(log, "connection", $"from 10.0.0.{i % 250}: the limit");
        }

        refusals.Log(log, "task", "not allowed"); // another kind has its own interval
        clock.Advance(RefusalLog.Interval);
        refusals.Log(log, "connection", "from 10.0.0.9: the limit");

        string[] lines = log.Text.Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.EndsWith("Refused connection: from 10.0.0.0: the limit", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("Refused task: not allowed", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("Refused connection: from 10.0.0.9: the limit (and 499 more in the last 10 s, not logged one by one)", lines[2], StringComparison.Ordinal);
    }
}
