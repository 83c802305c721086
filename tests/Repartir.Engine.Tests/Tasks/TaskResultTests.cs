using System.Text;
using Repartir.Tasks;

namespace Repartir.Tests.Tasks;

public sealed class TaskResultTests
{
    [Fact]
    public void A_copy_with_other_bytes_decodes_its_own_bytes_and_results_compare_by_reference()
    {
        var original = new TaskResult { Id = new TaskId(1), Name = "n", Spec = new TaskSpec("true"), StdoutBytes = Encoding.UTF8.GetBytes("first"), StderrBytes = Encoding.UTF8.GetBytes("err") };
        Assert.Equal("first", original.Stdout); // decoded and remembered before the copy
        Assert.Equal("err", original.Stderr);

        TaskResult copy = original with { StdoutBytes = Encoding.UTF8.GetBytes("second") };
        TaskResult dropped = original.WithoutOutput("too large");

        Assert.Equal("second", copy.Stdout);
        Assert.Equal("err", copy.Stderr);
        Assert.Equal(string.Empty, dropped.Stdout);
        Assert.Equal(string.Empty, dropped.Stderr);
        Assert.True(dropped.StdoutTruncated && dropped.StderrTruncated);
        Assert.Equal("first", original.Stdout);
        Assert.NotEqual(original, original with { });
        Assert.Equal(original, original);
    }
}
