using System.Collections;
using Microsoft.Extensions.Time.Testing;
using Repartir.Checkpoints;
using Repartir.Testing;

namespace Repartir.Tests.Checkpoints;

public sealed class CheckpointStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Each_save_is_a_new_version_and_restore_takes_the_latest_a_version_or_an_iteration()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        using var store = new CheckpointStore(_directory.Path, clock);

        CheckpointInfo first = store.Save("train", new Hashtable { ["epoch"] = 1 }, iteration: 10);
        clock.Advance(TimeSpan.FromMinutes(1));
        CheckpointInfo second = store.Save("train", new Hashtable { ["epoch"] = 2 }, iteration: 20);
        store.Save("other", "unrelated");

        Assert.Equal((1, 2), (first.Version, second.Version));
        Assert.Equal(clock.GetUtcNow(), second.Created);
        Assert.Equal(2L, ((Dictionary<string, object?>)store.Restore("train").State!)["epoch"]);
        Assert.Equal(1L, ((Dictionary<string, object?>)store.Restore("train", version: 1).State!)["epoch"]);
        Assert.Equal(1L, ((Dictionary<string, object?>)store.Restore("train", iteration: 10).State!)["epoch"]);
        Assert.Equal(second, store.Restore("train").Info);
        Assert.Equal(["other/1", "train/1", "train/2"], store.List().Select(v => $"{v.Name}/{v.Version}"));
        Assert.Equal(["train/1", "train/2"], store.List("tr*").Select(v => $"{v.Name}/{v.Version}"));
        Assert.Contains("No checkpoint 'train' version 7", Assert.Throws<CheckpointException>(() => store.Restore("train", version: 7)).Message, StringComparison.Ordinal);
        Assert.Contains("No checkpoint 'missing'", Assert.Throws<CheckpointException>(() => store.Restore("missing")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Retention_keeps_the_last_versions_or_removes_the_old_ones_and_versions_keep_counting()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        using var store = new CheckpointStore(_directory.Path, clock);
        for (int i = 1; i <= 5; i++)
        {
            store.Save("nightly", i);
            clock.Advance(TimeSpan.FromDays(1));
        }

        Assert.Equal([1L, 2L], store.Remove("nightly", keepLast: 3).Select(v => v.Version));
        Assert.Equal([3L], store.Remove("nightly", olderThan: new DateTimeOffset(2026, 12, 4, 0, 0, 0, TimeSpan.Zero)).Select(v => v.Version));
        Assert.Equal(6, store.Save("nightly", 6).Version); // never reused, so a version always names one save
        Assert.Equal(3, store.Remove("nightly").Count);
        Assert.Empty(store.List());
    }

    [Fact]
    public void A_state_the_tree_cannot_hold_writes_nothing()
    {
        using var store = new CheckpointStore(_directory.Path);

        Assert.Throws<StateTreeException>(() => store.Save("bad", new Hashtable { ["x"] = 1.5m }));

        Assert.Empty(store.List());
    }

    [Fact]
    public void A_byte_flipped_on_disk_damages_that_version_only_and_the_error_names_it()
    {
        byte[] marker = [.. Enumerable.Range(0, 64).Select(i => (byte)(i * 7 + 3))];
        using (var store = new CheckpointStore(_directory.Path))
        {
            store.Save("model", new Hashtable { ["weights"] = new byte[] { 1, 2, 3 } });
            store.Save("model", new Hashtable { ["weights"] = marker });
            store.Save("model", new Hashtable { ["weights"] = new byte[] { 4, 5, 6 } });
        }

        string database = Path.Combine(_directory.Path, CheckpointStore.FileName);
        byte[] file = File.ReadAllBytes(database);
        int at = file.AsSpan().IndexOf(marker);
        Assert.True(at > 0, "the payload was not in the database file after the store closed");
        file[at + 10] ^= 0x01;
        File.WriteAllBytes(database, file);

        using var reopened = new CheckpointStore(_directory.Path);
        CheckpointException damaged = Assert.Throws<CheckpointException>(() => reopened.Restore("model", version: 2));
        Assert.Contains("'model' version 2", damaged.Message, StringComparison.Ordinal);
        Assert.Contains("is damaged", damaged.Message, StringComparison.Ordinal);
        Assert.Equal(CheckpointProblem.Damaged, damaged.Problem);
        Assert.Equal(new byte[] { 4, 5, 6 }, ((Dictionary<string, object?>)reopened.Restore("model").State!)["weights"]);
        Assert.Equal(new byte[] { 1, 2, 3 }, ((Dictionary<string, object?>)reopened.Restore("model", version: 1).State!)["weights"]);
    }

    [Fact]
    public async Task Writers_in_parallel_on_one_store_never_collide_or_lose_a_version()
    {
        Task[] writers = [.. Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            using var store = new CheckpointStore(_directory.Path); // a connection each, as separate processes have
            for (int i = 0; i < 25; i++)
            {
                store.Save("shared", new Hashtable { ["writer"] = w, ["i"] = i });
            }
        }))];
        await Task.WhenAll(writers);

        using var reader = new CheckpointStore(_directory.Path);
        IReadOnlyList<CheckpointInfo> versions = reader.List("shared");
        Assert.Equal(Enumerable.Range(1, 100).Select(v => (long)v), versions.Select(v => v.Version));
        Assert.All(versions, v => reader.Restore("shared", version: v.Version));
    }

    [Fact]
    public void A_value_refused_after_megabytes_were_stored_leaves_no_trace()
    {
        using var store = new CheckpointStore(_directory.Path);
        var state = new Dictionary<string, object?> { ["weights"] = new byte[5 << 20], ["then"] = new { Not = "a tree value" } };

        StateTreeException refused = Assert.Throws<StateTreeException>(() => store.Save("model", state));

        Assert.Equal("$state.then", refused.Path);
        Assert.Empty(store.List());
        Assert.Equal(1, store.Save("model", new Hashtable { ["ok"] = true }).Version); // the refused save took no version
        Assert.Equal(1L, ChunkRows(_directory.Path)); // and left no chunk behind
    }

    private static long ChunkRows(string directory)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(directory, CheckpointStore.FileName)};Pooling=False");
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM checkpoint_chunks";
        return (long)count.ExecuteScalar()!;
    }

    [Fact]
    public void A_large_state_goes_in_and_out_whole()
    {
        byte[] blob = new byte[48 << 20];
        new Random(5).NextBytes(blob);
        using var store = new CheckpointStore(_directory.Path);

        CheckpointInfo saved = store.Save("big", new Hashtable { ["blob"] = blob });

        Assert.InRange(saved.Size, blob.Length, blob.Length + 64);
        Assert.Equal(blob, ((Dictionary<string, object?>)store.Restore("big").State!)["blob"]);
    }

    [Fact]
    public void A_store_that_cannot_be_opened_is_a_clear_error_naming_it()
    {
        string notADirectory = _directory.File("plain-file");
        File.WriteAllText(notADirectory, "x");

        CheckpointException e = Assert.Throws<CheckpointException>(() => new CheckpointStore(notADirectory));

        Assert.Contains($"The checkpoint store in {notADirectory} cannot be opened", e.Message, StringComparison.Ordinal);
    }
}
