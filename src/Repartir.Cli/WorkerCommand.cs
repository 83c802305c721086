using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Repartir.Remote;

namespace Repartir.Cli;

/// <summary>
/// <c>repartir worker</c>: the worker daemon. Runs until SIGTERM or Ctrl+C, then drains: it stops accepting, lets
/// running tasks finish and report, says goodbye, and exits 0. A second signal stops at once, killing running
/// tasks. SIGHUP re-reads its certificate files (a rotation without downtime), as daemons do.
/// </summary>
internal static class WorkerCommand
{
    internal static Command Build(TextWriter errors)
    {
        var bind = new Option<string>("--bind") { Description = "Address and port to listen on (default 127.0.0.1:9000; 0.0.0.0:PORT for every interface).", DefaultValueFactory = _ => $"127.0.0.1:{WorkerOptions.DefaultPort}" };
        var name = new Option<string?>("--name") { Description = "The worker's name (default: the host name)." };
        var slots = new Option<int?>("--slots") { Description = "Tasks to run at once (default: the number of processors)." };
        var metrics = new Option<string?>("--metrics") { Description = "Serve the worker's metrics for Prometheus at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464)." };
        var otlp = new Option<string?>("--otlp") { Description = "Export metrics and traces over OTLP to this collector URL (e.g. http://localhost:4317)." };
        var gpus = new Option<string?>("--gpus") { Description = "The GPUs offered to Gpu tasks, one task a device while devices are free: 0,1 or none (default: REPARTIR_GPUS, else CUDA_VISIBLE_DEVICES, else /dev/nvidiaN)." };
        var heartbeat = new Option<string>("--heartbeat") { Description = "Heartbeat interval: 500ms, 1s, …", DefaultValueFactory = _ => "1s" };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Least severe log lines written to stderr: Trace, Debug, Information, Warning, Error.", DefaultValueFactory = _ => LogLevel.Information };
        var allow = new Option<string[]>("--allow") { Description = "Run only programs at these absolute paths or globs (/usr/bin/python3, /opt/jobs/*); repeat for several. Others are refused, never run.", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var allowEnvironment = new Option<string[]>("--allow-env") { Description = "Let tasks set this environment variable although it changes what code programs load (LD_PRELOAD, LD_LIBRARY_PATH, PYTHONPATH, ...: refused by default); repeat for several.", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var maxConnections = new Option<int?>("--max-connections") { Description = "Open connections at most; more are closed at once (default 256)." };
        var idleTimeout = new Option<string?>("--idle-timeout") { Description = "Close a connection that delivers no whole message for this long: 30s, 2m (the default)." };
        var handshakeTimeout = new Option<string?>("--handshake-timeout") { Description = "Close a new connection that has not finished its TLS handshake and hello in this long (default 10s)." };
        var maxTasks = new Option<int?>("--max-tasks-per-connection") { Description = "Tasks one connection may have here before its messages are left unread (default: twice --slots, at least 8)." };
        var maxUnread = new Option<string?>("--max-unread-output") { Description = "Output a connection may leave unread before it gets no more slots and its messages are left unread: 64M (the default), 1G." };
        var tls = new TlsArguments("worker");
        var command = new Command("worker", "Serve tasks to coordinators over the network (the worker daemon). SIGTERM or Ctrl+C drains; SIGHUP re-reads --cert, --key and --ca.") { bind, name, slots, gpus, metrics, otlp, heartbeat, logLevel, allow, allowEnvironment, maxConnections, idleTimeout, handshakeTimeout, maxTasks, maxUnread };
        foreach (Option option in tls.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, _) =>
        {
            if (!EndPoints.TryParse(parse.GetValue(bind)!, out IPEndPoint? endPoint, out string? bindError))
            {
                return CommandLineApp.UsageError(errors, "--bind: " + bindError);
            }

            if (!Duration.TryParse(parse.GetValue(heartbeat)!, out TimeSpan interval, out string? heartbeatError))
            {
                return CommandLineApp.UsageError(errors, "--heartbeat: " + heartbeatError);
            }

            var limits = new WorkerLimits();
            if (parse.GetValue(maxConnections) is { } connections)
            {
                limits = limits with { MaxConnections = connections };
            }

            if (parse.GetValue(idleTimeout) is { } idleText)
            {
                if (!Duration.TryParse(idleText, out TimeSpan idle, out string? idleError))
                {
                    return CommandLineApp.UsageError(errors, "--idle-timeout: " + idleError);
                }

                limits = limits with { IdleTimeout = idle };
            }

            if (parse.GetValue(maxTasks) is { } tasksPerConnection)
            {
                limits = limits with { MaxTasksPerConnection = tasksPerConnection };
            }

            if (parse.GetValue(maxUnread) is { } unreadText)
            {
                if (!ByteSize.TryParse(unreadText, out int unread, out string? unreadError) || unread == 0)
                {
                    return CommandLineApp.UsageError(errors, "--max-unread-output: " + (unreadError ?? "must be more than 0."));
                }

                limits = limits with { MaxPendingResultBytes = unread };
            }

            TimeSpan handshake = new WorkerOptions().HandshakeTimeout;
            if (parse.GetValue(handshakeTimeout) is { } handshakeText && !Duration.TryParse(handshakeText, out handshake, out string? handshakeError))
            {
                return CommandLineApp.UsageError(errors, "--handshake-timeout: " + handshakeError);
            }

            if (tls.Read(parse, errors, out Repartir.Security.TlsCredentials? credentials, out var tlsPaths) is not 0 and var failed)
            {
                return failed;
            }

            IReadOnlyList<string>? offered;
            try
            {
                offered = parse.GetValue(gpus) is { } gpuText ? Repartir.Gpu.GpuDeviceSlots.Parse(gpuText, "--gpus") : Repartir.Gpu.GpuDeviceSlots.Detect();
            }
            catch (ArgumentException e)
            {
                return CommandLineApp.UsageError(errors, e.Message);
            }

            var options = new WorkerOptions
            {
                Gpus = offered,
                Tls = credentials,
                Policy = new TaskPolicy { AllowedExecutables = parse.GetValue(allow) ?? [], AllowedEnvironment = parse.GetValue(allowEnvironment) ?? [] },
                Limits = limits,
                HandshakeTimeout = handshake,
                AllowInsecure = parse.GetValue(tls.Insecure),
                Bind = endPoint!,
                Name = parse.GetValue(name) ?? Environment.MachineName,
                Slots = parse.GetValue(slots) ?? Environment.ProcessorCount,
                HeartbeatInterval = interval,
                Process = new Repartir.Execution.ProcessExecutorOptions { SnapshotEnvironment = true }, // a daemon's environment is fixed
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                return CommandLineApp.UsageError(errors, e.Message);
            }

            CliTelemetry telemetry;
            try
            {
                telemetry = CliTelemetry.Start(parse.GetValue(metrics), parse.GetValue(otlp));
            }
            catch (InvalidSettingException e)
            {
                return CommandLineApp.UsageError(errors, e.Message);
            }

            using CliTelemetry exporting = telemetry;
            using ILoggerFactory logging = CliLogging.Create(parse.GetValue(logLevel));
            return await ServeAsync(options, tlsPaths, logging.CreateLogger("repartir.worker"), errors).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> ServeAsync(WorkerOptions options, (string Certificate, string Key, string Authority)? tlsPaths, ILogger logger, TextWriter errors)
    {
        await using var worker = new WorkerServer(options, logger);
        using var reload = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            Reload(worker, tlsPaths, logger);
        });
        try
        {
            worker.Start();
        }
        catch (System.Net.Sockets.SocketException e)
        {
            await errors.WriteLineAsync($"repartir: cannot listen on {options.Bind}: {e.Message}").ConfigureAwait(false);
            return 1;
        }

        using var signals = new TerminationSignals(hangUpStops: false);
        await signals.FirstSignal.ConfigureAwait(false);
        logger.LogInformation("{Signal} received: draining (send it again to stop at once)", signals.Name);
        try
        {
            await worker.StopAsync(drain: true, signals.Forced).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await worker.StopAsync(drain: false).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>SIGHUP: the certificate files again, for new connections; on any error the old ones stay in use.</summary>
    private static void Reload(WorkerServer worker, (string Certificate, string Key, string Authority)? tlsPaths, ILogger logger)
    {
        if (tlsPaths is not { } paths)
        {
            logger.LogInformation("SIGHUP received: this worker serves plain TCP, there are no certificates to re-read");
            return;
        }

        try
        {
            worker.UseCredentials(Repartir.Security.TlsCredentials.Load(paths.Certificate, paths.Key, paths.Authority));
        }
        catch (Repartir.Security.CertificateException e)
        {
            logger.LogError("SIGHUP received, but the certificates cannot be re-read; still serving with the previous ones: {Problem}", e.Message);
        }
    }
}
