using Repartir.Scheduling;
using Repartir.Tasks;
namespace Repartir.Tests;
public class Smoke
{
    [Fact]
    public async Task Echo()
    {
        await using var pool = new Pool(new PoolOptions { CpuWorkers = 2 });
        var r = await pool.SubmitAsync(new TaskSpec("echo", "hello"));
        Assert.Equal("hello\n", r.Stdout);
        Assert.True(r.Success, r.ToString());
        var r2 = await pool.SubmitAsync(new TaskSpec("nonexistent-xyz"));
        Assert.Equal(FailureKind.NotFound, r2.Failure);
        var r3 = await pool.SubmitAsync(new TaskSpec("sleep", "10") { Timeout = TimeSpan.FromMilliseconds(300) });
        Assert.Equal(FailureKind.TimedOut, r3.Failure);
        Assert.True(r3.Duration < TimeSpan.FromSeconds(3), r3.Duration.ToString());
        var r4 = await pool.SubmitAsync(new TaskSpec("cat") { StandardInput = "abc"u8.ToArray() });
        Assert.Equal("abc", r4.Stdout);
    }
}
