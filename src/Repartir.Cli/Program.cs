using System.CommandLine;
using System.CommandLine.Parsing;
using Repartir.Cli;

await using Stream stdin = Console.OpenStandardInput();
await using Stream stdout = Console.OpenStandardOutput();
await using Stream stderr = Console.OpenStandardError();
return await CommandLineApp.RunAsync(args, stdin, stdout, stderr).ConfigureAwait(false);

namespace Repartir.Cli
{
    /// <summary>The <c>repartir</c> command line: parsing, usage errors (exit code 2) and dispatch.</summary>
    internal static class CommandLineApp
    {
        internal const int UsageErrorExitCode = 2;

        /// <summary>Runs the command line <paramref name="args"/> against the given streams and returns the exit code.</summary>
        internal static async Task<int> RunAsync(string[] args, Stream input, Stream stdout, Stream stderr)
        {
            using var errors = new StreamWriter(stderr, new System.Text.UTF8Encoding(false), bufferSize: 1024, leaveOpen: true) { AutoFlush = true };
            RootCommand root = Build(input, stdout, stderr, errors);
            ParseResult parsed = root.Parse(args);
            string? error = parsed.Errors.Count > 0 ? parsed.Errors[0].Message : UnknownOptionIn(parsed);
            if (error is not null)
            {
                await errors.WriteLineAsync("repartir: " + error + " (see 'repartir --help')").ConfigureAwait(false);
                return UsageErrorExitCode;
            }

            using var output = new StreamWriter(stdout, new System.Text.UTF8Encoding(false), bufferSize: 4096, leaveOpen: true) { AutoFlush = true };
            // Both commands handle SIGINT, SIGTERM and SIGHUP themselves (TerminationSignals): a run kills its tasks
            // before it exits, a worker drains for as long as its running tasks need.
            var configuration = new InvocationConfiguration { Output = output, Error = errors, ProcessTerminationTimeout = null };

            return await parsed.InvokeAsync(configuration).ConfigureAwait(false);
        }

        /// <summary>
        /// The command argument takes any token, so an unknown option before <c>--</c> would silently become
        /// the program to run; name it instead.
        /// </summary>
        internal static string? UnknownOptionIn(ParseResult parsed)
        {
            foreach (Token token in parsed.Tokens)
            {
                if (token.Type == TokenType.DoubleDash)
                {
                    return null;
                }

                if (token.Type == TokenType.Argument && token.Value.StartsWith('-') && token.Value.Length > 1)
                {
                    return $"Unrecognized option '{token.Value}'; put the command after '--' if it starts with '-'.";
                }
            }

            return null;
        }

        internal static RootCommand Build(Stream input, Stream stdout, Stream stderr, TextWriter errors)
        {
            var workers = new Option<int?>("--workers", "-j") { Description = "Tasks to run at once on this machine (default: the number of processors; 0 with --worker by default)." };
            var remoteWorkers = new Option<string[]>("--worker")
            {
                Description = "A worker daemon (HOST:PORT) to run tasks on too; repeat for several.",
                Arity = ArgumentArity.OneOrMore,
                AllowMultipleArgumentsPerToken = false,
            };
            var timeout = new Option<string?>("--timeout") { Description = "Kill a task's process tree after this long: 500ms, 30s, 2m, 1h." };
            var retries = new Option<int>("--retries") { Description = "Retry a failed task up to N more times, with exponential back-off." };
            var keepOrder = new Option<bool>("--keep-order", "-k") { Description = "Print results in input order instead of completion order." };
            var json = new Option<bool>("--json") { Description = "Print one JSON object per result, with every field." };
            var maxOutput = new Option<string?>("--max-output") { Description = "Keep at most this much of each task's stdout and of its stderr: 512K, 16M (the default), 1G. A cut is reported on stderr. 0: no limit, and plain output in completion order goes straight through, as tasks write it." };
            var journal = new Option<string?>("--journal") { Description = "Record each success in this journal (in the checkpoint store; durable within about 25 ms) and, when it already holds a task's success from an earlier run, print that result instead of running the task again." };
            var restart = new Option<bool>("--restart") { Description = "With --journal: discard what the journal recorded, and run everything." };
            var store = new Option<string?>("--store") { Description = "The checkpoint store's directory for --journal (default: REPARTIR_HOME, else ~/.local/share/repartir)." };
            var results = new Option<string?>("--results") { Description = "Also write every result to this Parquet file, one row per task (written beside it and moved into place when the run ends)." };
            var metrics = new Option<string?>("--metrics") { Description = "Serve the run's metrics for Prometheus at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464)." };
            var otlp = new Option<string?>("--otlp") { Description = "Export metrics and traces over OTLP to this collector URL (e.g. http://localhost:4317)." };
            var progress = new Option<bool>("--progress") { Description = "Show a live progress line on stderr (done/total, failures, rate, ETA) when it is a terminal." };
            var backend = new Option<string>("--backend") { Description = "Where tasks run: auto (this machine or a worker, whichever is free; the default), cpu (this machine), remote (the workers), gpu (a node with a free GPU: each task is told its device in CUDA_VISIBLE_DEVICES).", DefaultValueFactory = _ => "auto" };
            backend.AcceptOnlyFromAmong("auto", "cpu", "remote", "gpu");
            var gpus = new Option<string?>("--gpus") { Description = "This machine's GPUs for --backend gpu: 0,1 or none (default: REPARTIR_GPUS, else CUDA_VISIBLE_DEVICES, else /dev/nvidiaN)." };
            var command = new Argument<string[]>("command")
            {
                Description = "The command and its arguments. {} is replaced by the input line (appended when absent); {#} by its number.",
                Arity = ArgumentArity.OneOrMore,
            };
            var tls = new TlsArguments("coordinator");
            var run = new Command("run", "Run COMMAND once per line of standard input, in parallel.")
            {
                workers, remoteWorkers, timeout, retries, keepOrder, json, maxOutput, journal, restart, store, results, backend, gpus, metrics, otlp, progress, command,
            };
            foreach (Option option in tls.All)
            {
                run.Options.Add(option);
            }

            run.SetAction(async (parse, cancellationToken) =>
            {
                string[] remote = parse.GetValue(remoteWorkers) ?? [];
                foreach (string address in remote)
                {
                    if (!Repartir.Remote.EndPoints.TryParse(address, out _, out string? addressError))
                    {
                        return UsageError(errors, "--worker: " + addressError);
                    }
                }

                // With remote workers this machine only coordinates, unless -j asks it to run tasks too.
                int workerCount = parse.GetValue(workers) ?? (remote.Length > 0 ? 0 : Environment.ProcessorCount);
                if (workerCount < (remote.Length > 0 ? 0 : 1) || workerCount > 4096)
                {
                    return UsageError(errors, $"--workers must be between {(remote.Length > 0 ? 0 : 1)} and 4096, not {workerCount}.");
                }

                int retryCount = parse.GetValue(retries);
                if (retryCount < 0)
                {
                    return UsageError(errors, $"--retries must be 0 or more, not {retryCount}.");
                }

                TimeSpan? limit = null;
                if (parse.GetValue(timeout) is { } timeoutText)
                {
                    if (!Duration.TryParse(timeoutText, out TimeSpan parsedTimeout, out string? error))
                    {
                        return UsageError(errors, "--timeout: " + error);
                    }

                    limit = parsedTimeout;
                }

                int outputCap = Repartir.Execution.ProcessExecutorOptions.DefaultMaxOutputBytes;
                if (parse.GetValue(maxOutput) is { } maxOutputText && !ByteSize.TryParse(maxOutputText, out outputCap, out string? sizeError))
                {
                    return UsageError(errors, "--max-output: " + sizeError);
                }

                if (tls.Read(parse, errors, out Repartir.Security.TlsCredentials? credentials, out var _) is not 0 and var failed)
                {
                    return failed;
                }

                if (parse.GetValue(journal) is null && (parse.GetValue(restart) || parse.GetValue(store) is not null))
                {
                    return UsageError(errors, "--restart and --store go with --journal NAME.");
                }

                IReadOnlyList<string>? localGpus = null;
                if (parse.GetValue(gpus) is { } gpuText)
                {
                    try
                    {
                        localGpus = Repartir.Gpu.GpuDeviceSlots.Parse(gpuText, "--gpus");
                    }
                    catch (InvalidSettingException e)
                    {
                        return UsageError(errors, e.Message);
                    }
                }

                string[] commandLine = parse.GetValue(command) ?? [];
                if (commandLine.Length == 0 || string.IsNullOrEmpty(commandLine[0]))
                {
                    return UsageError(errors, "a command to run is required: repartir run [options] -- COMMAND [ARGS...]");
                }

                CliTelemetry telemetry;
                try
                {
                    telemetry = CliTelemetry.Start(parse.GetValue(metrics), parse.GetValue(otlp));
                }
                catch (InvalidSettingException e)
                {
                    return UsageError(errors, e.Message);
                }

                using CliTelemetry exporting = telemetry;
                var job = new RunJob(new RunSettings
                {
                    Command = commandLine,
                    Workers = workerCount,
                    RemoteWorkers = remote,
                    Backend = Enum.Parse<Repartir.Tasks.Backend>(parse.GetValue(backend)!, ignoreCase: true),
                    Progress = parse.GetValue(progress),
                    Gpus = localGpus,
                    Timeout = limit,
                    Retries = retryCount,
                    KeepOrder = parse.GetValue(keepOrder),
                    Json = parse.GetValue(json),
                    MaxOutputBytes = outputCap,
                    Tls = credentials,
                    AllowInsecure = parse.GetValue(tls.Insecure),
                    Journal = parse.GetValue(journal),
                    RestartJournal = parse.GetValue(restart),
                    Store = parse.GetValue(store),
                    ResultsPath = parse.GetValue(results),
                });
                return await job.RunAsync(input, stdout, stderr, cancellationToken).ConfigureAwait(false);
            });

            return new RootCommand("Repartir: run work across the cores of this machine and on worker daemons.") { run, WorkerCommand.Build(errors), CertCommand.Build(errors), CheckpointCommand.Build(input, stdout, errors), GpuCommand.Build(stdout, errors), TopCommand.Build(stdout, errors) };
        }

        internal static int UsageError(TextWriter errors, string message)
        {
            errors.WriteLine("repartir: " + message);
            return UsageErrorExitCode;
        }
    }
}
