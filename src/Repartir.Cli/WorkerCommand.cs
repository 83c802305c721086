using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging;
using Repartir.Remote;

namespace Repartir.Cli;

/// <summary>
/// <c>repartir worker</c>: the worker daemon. Runs until SIGTERM, SIGHUP or Ctrl+C, then drains: it stops
/// accepting, lets running tasks finish and report, says goodbye, and exits 0. A second signal stops
/// at once, killing running tasks.
/// </summary>
internal static class WorkerCommand
{
    internal static Command Build(TextWriter errors)
    {
        var bind = new Option<string>("--bind") { Description = "Address and port to listen on (default 127.0.0.1:9000; 0.0.0.0:PORT for every interface).", DefaultValueFactory = _ => $"127.0.0.1:{WorkerOptions.DefaultPort}" };
        var name = new Option<string?>("--name") { Description = "The worker's name (default: the host name)." };
        var slots = new Option<int?>("--slots") { Description = "Tasks to run at once (default: the number of processors)." };
        var heartbeat = new Option<string>("--heartbeat") { Description = "Heartbeat interval: 500ms, 1s, …", DefaultValueFactory = _ => "1s" };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Least severe log lines written to stderr: Trace, Debug, Information, Warning, Error.", DefaultValueFactory = _ => LogLevel.Information };
        var command = new Command("worker", "Serve tasks to coordinators over the network (the worker daemon).") { bind, name, slots, heartbeat, logLevel };
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

            var options = new WorkerOptions
            {
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

            using ILoggerFactory logging = CliLogging.Create(parse.GetValue(logLevel));
            return await ServeAsync(options, logging.CreateLogger("repartir.worker"), errors).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> ServeAsync(WorkerOptions options, ILogger logger, TextWriter errors)
    {
        await using var worker = new WorkerServer(options, logger);
        try
        {
            worker.Start();
        }
        catch (System.Net.Sockets.SocketException e)
        {
            await errors.WriteLineAsync($"repartir: cannot listen on {options.Bind}: {e.Message}").ConfigureAwait(false);
            return 1;
        }

        using var signals = new TerminationSignals();
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
}
