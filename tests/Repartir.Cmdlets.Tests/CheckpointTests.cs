using System.Collections.Specialized;
using System.Management.Automation;
using Repartir.Testing;

namespace Repartir.Cmdlets.Tests;

/// <summary>Save-, Restore-, Get- and Remove-RepartirCheckpoint in a real runspace, against a store of the test's own.</summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly PowerShellSession _session = new();
    private readonly TempDirectory _store = new();

    public void Dispose()
    {
        _session.Dispose();
        _store.Dispose();
    }

    private Invocation Run(string script) => _session.Run(script, ("store", _store.Path));

    [Fact]
    public void Every_value_kind_nested_comes_back_as_PowerShell_values()
    {
        PSObject state = Run("""
            $state = [ordered]@{
                epoch = 3; rate = 0.25; done = $false; nothing = $null; name = 'ünïcode'
                weights = @(1.5, 2, @(3, 'x')); blob = [byte[]](0, 255, 7)
                when = [datetime]::new(2026, 1, 2, 3, 4, 5, [DateTimeKind]::Utc)
                model = [pscustomobject]@{ layers = 4; big = [uint64]::MaxValue; small = [long]::MinValue }
            }
            Save-RepartirCheckpoint -Name train -InputObject $state -Path $store | Out-Null
            Restore-RepartirCheckpoint -Name train -Path $store
            """).Succeeded().Single();

        Assert.Equal(["epoch", "rate", "done", "nothing", "name", "weights", "blob", "when", "model"], state.Properties.Select(p => p.Name));
        Assert.Equal(3L, state.Value("epoch"));
        Assert.Equal(0.25, state.Value("rate"));
        Assert.Equal(false, state.Value("done"));
        Assert.Null(state.Value("nothing"));
        Assert.Equal("ünïcode", state.Value("name"));
        object?[] weights = Assert.IsType<object?[]>(state.Value("weights"));
        Assert.Equal(1.5, weights[0]);
        Assert.Equal(2L, weights[1]);
        Assert.Equal(new object?[] { 3L, "x" }, Assert.IsType<object?[]>(weights[2]));
        Assert.Equal(new byte[] { 0, 255, 7 }, state.Value("blob"));
        DateTime when = Assert.IsType<DateTime>(state.Value("when"));
        Assert.Equal(DateTimeKind.Utc, when.Kind);
        Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), when);
        var model = (PSObject)state.Value("model")!;
        Assert.Equal(4L, model.Value("layers"));
        Assert.Equal(ulong.MaxValue, model.Value("big"));
        Assert.Equal(long.MinValue, model.Value("small"));
    }

    [Fact]
    public void AsHashtable_gives_ordered_hashtables_and_takes_keys_only_case_tells_apart()
    {
        Invocation restored = Run("""
            $d = [System.Collections.Generic.Dictionary[string, object]]::new(); $d['key'] = 1; $d['KEY'] = 2
            Save-RepartirCheckpoint cased -InputObject ([ordered]@{ inner = [ordered]@{ b = 1; a = 2 }; 'the cased' = @(0, $d) }) -Path $store | Out-Null
            $h = Restore-RepartirCheckpoint cased -AsHashtable -Path $store
            $h; $h.inner.b; $h.INNER.a
            Restore-RepartirCheckpoint cased -Path $store
            """);

        var table = Assert.IsType<OrderedDictionary>(restored.Output[0].BaseObject);
        Assert.Equal(["inner", "the cased"], table.Keys.Cast<string>());
        Assert.Equal(["b", "a"], ((OrderedDictionary)table["inner"]!).Keys.Cast<string>());
        Assert.Equal(1L, restored.Output[1].BaseObject);
        Assert.Equal(2L, restored.Output[2].BaseObject); // case-insensitive, as [ordered] is
        var cased = (OrderedDictionary)((object?[])table["the cased"]!)[1]!;
        Assert.Equal(1L, cased["key"]);
        Assert.Equal(2L, cased["KEY"]);
        Assert.Equal("StateNotStorable,Repartir.Cmdlets.Commands.RestoreRepartirCheckpointCommand", restored.Terminating?.FullyQualifiedErrorId);
        Assert.Contains("$state['the cased'][1] has keys that differ only in case", restored.Terminating!.Exception.Message, StringComparison.Ordinal); // spelled as the tree spells paths
        Assert.Contains("-AsHashtable", restored.Terminating.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Piped_items_are_saved_as_one_array_and_an_array_comes_back_as_one()
    {
        Invocation runs = Run("""
            1..3 | Save-RepartirCheckpoint piped -Path $store | Out-Null
            'only' | Save-RepartirCheckpoint piped -Path $store | Out-Null
            Save-RepartirCheckpoint piped -InputObject @(7) -Path $store | Out-Null
            Save-RepartirCheckpoint piped -InputObject $null -Path $store | Out-Null
            $a = Restore-RepartirCheckpoint piped -Version 1 -Path $store; ,$a
            Restore-RepartirCheckpoint piped -Version 2 -Path $store
            $one = Restore-RepartirCheckpoint piped -Version 3 -Path $store; ,$one
            (Restore-RepartirCheckpoint piped -Path $store) -eq $null
            """).Succeeded();

        Assert.Equal(new object[] { 1L, 2L, 3L }, Assert.IsType<object?[]>(runs.Output[0].BaseObject));
        Assert.Equal("only", runs.Output[1].BaseObject);
        Assert.Equal(new object[] { 7L }, Assert.IsType<object?[]>(runs.Output[2].BaseObject));
        Assert.Equal(true, runs.Output[3].BaseObject);
    }

    [Fact]
    public void Versions_iterations_latest_and_wildcards()
    {
        Invocation run = Run("""
            foreach ($epoch in 1..3) { Save-RepartirCheckpoint train -InputObject @{ epoch = $epoch } -Iteration ($epoch * 10) -Path $store | Out-Null }
            Save-RepartirCheckpoint train -InputObject @{ epoch = 'again' } -Iteration 20 -Path $store
            Save-RepartirCheckpoint other -InputObject 1 -Path $store | Out-Null
            (Restore-RepartirCheckpoint train -Path $store).epoch
            (Restore-RepartirCheckpoint train -Version 2 -Path $store).epoch
            (Restore-RepartirCheckpoint train -Iteration 20 -Path $store).epoch
            (Restore-RepartirCheckpoint train -Iteration 10 -Path $store).epoch
            Get-RepartirCheckpoint -Path $store | ForEach-Object { "$($_.Name)/$($_.Version)" }
            Get-RepartirCheckpoint 'tr*' -Latest -Path $store | ForEach-Object { "$($_.Name)/$($_.Version)" }
            Get-RepartirCheckpoint train -Path $store | Where-Object Version -eq 1 | Restore-RepartirCheckpoint | ForEach-Object epoch
            """).Succeeded();

        PSObject saved = run.Output[0];
        Assert.Equal("Repartir.Checkpoints.CheckpointInfo", saved.TypeNames[0]);
        Assert.Equal("train", saved.Value("Name"));
        Assert.Equal(4L, saved.Value("Version"));
        Assert.Equal(20L, saved.Value("Iteration"));
        Assert.Equal(_store.Path, saved.Value("Store"));
        Assert.Equal(64, saved.Get<string>("Sha256").Length);
        Assert.Equal(["again", "2", "again", "1", "other/1", "train/1", "train/2", "train/3", "train/4", "train/4", "1"], run.Output.Skip(1).Select(o => o.ToString()));
    }

    [Fact]
    public void A_value_a_checkpoint_cannot_hold_is_refused_by_its_path_and_nothing_is_saved()
    {
        Invocation refused = Run("Save-RepartirCheckpoint model -InputObject @{ model = @{ weights = @(1, 2, 3, (Get-Item /)) } } -Path $store");
        Invocation decimalRefused = Run("Save-RepartirCheckpoint model -InputObject ([pscustomobject]@{ price = 1.5d }) -Path $store");

        Assert.Equal("StateNotStorable,Repartir.Cmdlets.Commands.SaveRepartirCheckpointCommand", refused.Terminating?.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidType, refused.Terminating!.CategoryInfo.Category);
        Assert.Equal("$state.model.weights[3]", refused.Terminating.Target());
        Assert.Contains("$state.model.weights[3] is a System.IO.DirectoryInfo", refused.Terminating.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("$state.price is a System.Decimal", decimalRefused.Terminating!.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("[double]", decimalRefused.Terminating.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(Run("Get-RepartirCheckpoint -Path $store").Succeeded().Output);
    }

    [Fact]
    public void A_damaged_version_is_a_clear_error_and_the_others_restore()
    {
        Run("""
            Save-RepartirCheckpoint model -InputObject @{ v = 1 } -Path $store | Out-Null
            Save-RepartirCheckpoint model -InputObject @{ marker = 'MARKER-0123456789-MARKER' } -Path $store | Out-Null
            Save-RepartirCheckpoint model -InputObject @{ v = 3 } -Path $store | Out-Null
            """).Succeeded();
        string database = Path.Combine(_store.Path, "repartir.db");
        byte[] file = File.ReadAllBytes(database);
        int at = file.AsSpan().IndexOf("MARKER-0123456789-MARKER"u8);
        Assert.True(at > 0, "the payload was not in the database file");
        file[at + 8] ^= 0x01;
        File.WriteAllBytes(database, file);

        Invocation damaged = Run("Restore-RepartirCheckpoint model -Version 2 -Path $store");
        Assert.Equal("CheckpointDamaged,Repartir.Cmdlets.Commands.RestoreRepartirCheckpointCommand", damaged.Terminating?.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, damaged.Terminating!.CategoryInfo.Category);
        Assert.Contains("'model' version 2", damaged.Terminating.Exception.Message, StringComparison.Ordinal);
        Assert.Equal(["3", "1"], Run("(Restore-RepartirCheckpoint model -Path $store).v; (Restore-RepartirCheckpoint model -Version 1 -Path $store).v").Succeeded().Output.Select(o => o.ToString()));
    }

    [Fact]
    public void Missing_checkpoints_are_errors_naming_them()
    {
        Invocation restore = Run("Restore-RepartirCheckpoint nope -Path $store");
        Invocation version = Run("Save-RepartirCheckpoint there -InputObject 1 -Path $store | Out-Null; Restore-RepartirCheckpoint there -Version 9 -Path $store");
        Invocation get = Run("Get-RepartirCheckpoint nope, 'no*' -Path $store");

        Assert.Equal("CheckpointNotFound,Repartir.Cmdlets.Commands.RestoreRepartirCheckpointCommand", restore.Terminating?.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, restore.Terminating!.CategoryInfo.Category);
        Assert.Equal($"No checkpoint 'nope' in {_store.Path}: there is no checkpoint store there.", restore.Terminating.Exception.Message); // the first command: nothing saved there yet
        Assert.Equal($"No checkpoint 'there' version 9 in {_store.Path}.", version.Terminating!.Exception.Message);
        ErrorRecord notFound = Assert.Single(get.Errors); // a wildcard that matches nothing is no error, as with Get-Process
        Assert.Equal("CheckpointNotFound,Repartir.Cmdlets.Commands.GetRepartirCheckpointCommand", notFound.FullyQualifiedErrorId);
        Assert.Equal("nope", notFound.Target());
    }

    [Fact]
    public void Remove_asks_first_and_removes_what_it_selects()
    {
        Run("foreach ($i in 1..5) { Save-RepartirCheckpoint keep -InputObject $i -Path $store | Out-Null }").Succeeded();

        Assert.Empty(Run("Remove-RepartirCheckpoint keep -WhatIf -Path $store").Succeeded().Output);
        Assert.Equal(5, Run("Get-RepartirCheckpoint keep -Path $store").Output.Count);
        Run("Get-RepartirCheckpoint keep -Path $store | Where-Object Version -eq 2 | Remove-RepartirCheckpoint -Confirm:$false").Succeeded();
        Run("Remove-RepartirCheckpoint keep -KeepLast 2 -Confirm:$false -Path $store").Succeeded();
        Assert.Equal(["4", "5"], Run("(Get-RepartirCheckpoint keep -Path $store).Version").Output.Select(o => o.ToString()));
        Run("Remove-RepartirCheckpoint keep -OlderThan 0 -Confirm:$false -Path $store").Succeeded();
        Assert.Empty(Run("Get-RepartirCheckpoint -Path $store").Succeeded().Output);

        Invocation negative = Run("Remove-RepartirCheckpoint keep -OlderThan '-1.00:00:00' -Confirm:$false -Path $store");
        Assert.Equal("InvalidCheckpointSettings,Repartir.Cmdlets.Commands.RemoveRepartirCheckpointCommand", negative.Terminating?.FullyQualifiedErrorId);
        Invocation missing = Run("Remove-RepartirCheckpoint gone -Confirm:$false -Path $store");
        Assert.Equal("CheckpointNotFound,Repartir.Cmdlets.Commands.RemoveRepartirCheckpointCommand", Assert.Single(missing.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void Commands_that_only_read_or_ask_create_no_store_at_a_mistyped_path()
    {
        string typo = Path.Combine(_store.Path, "no", "such", "store");
        Invocation whatIf = _session.Run("Save-RepartirCheckpoint model -InputObject 1 -Path $typo -WhatIf", ("typo", typo));
        Invocation get = _session.Run("Get-RepartirCheckpoint -Path $typo; Get-RepartirCheckpoint model -Path $typo", ("typo", typo));
        Invocation restore = _session.Run("Restore-RepartirCheckpoint model -Path $typo", ("typo", typo));
        Invocation remove = _session.Run("Remove-RepartirCheckpoint model -Path $typo -Confirm:$false", ("typo", typo));
        Invocation export = _session.Run("Export-RepartirResult (Join-Path $dir 'j.parquet') -Journal nightly -JournalPath $typo", ("typo", typo), ("dir", _store.Path));

        Assert.Empty(whatIf.Succeeded().Output);
        Assert.Empty(get.Output);
        Assert.Equal("CheckpointNotFound,Repartir.Cmdlets.Commands.GetRepartirCheckpointCommand", Assert.Single(get.Errors).FullyQualifiedErrorId); // the literal name; listing all is no error
        Assert.Equal("CheckpointNotFound,Repartir.Cmdlets.Commands.RestoreRepartirCheckpointCommand", restore.Terminating?.FullyQualifiedErrorId);
        Assert.Equal($"No checkpoint 'model' in {typo}: there is no checkpoint store there.", restore.Terminating!.Exception.Message);
        Assert.Equal("CheckpointNotFound,Repartir.Cmdlets.Commands.RemoveRepartirCheckpointCommand", Assert.Single(remove.Errors).FullyQualifiedErrorId);
        Assert.Equal("CheckpointNotFound,Repartir.Cmdlets.Commands.ExportRepartirResultCommand", export.Terminating?.FullyQualifiedErrorId);
        Assert.False(Directory.Exists(Path.Combine(_store.Path, "no")), "a command that only reads or asks created the store");
    }

    [Fact]
    public void Names_complete_from_the_store_Path_names_and_a_missing_store_completes_nothing()
    {
        Run("'train', 'trial', 'other' | ForEach-Object { Save-RepartirCheckpoint $_ -InputObject 1 -Path $store } | Out-Null").Succeeded();
        string Complete(string line) => string.Join(",", _session.Run("(TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText", ("line", line)).Succeeded().Output.Where(o => o is not null).Select(o => o.ToString()));

        Assert.Equal("train,trial", Complete($"Restore-RepartirCheckpoint -Path '{_store.Path}' -Name tr"));
        Assert.Equal("other", Complete($"Get-RepartirCheckpoint -Path '{_store.Path}' -Name o"));
        string missing = Path.Combine(_store.Path, "missing");
        Assert.Equal(string.Empty, Complete($"Restore-RepartirCheckpoint -Path '{missing}' -Name tr"));
        Assert.False(Directory.Exists(missing)); // completing never creates a store
    }

    [Fact]
    public void Checkpoints_format_as_a_table_a_person_scans()
    {
        string table = Run("Save-RepartirCheckpoint nightly -InputObject @{ a = 1 } -Iteration 7 -Path $store | Out-String -Width 120").Succeeded().Single().ToString();

        string[] lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["Name", "Version", "Iteration", "Created", "Size", "Sha256"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^nightly\s+1\s+7\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d+ B\s+[0-9a-f]{8}$", lines[2]);
    }
}
