using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Repartir.Checkpoints;
using Repartir.Execution;
using Repartir.Remote;
using Repartir.Results;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Cli;

/// <summary>The settings of one <c>repartir run</c>.</summary>
internal sealed record RunSettings
{
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>Tasks run at once on this machine (0: only on the remote workers).</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Worker daemons (<c>HOST:PORT</c>) to run tasks on as well.</summary>
    public IReadOnlyList<string> RemoteWorkers { get; init; } = [];

    /// <summary>Where each task runs (Auto: whichever worker is free first).</summary>
    public Backend Backend { get; init; } = Backend.Auto;

    /// <summary>This machine's GPUs for Gpu tasks; null to detect them.</summary>
    public IReadOnlyList<string>? Gpus { get; init; }

    public TimeSpan? Timeout { get; init; }

    public int Retries { get; init; }

    public bool KeepOrder { get; init; }

    public bool Json { get; init; }

    /// <summary>The most bytes kept of each task's stdout and of its stderr; 0 keeps all.</summary>
    public int MaxOutputBytes { get; init; } = ProcessExecutorOptions.DefaultMaxOutputBytes;

    /// <summary>Mutual TLS to the workers, or null for plain TCP (loopback only, unless <see cref="AllowInsecure"/>).</summary>
    public Repartir.Security.TlsCredentials? Tls { get; init; }

    /// <summary>Plain TCP to workers on other hosts.</summary>
    public bool AllowInsecure { get; init; }

    /// <summary>The run's journal: successes are recorded, and recorded ones are not run again; null for none.</summary>
    public string? Journal { get; init; }

    /// <summary>Discard what <see cref="Journal"/> recorded before running.</summary>
    public bool RestartJournal { get; init; }

    /// <summary>The checkpoint store's directory for the journal; null for the default store.</summary>
    public string? Store { get; init; }

    /// <summary>A Parquet file to write every result to; null for none.</summary>
    public string? ResultsPath { get; init; }

    /// <summary>A live progress line on stderr, when stderr is a terminal.</summary>
    public bool Progress { get; init; }
}

/// <summary>
/// <c>repartir run</c>: one task per input line, fanned out over the pool, GNU-parallel style.
/// Prints each task's output as it completes (or one JSON object per result) and returns the
/// exit code: 0 when every task succeeded, otherwise the number of failures capped at 101.
/// </summary>
internal sealed class RunJob
{
    /// <summary>GNU parallel's cap, so the code stays below the range shells use for signals.</summary>
    internal const int MaxFailureExitCode = 101;

    private readonly RunSettings _settings;
    private readonly ArgumentTemplate _template;

    internal RunJob(RunSettings settings)
    {
        _settings = settings;
        _template = ArgumentTemplate.Parse(settings.Command.Skip(1), PlaceholderSyntax.ItemOnly);
    }

    /// <summary>
    /// Runs the job. A first SIGINT, SIGTERM or SIGHUP cancels it: queued tasks are dropped, running process trees
    /// are killed and reaped, and only then does it return 128 + the signal's number. A second signal exits at once
    /// (the executor's watchdog then ends what still runs).
    /// </summary>
    internal async Task<int> RunAsync(Stream input, Stream stdout, Stream stderr, CancellationToken cancellationToken)
    {
        using var signals = new TerminationSignals();
        using CancellationTokenRegistration exitAtOnce = signals.Forced.Register(() => Environment.Exit(signals.ExitCode));
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, signals.Stopping);
        try
        {
            return await RunCoreAsync(input, stdout, stderr, run.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (signals.Stopping.IsCancellationRequested)
        {
            // The pool is disposed by now: every task it started has ended.
            await stderr.WriteAsync(Encoding.UTF8.GetBytes($"repartir: {signals.Name}: stopped; running tasks were killed\n"), CancellationToken.None).ConfigureAwait(false);
            return signals.ExitCode;
        }
    }

    /// <summary>
    /// --max-output 0 when printing plain output in completion order: tasks on this machine write straight to this
    /// process's stdout and stderr (as with xargs -P), so no output is held however large. With --json or
    /// --keep-order the output must be held for its result, and 0 keeps all of it.
    /// </summary>
    private ProgressLine? _progress;

    private bool PassesOutputThrough => _settings.MaxOutputBytes == 0 && !_settings.Json && !_settings.KeepOrder;

    private async Task<int> RunCoreAsync(Stream input, Stream stdout, Stream stderr, CancellationToken cancellationToken)
    {
        // Warnings only: a worker that cannot be reached or is lost mid-run is worth a line on stderr.
        using ILoggerFactory logging = CliLogging.Create(LogLevel.Warning);
        Pool pool;
        try
        {
            pool = new Pool(
                new PoolOptions { Name = "run", CpuWorkers = _settings.Workers, Workers = _settings.RemoteWorkers, Gpus = _settings.Gpus, Remote = new RemoteOptions { Tls = _settings.Tls, AllowInsecure = _settings.AllowInsecure }, Process = new ProcessExecutorOptions { MaxOutputBytes = _settings.MaxOutputBytes, PassOutputThrough = PassesOutputThrough, SnapshotEnvironment = true } },
                logging.CreateLogger("repartir.run"));
        }
        catch (InvalidSettingException e)
        {
            // An option out of range (--workers 100000) is bad usage: one line, exit code 2.
            await stderr.WriteAsync(Encoding.UTF8.GetBytes($"repartir: {e.Message}\n"), cancellationToken).ConfigureAwait(false);
            return CommandLineApp.UsageErrorExitCode;
        }

        await using Pool disposing = pool;

        // The journal and the results table before the workers are dialled: a path that cannot be used is said at
        // once, not after the workers' connect timeout.
        RunJournal? journal = null;
        ResultParquetWriter? table = null;
        try
        {
            journal = _settings.Journal is { } journalName ? RunJournal.Open(_settings.Store, journalName, _settings.RestartJournal) : null;
            table = _settings.ResultsPath is { } resultsPath ? await ResultParquetWriter.CreateAsync(resultsPath, cancellationToken: cancellationToken).ConfigureAwait(false) : null;
        }
        catch (Exception e) when (e is CheckpointException or IOException or UnauthorizedAccessException)
        {
            await AbandonAsync(journal, table).ConfigureAwait(false);
            await stderr.WriteAsync(Encoding.UTF8.GetBytes($"repartir: {e.Message}\n"), cancellationToken).ConfigureAwait(false);
            return 1;
        }

        if (_settings.RemoteWorkers.Count > 0)
        {
            await pool.WhenWorkersTriedAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            if (_settings.Workers == 0 && pool.RemoteWorkers.All(w => w.State == RemoteWorkerState.Offline))
            {
                await AbandonAsync(journal, table).ConfigureAwait(false); // nothing ran: no empty table is left behind
                string reasons = string.Join("; ", pool.RemoteWorkers.Select(w => $"{w.Address}: {w.LastError}"));
                await stderr.WriteAsync(Encoding.UTF8.GetBytes($"repartir: no worker could be reached, nothing was run ({reasons})\n"), cancellationToken).ConfigureAwait(false);
                return CommandLineApp.UsageErrorExitCode;
            }
        }

        if (journal?.RecordedBefore > 0)
        {
            await stderr.WriteAsync(Encoding.UTF8.GetBytes($"repartir: journal '{journal.Name}': {journal.RecordedBefore} successes of earlier runs are not run again (--restart runs everything)\n"), cancellationToken).ConfigureAwait(false);
        }

        int failures = 0;
        try
        {
            _progress = ProgressLine.For(_settings.Progress, stderr);
            failures = await PrintResultsAsync(pool.RunAsync(ReadSpecs(input, cancellationToken), _settings.KeepOrder, journal: journal, cancellationToken: cancellationToken), table, stdout, stderr, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await pool.DisposeAsync().ConfigureAwait(false); // every task has ended before the journal's last commit
            failures = Math.Max(failures, await CloseAsync(journal, table, stderr).ConfigureAwait(false));
        }

        return Math.Min(failures, MaxFailureExitCode);
    }

    /// <summary>Closes a journal that recorded nothing and deletes a results table that got no row.</summary>
    private static async Task AbandonAsync(RunJournal? journal, ResultParquetWriter? table)
    {
        if (journal is not null)
        {
            await journal.DisposeAsync().ConfigureAwait(false);
        }

        if (table is not null)
        {
            await table.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Commits the journal and completes the results table, also after a stop; returns 1 when either failed (said on stderr), else 0.</summary>
    private static async Task<int> CloseAsync(RunJournal? journal, ResultParquetWriter? table, Stream stderr)
    {
        int exitCode = 0;
        string? journalProblem = null;
        try
        {
            if (journal is not null)
            {
                await journal.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (CheckpointException e)
        {
            journalProblem = e.Message;
            exitCode = 1;
        }

        string? tableLine = null;
        if (table is not null)
        {
            try
            {
                await table.CompleteAsync(CancellationToken.None).ConfigureAwait(false);
                tableLine = $"wrote {table.Rows} results to {table.Path}";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await table.DisposeAsync().ConfigureAwait(false);
                tableLine = $"the results could not be written to {table.Path}: {e.Message}";
                exitCode = 1;
            }
        }

        foreach (string? line in new[] { journalProblem, tableLine })
        {
            if (line is not null)
            {
                await stderr.WriteAsync(Encoding.UTF8.GetBytes($"repartir: {line}\n"), CancellationToken.None).ConfigureAwait(false);
            }
        }

        return exitCode;
    }

    /// <summary>Prints each result as it comes (its output, or one JSON line) and returns how many failed.</summary>
    private async Task<int> PrintResultsAsync(IAsyncEnumerable<TaskResult> results, ResultParquetWriter? table, Stream stdout, Stream stderr, CancellationToken cancellationToken)
    {
        int failures = 0;
        await foreach (TaskResult result in results.ConfigureAwait(false))
        {
            if (_progress is not null && (_settings.Json || result.StdoutBytes.Length > 0 || result.StderrBytes.Length > 0 || result.Failure != FailureKind.None || result.StdoutTruncated || result.StderrTruncated))
            {
                _progress.Clear(); // the line goes, the output is written, the line comes back with the next result
            }

            if (table is not null)
            {
                await table.AddAsync(ResultRow.From(result, ((Item)result.InputObject!).Text), cancellationToken).ConfigureAwait(false);
            }

            if (!result.Success)
            {
                failures++;
            }

            if (_settings.Json)
            {
                var item = (Item)result.InputObject!;
                byte[] line = JsonSerializer.SerializeToUtf8Bytes(ResultRecord.From(result, item.Number, item.Text), CliJsonContext.Default.ResultRecord);
                await stdout.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                stdout.WriteByte((byte)'\n');
            }
            else
            {
                await stdout.WriteAsync(result.StdoutBytes, cancellationToken).ConfigureAwait(false);
                await stderr.WriteAsync(result.StderrBytes, cancellationToken).ConfigureAwait(false);
                if (result.Failure != FailureKind.None)
                {
                    await stderr.WriteAsync(Encoding.UTF8.GetBytes($"repartir: {Shown(result.Name)}: {result.Failure}: {result.FailureMessage}\n"), cancellationToken).ConfigureAwait(false);
                }
            }

            await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
            await ReportCutsAsync(result, stderr, cancellationToken).ConfigureAwait(false);
            _progress?.Finished(result.Success);
        }

        _progress?.Complete();
        return failures;
    }

    /// <summary>A stream cut at the cap is never silent: a line per stream on stderr (the JSON result carries the flags too).</summary>
    private async Task ReportCutsAsync(TaskResult result, Stream stderr, CancellationToken cancellationToken)
    {
        foreach ((bool cut, string stream) in new[] { (result.StdoutTruncated, "stdout"), (result.StderrTruncated, "stderr") })
        {
            if (cut)
            {
                string kept = result.Backend == Backend.Remote ? "its worker's capture limit" : $"the {Size(_settings.MaxOutputBytes)} kept per stream";
                await stderr.WriteAsync(Encoding.UTF8.GetBytes($"repartir: {Shown(result.Name)}: {stream} was cut short: it wrote more than {kept}; the rest was dropped (--max-output SIZE keeps more, 0 keeps all)\n"), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A task's name as a message line shows it: control characters escaped, and a huge input line cut, not echoed back whole.</summary>
    private static string Shown(string name)
    {
        const int Longest = 200;
        var shown = new StringBuilder(Math.Min(name.Length, Longest) + 16);
        ReadOnlySpan<char> kept = name.Length > Longest ? name.AsSpan(0, Longest) : name.AsSpan();
        for (int i = 0; i < kept.Length; i++)
        {
            char c = kept[i];
            if (char.IsHighSurrogate(c) && i + 1 < kept.Length && char.IsLowSurrogate(kept[i + 1]))
            {
                shown.Append(c).Append(kept[++i]);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c))
            {
                // A lone surrogate is a byte of the input that is not UTF-8 (ArgumentBytes): show the byte.
                shown.Append(CultureInfo.InvariantCulture, $"\\x{(c is >= '\uDC80' and <= '\uDCFF' ? c - 0xDC00 : c):x2}");
            }
            else
            {
                shown.Append(c);
            }
        }

        return name.Length > Longest ? shown.Append($"… ({name.Length} characters)").ToString() : shown.ToString();
    }

    private static string Size(int bytes) => bytes % (1 << 20) == 0 ? $"{bytes >> 20} MiB" : bytes % (1 << 10) == 0 ? $"{bytes >> 10} KiB" : $"{bytes} bytes";

    private async IAsyncEnumerable<TaskSpec> ReadSpecs(Stream input, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long number = 0;
        await foreach (string line in InputLines.ReadAsync(input, cancellationToken).ConfigureAwait(false))
        {
            number++;
            _progress?.Submitted();
            var item = new Item(line, number);
            yield return new TaskSpec(_settings.Command[0], _template.Expand(line, number, InvariantItemFormatter.Instance))
            {
                Timeout = _settings.Timeout,
                Retry = RetryPolicy.WithRetries(_settings.Retries),
                Backend = _settings.Backend,
                InputObject = item,
            };
        }

        _progress?.InputEnded();
    }

    /// <summary>One input line and its 1-based number, carried on the task to its result.</summary>
    private sealed record Item(string Text, long Number)
    {
        public override string ToString() => Text;
    }
}
