using Repartir.Tasks;

namespace Repartir.Tests.Tasks;

public sealed class RetryPolicyTests
{
    private static TaskResult Result(FailureKind failure, int? exitCode = null) => new()
    {
        Id = new TaskId(1),
        Name = "t",
        Spec = new TaskSpec("true"),
        Failure = failure,
        ExitCode = exitCode,
    };

    [Fact]
    public void Delays_grow_exponentially_up_to_the_cap()
    {
        var policy = new RetryPolicy { MaxRetries = 10, InitialDelay = TimeSpan.FromMilliseconds(100), Multiplier = 3, MaxDelay = TimeSpan.FromSeconds(2) };

        Assert.Equal(TimeSpan.FromMilliseconds(100), policy.DelayBefore(1));
        Assert.Equal(TimeSpan.FromMilliseconds(300), policy.DelayBefore(2));
        Assert.Equal(TimeSpan.FromMilliseconds(900), policy.DelayBefore(3));
        Assert.Equal(TimeSpan.FromSeconds(2), policy.DelayBefore(4));
        Assert.Equal(TimeSpan.FromSeconds(2), policy.DelayBefore(60));
    }

    [Fact]
    public void Transient_failures_are_retried_until_attempts_run_out()
    {
        RetryPolicy policy = RetryPolicy.WithRetries(2);

        Assert.True(policy.ShouldRetry(Result(FailureKind.None, 1), attempt: 1));
        Assert.True(policy.ShouldRetry(Result(FailureKind.TimedOut), attempt: 2));
        Assert.False(policy.ShouldRetry(Result(FailureKind.None, 1), attempt: 3));
        Assert.False(policy.ShouldRetry(Result(FailureKind.None, 0), attempt: 1));
    }

    [Theory]
    [InlineData(FailureKind.NotFound)]
    [InlineData(FailureKind.NotExecutable)]
    [InlineData(FailureKind.Cancelled)]
    [InlineData(FailureKind.Rejected)]
    public void Permanent_failures_are_never_retried(FailureKind failure)
    {
        Assert.False(RetryPolicy.WithRetries(5).ShouldRetry(Result(failure), attempt: 1));
    }

    [Fact]
    public void RetryOn_selects_which_failures_count()
    {
        var policy = new RetryPolicy { MaxRetries = 3, RetryOn = RetryOn.TimedOut };

        Assert.True(policy.ShouldRetry(Result(FailureKind.TimedOut), 1));
        Assert.False(policy.ShouldRetry(Result(FailureKind.None, 2), 1));
        Assert.False(policy.ShouldRetry(Result(FailureKind.Signaled), 1));
    }

    [Fact]
    public void Invalid_policies_name_the_field()
    {
        Assert.Equal("Multiplier", Assert.Throws<InvalidSettingException>(() => new RetryPolicy { Multiplier = 0.5 }.Validate()).ParamName);
        Assert.Equal("MaxDelay", Assert.Throws<InvalidSettingException>(() => new RetryPolicy { InitialDelay = TimeSpan.FromSeconds(5), MaxDelay = TimeSpan.FromSeconds(1) }.Validate()).ParamName);
        Assert.Equal("InitialDelay", Assert.Throws<InvalidSettingException>(() => new RetryPolicy { InitialDelay = TimeSpan.FromSeconds(-1) }.Validate()).ParamName);
    }

    [Fact]
    public void Command_line_display_quotes_what_a_shell_would_split()
    {
        Assert.Equal("sh -c 'echo $HOME; x'", new TaskSpec("sh", "-c", "echo $HOME; x").CommandLine);
        Assert.Equal("printf '' 'it'\\''s'", new TaskSpec("printf", "", "it's").CommandLine);
        Assert.Equal("named", new TaskSpec("x") { Name = "named" }.DisplayName);
    }
}
