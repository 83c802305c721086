using System.Management.Automation;
using Repartir.Testing;

namespace Repartir.Cmdlets.Tests;

/// <summary>Submit-RepartirTask -AsJob with PowerShell's own job cmdlets, in a real runspace.</summary>
public sealed class JobTests : IDisposable
{
    private readonly PowerShellSession _session = new();
    private readonly string _pool = "jobs-" + Guid.NewGuid().ToString("N")[..8];

    public JobTests() => _session.Run($"New-RepartirPool -Name {_pool} -CpuWorkers 2 | Out-Null").Succeeded();

    public void Dispose()
    {
        _session.Run($"Get-Job | Remove-Job -Force; Remove-RepartirPool {_pool} -Force -Confirm:$false");
        _session.Dispose();
    }

    [Fact]
    public void A_job_of_script_tasks_works_with_Get_Wait_Receive_Keep_and_Remove_Job()
    {
        PSObject job = _session.Run($"$j = 1..5 | Submit-RepartirTask -Pool {_pool} -AsJob -ScriptBlock {{ Write-Warning \"w$_\"; $_ * 10 }}; $j").Succeeded().Single();
        Assert.Equal("RepartirJob", job.Value("PSJobTypeName"));
        Assert.Equal(5, ((System.Collections.ICollection)job.Value("ChildJobs")!).Count);

        Assert.Equal("RepartirJob", _session.Run("(Get-Job -Id $j.Id).PSJobTypeName").Succeeded().Single().BaseObject);
        Assert.Equal("Completed", _session.Run("(Wait-Job $j -Timeout 60).State").Succeeded().Single().BaseObject.ToString());
        Invocation kept = _session.Run("Receive-Job $j -Keep");
        Assert.Equal([10, 20, 30, 40, 50], kept.Output.Select(o => (int)o.BaseObject).Order());
        Assert.Equal(5, kept.Warnings.Count);
        Assert.Equal(5, _session.Run("(Receive-Job $j -Keep).Count").Single().BaseObject); // -Keep kept them
        Assert.Equal(5, _session.Run("(Receive-Job $j).Count").Single().BaseObject);
        Assert.Empty(_session.Run("Receive-Job $j").Output); // and without it they are gone
        _session.Run("Remove-Job $j").Succeeded();
        Assert.Empty(_session.Run("Get-Job | Where-Object PSJobTypeName -eq RepartirJob").Output);
    }

    [Fact]
    public void A_job_whose_task_failed_is_Failed_and_its_error_comes_back_with_Receive_Job()
    {
        _session.Run($"$j = 1..3 | Submit-RepartirTask -Pool {_pool} -AsJob -FilePath sh -ArgumentList '-c', 'exit $(( $0 % 2 ))', '{{}}'").Succeeded();
        Assert.Equal("Failed", _session.Run("(Wait-Job $j -Timeout 60).State").Succeeded().Single().BaseObject.ToString());
        Invocation received = _session.Run("Receive-Job $j -ErrorAction SilentlyContinue -ErrorVariable failures; $failures.Count");
        Assert.Equal(3, received.Output.Count(o => o.TypeNames[0] == "Repartir.Cmdlets.Tasks.TaskResultInfo"));
        Assert.Equal(2, received.Output[^1].BaseObject); // items 1 and 3 exit 1: two TaskFailed errors beside their results
    }

    [Fact]
    public void Stop_Job_kills_the_running_processes_and_the_job_is_Stopped()
    {
        string marker = Path.Combine(Path.GetTempPath(), "repartir-job-" + Guid.NewGuid().ToString("N"));
        try
        {
            _session.Run($"$j = 1..4 | Submit-RepartirTask -Pool {_pool} -AsJob -FilePath sh -ArgumentList '-c', 'echo $$ > {marker}.$0; exec sleep 60', '{{}}'").Succeeded();
            Eventually.True(() => Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(marker) + ".*").Length >= 2, TimeSpan.FromSeconds(30), "two tasks running");
            int[] pids = [.. Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(marker) + ".*").Select(f => int.Parse(File.ReadAllText(f).Trim(), System.Globalization.CultureInfo.InvariantCulture))];

            _session.Run("Stop-Job $j").Succeeded();
            Assert.Equal("Stopped", _session.Run("$j.State").Single().BaseObject.ToString());
            Eventually.True(() => pids.All(pid => !ProcessAlive(pid)), TimeSpan.FromSeconds(30), "the running processes to be killed");
            _session.Run("Remove-Job $j").Succeeded();
        }
        finally
        {
            foreach (string file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(marker) + ".*"))
            {
                File.Delete(file);
            }
        }
    }

    [Fact]
    public void AsJob_does_not_go_with_NoWait_or_Journal()
    {
        Assert.Contains("use one", _session.Run($"1 | Submit-RepartirTask -Pool {_pool} -AsJob -NoWait -FilePath true").Terminating!.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("-AsJob", _session.Run($"1 | Submit-RepartirTask -Pool {_pool} -AsJob -Journal j -FilePath true").Terminating!.Exception.Message, StringComparison.Ordinal);
    }

    private static bool ProcessAlive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && File.ReadAllText($"/proc/{pid}/stat") is var stat && stat[stat.LastIndexOf(')') + 2] is not ('Z' or 'X');
}
