using Repartir.Remote;

namespace Repartir.Tests.Remote;

public sealed class RemoteOptionsTests
{
    [Fact]
    public void Reconnection_waits_double_with_jitter_up_to_the_cap()
    {
        var options = new RemoteOptions { ReconnectInitialDelay = TimeSpan.FromMilliseconds(100), ReconnectMaxDelay = TimeSpan.FromSeconds(2) };

        for (int failures = 0; failures < 40; failures++)
        {
            double expected = Math.Min(100 * Math.Pow(2, failures), 2000);
            for (int sample = 0; sample < 20; sample++)
            {
                Assert.InRange(options.ReconnectDelay(failures).TotalMilliseconds, expected * 0.8 - 1e-6, expected * 1.2 + 1e-6);
            }
        }
    }

    [Fact]
    public void A_heartbeat_interval_alone_gives_an_offline_timeout_of_five_intervals()
    {
        RemoteOptions options = RemoteOptions.WithHeartbeat(TimeSpan.FromMilliseconds(200));

        Assert.Equal(TimeSpan.FromMilliseconds(200), options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), options.HeartbeatTimeout);
        Assert.Equal(new RemoteOptions().HeartbeatInterval * RemoteOptions.IntervalsBeforeOffline, new RemoteOptions().HeartbeatTimeout);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(3, 0)]
    [InlineData(4, 1)]
    [InlineData(8, 2)]
    [InlineData(64, 16)]
    public void The_default_prefetch_is_a_quarter_of_the_slots_so_none_for_small_workers(int slots, int prefetch)
    {
        Assert.Equal(prefetch, new RemoteOptions().PrefetchFor(slots));
        Assert.Equal(5, new RemoteOptions { Prefetch = 5 }.PrefetchFor(slots));
    }

    [Theory]
    [InlineData(nameof(RemoteOptions.HeartbeatInterval))]
    [InlineData(nameof(RemoteOptions.HeartbeatTimeout))]
    [InlineData(nameof(RemoteOptions.ReconnectMaxDelay))]
    [InlineData(nameof(RemoteOptions.MaxWorkerLosses))]
    [InlineData(nameof(RemoteOptions.MaxFrameLength))]
    [InlineData(nameof(RemoteOptions.Prefetch))]
    public void Invalid_settings_are_refused_naming_the_setting(string setting)
    {
        RemoteOptions options = setting switch
        {
            nameof(RemoteOptions.HeartbeatInterval) => new() { HeartbeatInterval = TimeSpan.Zero },
            nameof(RemoteOptions.HeartbeatTimeout) => new() { HeartbeatTimeout = TimeSpan.FromSeconds(1.5) },
            nameof(RemoteOptions.ReconnectMaxDelay) => new() { ReconnectMaxDelay = TimeSpan.FromMilliseconds(10) },
            nameof(RemoteOptions.MaxWorkerLosses) => new() { MaxWorkerLosses = 0 },
            nameof(RemoteOptions.Prefetch) => new() { Prefetch = -1 },
            _ => new() { MaxFrameLength = 100 },
        };

        Assert.Equal(setting, Assert.Throws<InvalidSettingException>(options.Validate).ParamName);
    }
}
