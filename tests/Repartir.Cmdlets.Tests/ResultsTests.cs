using System.Management.Automation;
using Repartir.Testing;

namespace Repartir.Cmdlets.Tests;

/// <summary>Export-RepartirResult and Import-RepartirResult in a real runspace.</summary>
public sealed class ResultsTests : IDisposable
{
    private readonly PowerShellSession _session = new();
    private readonly TempDirectory _directory = new();

    public void Dispose()
    {
        _session.Dispose();
        _directory.Dispose();
    }

    private Invocation Run(string script) => _session.Run(script, ("dir", _directory.Path));

    [Fact]
    public void Results_round_trip_through_a_Parquet_file_with_their_values()
    {
        Invocation run = Run("""
            $results = 'a', 'b é', 'c' | Submit-RepartirTask -FilePath sh -ArgumentList '-c', 'printf "out %s" "$1"; [ "$1" != c ]', sh, '{}' -Ordered
            $results | Export-RepartirResult -Path (Join-Path $dir 'r.parquet')
            $results
            Import-RepartirResult (Join-Path $dir 'r.parquet')
            """).Succeeded();

        PSObject[] written = [.. run.Output.Take(3)];
        PSObject[] read = [.. run.Output.Skip(3)];
        Assert.Equal(3, read.Length);
        Assert.All(read, r => Assert.Equal("Repartir.Cmdlets.Tasks.TaskResultInfo", r.TypeNames[0]));
        foreach (string property in new[] { "Id", "Name", "Success", "ExitCode", "Failure", "Stdout", "Stderr", "Attempt", "Losses", "Worker", "Host", "Backend", "StdoutTruncated", "CommandLine", "FromJournal" })
        {
            Assert.Equal(written.Select(r => r.Value(property)), read.Select(r => r.Value(property)));
        }

        Assert.Equal(["a", "b é", "c"], read.Select(r => r.Get<string>("InputObject")));
        Assert.Equal(written.Select(r => r.Get<DateTimeOffset>("StartTime").UtcDateTime.Ticks / 10), read.Select(r => r.Get<DateTimeOffset>("StartTime").UtcDateTime.Ticks / 10)); // microseconds
    }

    [Fact]
    public void A_journal_exports_what_it_recorded()
    {
        Invocation run = Run("""
            1..3 | Submit-RepartirTask -FilePath sh -ArgumentList '-c', 'echo $1; [ $1 -ne 2 ]', sh, '{}' -Journal nightly -JournalPath (Join-Path $dir 'store') | Out-Null
            Export-RepartirResult (Join-Path $dir 'j.parquet') -Journal nightly -JournalPath (Join-Path $dir 'store')
            Import-RepartirResult (Join-Path $dir 'j.parquet') | Sort-Object { [int]$_.InputObject }
            """).Succeeded();

        Assert.Equal(["1", "3"], run.Output.Select(r => r.Get<string>("InputObject"))); // successes only: failures run again
        Assert.Equal(["1\n", "3\n"], run.Output.Select(r => r.Get<string>("Stdout")));
        Assert.All(run.Output, r => Assert.Equal("sh -c 'echo $1; [ $1 -ne 2 ]' sh " + r.Get<string>("InputObject"), r.Get<string>("CommandLine")));
    }

    [Fact]
    public void Bad_files_and_clobbering_are_clear_errors_and_leave_files_alone()
    {
        File.WriteAllText(_directory.File("keep.parquet"), "precious");
        File.WriteAllText(_directory.File("text.parquet"), "id,name");

        Invocation noClobber = Run("Submit-RepartirTask -FilePath true | Export-RepartirResult (Join-Path $dir 'keep.parquet') -NoClobber");
        Invocation whatIf = Run("Submit-RepartirTask -FilePath true | Export-RepartirResult (Join-Path $dir 'keep.parquet') -WhatIf");
        Invocation stopped = Run("try { Submit-RepartirTask -FilePath true | ForEach-Object { $_; throw 'a failure mid-pipeline' } | Export-RepartirResult (Join-Path $dir 'keep.parquet') } catch { }");
        Invocation unreadable = Run("Import-RepartirResult (Join-Path $dir 'text.parquet'), (Join-Path $dir 'missing.parquet')");
        Invocation noJournal = Run("Export-RepartirResult (Join-Path $dir 'j.parquet') -Journal none -JournalPath (Join-Path $dir 'store')");

        Assert.Equal("ResultsNotWritten,Repartir.Cmdlets.Commands.ExportRepartirResultCommand", noClobber.Terminating?.FullyQualifiedErrorId);
        whatIf.Succeeded();
        stopped.Succeeded();
        Assert.Equal("precious", File.ReadAllText(_directory.File("keep.parquet")));
        Assert.Empty(Directory.GetFiles(_directory.Path, "*.partial"));
        Assert.Equal(
            ["ResultsNotReadable,Repartir.Cmdlets.Commands.ImportRepartirResultCommand", "ResultsNotReadable,Repartir.Cmdlets.Commands.ImportRepartirResultCommand"],
            unreadable.Errors.Select(e => e.FullyQualifiedErrorId));
        Assert.Equal([ErrorCategory.InvalidData, ErrorCategory.ObjectNotFound], unreadable.Errors.Select(e => e.CategoryInfo.Category));
        Assert.Contains("text.parquet is not a Parquet file", unreadable.Errors[0].Exception.Message, StringComparison.Ordinal);
        Assert.Equal("CheckpointNotFound,Repartir.Cmdlets.Commands.ExportRepartirResultCommand", noJournal.Terminating?.FullyQualifiedErrorId);
        Assert.False(File.Exists(_directory.File("j.parquet")));
    }
}
