using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Repartir.Checkpoints;

namespace Repartir.Cli;

/// <summary>
/// <c>repartir checkpoint list|show|save|restore|remove|verify</c>: the checkpoint store for shells and scheduled jobs
/// without PowerShell. Exit codes: 0 done, 1 not found or damaged or the store failed, 2 bad usage.
/// </summary>
internal static class CheckpointCommand
{
    internal static Command Build(Stream input, Stream stdout, TextWriter errors)
    {
        var store = new Option<string?>("--store") { Description = "The store's directory (default: REPARTIR_HOME, else ~/.local/share/repartir)." };
        var command = new Command("checkpoint", "Save, restore and manage named, versioned checkpoints (SQLite, hash-checked).");

        var name = new Option<string>("--name") { Description = "The checkpoint's name.", Required = true };
        var iteration = new Option<long?>("--iteration") { Description = "The iteration (epoch, batch) this state belongs to." };
        var format = new Option<string>("--format") { Description = "json (the default) or msgpack (the state tree's own encoding: keeps byte arrays and timestamps).", DefaultValueFactory = _ => "json" };
        var save = new Command("save", "Save the state read from standard input as the checkpoint's next version.") { name, iteration, format, store };
        save.SetAction(parse => Run(errors, () => new CheckpointStore(parse.GetValue(store)), s =>
        {
            using var buffer = new MemoryStream();
            input.CopyTo(buffer);
            object? state = parse.GetValue(format) == "msgpack"
                ? StateTree.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length))
                : StateTreeJson.Read(JsonDocument.Parse(buffer.ToArray()).RootElement);
            Describe(parse.InvocationConfiguration.Output, s.Save(parse.GetValue(name)!, state, parse.GetValue(iteration)));
            return 0;
        }));

        var version = new Option<long?>("--version") { Description = "A version of the checkpoint (default: the latest)." };
        var restoreName = new Option<string>("--name") { Description = "The checkpoint's name.", Required = true };
        var restoreIteration = new Option<long?>("--iteration") { Description = "The latest version saved with this iteration." };
        var restoreFormat = new Option<string>("--format") { Description = "json (the default) or msgpack.", DefaultValueFactory = _ => "json" };
        var restore = new Command("restore", "Write a checkpoint's state to standard output, after checking its hash.") { restoreName, version, restoreIteration, restoreFormat, store };
        restore.SetAction(parse => Run(errors, () => CheckpointStore.OpenExisting(parse.GetValue(store), parse.GetValue(restoreName)!), s =>
        {
            (_, object? state) = s.Restore(parse.GetValue(restoreName)!, parse.GetValue(version), parse.GetValue(restoreIteration));
            if (parse.GetValue(restoreFormat) == "msgpack")
            {
                stdout.Write(StateTree.Encode(state));
            }
            else
            {
                using var writer = new Utf8JsonWriter(stdout);
                StateTreeJson.Write(writer, state);
                writer.Flush();
                stdout.WriteByte((byte)'\n');
            }

            stdout.Flush();
            return 0;
        }));

        var pattern = new Option<string>("--name") { Description = "Names to list (wildcards * and ?).", DefaultValueFactory = _ => "*" };
        var list = new Command("list", "List every version of the checkpoints whose names match.") { pattern, store };
        list.SetAction(parse => !CheckpointStore.Exists(parse.GetValue(store)) ? 0 : Run(errors, () => new CheckpointStore(parse.GetValue(store)), s =>
        {
            s.List(parse.GetValue(pattern)!).ToList().ForEach(info => Describe(parse.InvocationConfiguration.Output, info));
            return 0;
        }));

        var showName = new Option<string>("--name") { Description = "The checkpoint's name.", Required = true };
        var showVersion = new Option<long?>("--version") { Description = "A version (default: the latest)." };
        var show = new Command("show", "Show one version's details, after checking its hash.") { showName, showVersion, store };
        show.SetAction(parse => Run(errors, () => CheckpointStore.OpenExisting(parse.GetValue(store), parse.GetValue(showName)!), s =>
        {
            Describe(parse.InvocationConfiguration.Output, s.Restore(parse.GetValue(showName)!, parse.GetValue(showVersion)).Info);
            return 0;
        }));

        var removeName = new Option<string>("--name") { Description = "The checkpoint's name.", Required = true };
        var keepLast = new Option<int?>("--keep-last") { Description = "Keep this many of the latest versions; remove the rest." };
        var olderThan = new Option<string?>("--older-than") { Description = "Remove versions saved longer ago than this: 7d, 12h, 30m." };
        var remove = new Command("remove", "Remove a checkpoint's versions: all, all but the last N, or those older than a time.") { removeName, keepLast, olderThan, store };
        remove.SetAction(parse =>
        {
            // Bad usage is said before the store is looked for.
            DateTimeOffset? before = null;
            if (parse.GetValue(olderThan) is { } text)
            {
                if (!Duration.TryParse(text, out TimeSpan age, out string? ageError))
                {
                    return CommandLineApp.UsageError(errors, "--older-than: " + ageError);
                }

                before = DateTimeOffset.UtcNow - age;
            }

            return Run(errors, () => CheckpointStore.OpenExisting(parse.GetValue(store), parse.GetValue(removeName)!), s => RemoveVersions(s, parse.GetValue(removeName)!, parse.GetValue(keepLast), before, errors));
        });

        var verifyPattern = new Option<string>("--name") { Description = "Names to verify (wildcards).", DefaultValueFactory = _ => "*" };
        var verify = new Command("verify", "Restore every version and check its hash; exit 1 if any is damaged.") { verifyPattern, store };
        verify.SetAction(parse => !CheckpointStore.Exists(parse.GetValue(store)) ? 0 : Run(errors, () => new CheckpointStore(parse.GetValue(store)), s =>
        {
            int damaged = 0;
            foreach (CheckpointInfo info in s.List(parse.GetValue(verifyPattern)!))
            {
                try
                {
                    s.Restore(info.Name, info.Version);
                    parse.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ok      {info.Name} {info.Version}"));
                }
                catch (CheckpointException e)
                {
                    damaged++;
                    parse.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"damaged {info.Name} {info.Version}: {e.Message}"));
                }
            }

            return damaged == 0 ? 0 : 1;
        }));

        foreach (Command sub in new[] { list, show, save, restore, remove, verify })
        {
            command.Subcommands.Add(sub);
        }

        return command;
    }

    /// <summary>Opens a store with <paramref name="open"/> (a reading command opens only one that is there) and runs <paramref name="action"/>.</summary>
    private static int Run(TextWriter errors, Func<CheckpointStore> open, Func<CheckpointStore, int> action)
    {
        try
        {
            using CheckpointStore store = open();
            return action(store);
        }
        catch (Exception e) when (e is CheckpointException or StateTreeException or JsonException)
        {
            errors.WriteLine("repartir: " + e.Message);
            return 1;
        }
        catch (InvalidSettingException e)
        {
            return CommandLineApp.UsageError(errors, e.Message);
        }
    }

    private static int RemoveVersions(CheckpointStore store, string name, int? keepLast, DateTimeOffset? before, TextWriter errors)
    {
        IReadOnlyList<CheckpointInfo> removed = store.Remove(name, keepLast, before);
        errors.WriteLine($"repartir: removed {removed.Count} version(s) of '{name}'");
        return 0;
    }

    private static void Describe(TextWriter output, CheckpointInfo info) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{info.Name}\t{info.Version}\t{info.Iteration?.ToString(CultureInfo.InvariantCulture) ?? "-"}\t{info.Size}\t{info.Created:yyyy-MM-ddTHH:mm:ss.fffZ}\t{info.Sha256}"));
}
