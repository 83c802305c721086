using System.Text;

namespace Repartir.Tests.Cli;

/// <summary>Large outputs through a real <c>repartir run</c>: all of it printed, in bounded memory.</summary>
public sealed class OutputVolumeTests
{
    [Fact]
    public async Task Keep_order_prints_464_MiB_behind_a_slow_first_task_within_a_384_MiB_heap()
    {
        // 29 tasks of 16 MiB each queue up behind the first. The heap limit makes the bound a pass or a crash: holding
        // every result until its turn (what the run did) needs 464 MiB of them alive at once. The bounded run passes
        // alone under a 144 MiB limit, but 16 MiB arrays fragment the large-object heap: under 256 MiB it ran out once
        // beside two busy loops and the other suites, so the limit sits between what the bound needs and what the
        // unbounded run would.
        string input = string.Concat(Enumerable.Range(1, 30).Select(i => $"{i}\n"));
        var environment = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x18000000" };
        var stdout = new CountingStream();

        var (code, stderr) = await CliProcess.RunAsync(
            Encoding.ASCII.GetBytes(input), stdout, environment, "run", "-k", "--", "sh", "-c", "if [ $1 = 1 ]; then sleep 0.5; echo first; else head -c 16777216 /dev/zero; fi", "sh");

        Assert.True(code == 0, stderr);
        Assert.Equal((29L * 16 << 20) + 6, stdout.Length);
        Assert.Equal("first\n", Encoding.ASCII.GetString(stdout.Head));
    }

    [Fact]
    public async Task Max_output_0_passes_120_MiB_straight_through_within_a_64_MiB_heap()
    {
        // Three tasks of 40 MiB each at once: holding them (what --max-output 0 did) needs 120 MiB; passed through, none.
        var environment = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x4000000" };
        var stdout = new CountingStream();

        var (code, stderr) = await CliProcess.RunAsync("1\n2\n3\n"u8.ToArray(), stdout, environment, "run", "-j", "3", "--max-output", "0", "--", "sh", "-c", "head -c 41943040 /dev/zero; echo done >&2", "sh");

        Assert.True(code == 0, stderr);
        Assert.Equal(3L * 40 << 20, stdout.Length);
        Assert.Equal(3, stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l == "done"));
    }

    [Fact]
    public async Task Max_output_0_in_input_order_keeps_all_of_each_tasks_output_with_its_result()
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync("1\n2\n"u8.ToArray(), "run", "-k", "--max-output", "0", "--", "sh", "-c", "head -c 20000000 /dev/zero | tr '\\0' \"$1\"", "sh");

        Assert.True(code == 0, stderr);
        Assert.Equal(40_000_000, stdout.Length);
        Assert.True(stdout.AsSpan(0, 20_000_000).IndexOfAnyExcept((byte)'1') < 0 && stdout.AsSpan(20_000_000).IndexOfAnyExcept((byte)'2') < 0, "each task's output whole, in input order");
        Assert.DoesNotContain("cut short", stderr, StringComparison.Ordinal);
    }

    /// <summary>Counts what is written and keeps only its first bytes.</summary>
    private sealed class CountingStream : Stream
    {
        private readonly MemoryStream _head = new();
        private long _length;

        public byte[] Head => _head.ToArray();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            _head.Write(buffer, offset, (int)Math.Clamp(6 - _head.Length, 0, count));
            _length += count;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
