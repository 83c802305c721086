using System.Text;

namespace Repartir.Tests.Cli;

/// <summary>Large outputs through a real <c>repartir run</c>: all of it printed, in bounded memory.</summary>
public sealed class OutputVolumeTests
{
    [Fact]
    public async Task Keep_order_prints_464_MiB_behind_a_slow_first_task_within_a_256_MiB_heap()
    {
        // 29 tasks of 16 MiB each queue up behind the first. The heap limit makes the bound a pass or a crash: holding
        // every result until its turn (what the run did) needs 464 MiB of them alive at once.
        string input = string.Concat(Enumerable.Range(1, 30).Select(i => $"{i}\n"));
        var environment = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x10000000" };
        var stdout = new CountingStream();

        var (code, stderr) = await CliProcess.RunAsync(
            Encoding.ASCII.GetBytes(input), stdout, environment, "run", "-k", "--", "sh", "-c", "if [ $1 = 1 ]; then sleep 0.5; echo first; else head -c 16777216 /dev/zero; fi", "sh");

        Assert.True(code == 0, stderr);
        Assert.Equal((29L * 16 << 20) + 6, stdout.Length);
        Assert.Equal("first\n", Encoding.ASCII.GetString(stdout.Head));
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
