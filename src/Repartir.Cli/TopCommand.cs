using System.CommandLine;
using System.Text.Json;
using Repartir.Monitoring;
using Repartir.Remote;
using Repartir.Scheduling;
using Spectre.Console;

namespace Repartir.Cli;

/// <summary>
/// <c>repartir top</c>: a live view of worker daemons, connected as a read-only monitor (it can neither submit nor
/// cancel). In a terminal it redraws in place until q or Ctrl+C; elsewhere (redirected, <c>TERM=dumb</c>, CI, or
/// <c>--plain</c>) it prints one plain line per interval; <c>--json</c> prints one JSON object per interval; <c>--once</c>
/// prints one snapshot and exits, 1 when no worker could be reached (a health check).
/// </summary>
internal static class TopCommand
{
    internal static Command Build(Stream stdout, TextWriter errors)
    {
        var workers = new Option<string[]>("--worker") { Description = "A worker daemon (HOST:PORT) to watch; repeat for several.", Required = true, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var interval = new Option<string>("--interval") { Description = "Time between two updates: 500ms, 1s (the default), 5s.", DefaultValueFactory = _ => "1s" };
        var once = new Option<bool>("--once") { Description = "Print one snapshot and exit (1 when no worker could be reached)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per update instead of the view." };
        var plain = new Option<bool>("--plain") { Description = "Print one plain line per update even in a terminal (as when output is redirected)." };
        var tls = new TlsArguments("monitor");
        var command = new Command("top", "Watch worker daemons live: their state, load, slots and tasks, the cluster's throughput and ETA, and the longest-running tasks. q or Ctrl+C quits.") { workers, interval, once, json, plain };
        foreach (Option option in tls.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, _) =>
        {
            string[] addresses = parse.GetValue(workers) ?? [];
            foreach (string address in addresses)
            {
                if (!EndPoints.TryParse(address, out System.Net.IPEndPoint? _, out string? addressError))
                {
                    return CommandLineApp.UsageError(errors, "--worker: " + addressError);
                }
            }

            if (!Duration.TryParse(parse.GetValue(interval)!, out TimeSpan every, out string? intervalError) || every < TimeSpan.FromMilliseconds(100))
            {
                return CommandLineApp.UsageError(errors, "--interval: " + (intervalError ?? "must be at least 100ms."));
            }

            if (tls.Read(parse, errors, out Repartir.Security.TlsCredentials? credentials, out var _) is not 0 and var failed)
            {
                return failed;
            }

            var options = new PoolOptions
            {
                Name = "top",
                CpuWorkers = 0,
                Workers = addresses,
                Remote = new RemoteOptions { Observe = true, Tls = credentials, AllowInsecure = parse.GetValue(tls.Insecure) },
            };
            await using var pool = new Pool(options);
            using var signals = new TerminationSignals();
            TextWriter output = parse.InvocationConfiguration.Output;
            await FirstViewAsync(pool, signals.Stopping).ConfigureAwait(false);
            if (parse.GetValue(once))
            {
                ClusterSnapshot snapshot = SnapshotCapture.Capture(pool);
                Print(snapshot, parse.GetValue(json), parse.GetValue(plain), output, stdout, every);
                if (snapshot.WorkersActive == 0)
                {
                    await errors.WriteLineAsync($"repartir: no worker could be reached: {string.Join("; ", snapshot.Workers.Select(w => $"{w.Address}: {w.Problem ?? w.Status}"))}").ConfigureAwait(false);
                    return 1;
                }

                return 0;
            }

            if (!parse.GetValue(json) && !parse.GetValue(plain) && MonitorScreen.IsInteractive(AnsiConsole.Console))
            {
                MonitorScreen.Run(AnsiConsole.Console, () => SnapshotCapture.Capture(pool), every, TimeProvider.System, signals.Stopping);
                return 0;
            }

            using var timer = new PeriodicTimer(every);
            do
            {
                Print(SnapshotCapture.Capture(pool), parse.GetValue(json), plain: true, output, stdout, every);
            }
            while (await Tick(timer, signals.Stopping).ConfigureAwait(false));

            return 0;
        });
        return command;
    }

    /// <summary>
    /// Waits until every worker was tried once and each one reached has sent its first figures (it does at once), or
    /// two seconds: the first view then says something true rather than zeros.
    /// </summary>
    private static async Task FirstViewAsync(Pool pool, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(6));
        try
        {
            await pool.WhenWorkersTriedAsync().WaitAsync(limit.Token).ConfigureAwait(false);
            limit.CancelAfter(TimeSpan.FromSeconds(2));
            while (pool.RemoteWorkers.Any(w => w.State == RemoteWorkerState.Online && w.LastStatus is null))
            {
                await Task.Delay(20, limit.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Shown as it is: a worker still connecting is Offline, one without figures shows zeros.
        }
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static void Print(ClusterSnapshot snapshot, bool json, bool plain, TextWriter output, Stream stdout, TimeSpan interval)
    {
        if (json)
        {
            output.Flush();
            using (var writer = new Utf8JsonWriter(stdout))
            {
                SnapshotJson.Write(writer, snapshot);
            }

            stdout.WriteByte((byte)'\n');
            stdout.Flush();
        }
        else if (plain || !MonitorScreen.IsInteractive(AnsiConsole.Console))
        {
            output.WriteLine(MonitorView.PlainLine(snapshot));
        }
        else
        {
            AnsiConsole.Console.Write(MonitorView.Render(snapshot, interval));
        }
    }
}
