using System.Management.Automation;
using Repartir.Testing;

namespace Repartir.Cmdlets.Tests;

/// <summary>Submit-RepartirTask -Journal in a real runspace: what a resumed run runs and what it gives back.</summary>
public sealed class JournalTests : IDisposable
{
    private readonly PowerShellSession _session = new();
    private readonly TempDirectory _directory = new();

    public void Dispose()
    {
        _session.Dispose();
        _directory.Dispose();
    }

    private Invocation Run(string script) => _session.Run(script, ("store", _directory.File("store")), ("runs", _directory.Path));

    private const string FanOut =
        "Get-Item (Join-Path $runs 'in-?') | Submit-RepartirTask -FilePath sh -ArgumentList '-c', 'echo ran >> \"$1.count\"; grep -q ok \"$1\"', sh, '{FullName}' -Journal nightly -JournalPath $store";

    [Fact]
    public void A_second_run_returns_recorded_successes_without_running_them_and_runs_the_failures_again()
    {
        foreach ((string name, string content) in new[] { ("in-a", "ok"), ("in-b", "bad"), ("in-c", "ok") })
        {
            File.WriteAllText(_directory.File(name), content);
        }

        Invocation first = Run(FanOut + " -Ordered").Succeeded();
        File.WriteAllText(_directory.File("in-b"), "ok now");
        Invocation second = Run(FanOut + " -Ordered -Verbose").Succeeded();

        Assert.Equal([true, false, true], first.Output.Select(r => r.Get<bool>("Success")));
        Assert.All(first.Output, r => Assert.False(r.Get<bool>("FromJournal")));
        Assert.Equal([true, false, true], second.Output.Select(r => r.Get<bool>("FromJournal")));
        Assert.All(second.Output, r => Assert.True(r.Get<bool>("Success")));
        Assert.Equal(_directory.File("in-a"), second.Output[0].Get<FileInfo>("InputObject").FullName); // this run's item travels on a recalled result
        Assert.Equal([1, 2, 1], new[] { "in-a", "in-b", "in-c" }.Select(n => File.ReadAllLines(_directory.File(n + ".count")).Length));
        Assert.Contains(second.Verbose, v => v.Contains("Journal 'nightly'", StringComparison.Ordinal) && v.Contains("2 successes of earlier runs", StringComparison.Ordinal));

        Run(FanOut + " -Restart").Succeeded();
        Assert.Equal([2, 3, 2], new[] { "in-a", "in-b", "in-c" }.Select(n => File.ReadAllLines(_directory.File(n + ".count")).Length));
    }

    [Fact]
    public void Journal_options_that_cannot_work_are_refused_before_anything_runs()
    {
        ErrorRecord noWait = Run("1 | Submit-RepartirTask -FilePath true -Journal j -JournalPath $store -NoWait").Terminating!;
        ErrorRecord restart = Run("1 | Submit-RepartirTask -FilePath true -Restart").Terminating!;
        File.WriteAllText(_directory.File("not-a-directory"), string.Empty);
        ErrorRecord store = Run("1 | Submit-RepartirTask -FilePath true -Journal j -JournalPath (Join-Path $runs 'not-a-directory')").Terminating!;

        Assert.Equal("InvalidCheckpointSettings,Repartir.Cmdlets.Commands.SubmitRepartirTaskCommand", noWait.FullyQualifiedErrorId);
        Assert.Contains("-NoWait", noWait.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("InvalidCheckpointSettings,Repartir.Cmdlets.Commands.SubmitRepartirTaskCommand", restart.FullyQualifiedErrorId);
        Assert.Equal("CheckpointStoreUnavailable,Repartir.Cmdlets.Commands.SubmitRepartirTaskCommand", store.FullyQualifiedErrorId);
        Assert.Contains("not-a-directory", store.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tasks_run_on_a_remote_worker_are_journaled_by_the_coordinator()
    {
        string prefix = "journal-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            Invocation runs = Run($$"""
                $node = Start-RepartirWorker -Bind 127.0.0.1:0 -Name {{prefix}}-node -Slots 2
                $pool = New-RepartirPool -Name {{prefix}} -Worker $node.Endpoint -CpuWorkers 0
                $first = 1..3 | Submit-RepartirTask -Pool $pool -FilePath sh -ArgumentList '-c', 'echo "$0" >> "$1/ran"; echo "done $0"', '{}', $runs -Journal remote -JournalPath $store -Ordered
                $second = 1..3 | Submit-RepartirTask -Pool $pool -FilePath sh -ArgumentList '-c', 'echo "$0" >> "$1/ran"; echo "done $0"', '{}', $runs -Journal remote -JournalPath $store -Ordered
                $first; $second
                """).Succeeded();

            Assert.Equal(6, runs.Output.Count);
            Assert.All(runs.Output.Take(3), r => Assert.StartsWith($"{prefix}-node/", r.Get<string>("Worker"), StringComparison.Ordinal));
            Assert.All(runs.Output.Take(3), r => Assert.False(r.Get<bool>("FromJournal")));
            Assert.All(runs.Output.Skip(3), r => Assert.True(r.Get<bool>("FromJournal")));
            Assert.Equal(["done 1\n", "done 2\n", "done 3\n"], runs.Output.Skip(3).Select(r => r.Get<string>("Stdout")));
            Assert.Equal(["1", "2", "3"], File.ReadAllLines(_directory.File("ran")).Order());
        }
        finally
        {
            _session.Run($"Get-RepartirPool -Name '{prefix}*' | Remove-RepartirPool -Force -Confirm:$false; Stop-RepartirWorker -Name '{prefix}*' -Force -Confirm:$false -ErrorAction SilentlyContinue");
        }
    }
}
