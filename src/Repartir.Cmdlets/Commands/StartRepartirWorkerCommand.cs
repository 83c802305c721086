using System.Management.Automation;
using System.Net;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Security;
using Repartir.Cmdlets.Workers;
using Repartir.Remote;

namespace Repartir.Cmdlets.Commands;

/// <summary>Start-RepartirWorker: runs the worker daemon inside this PowerShell session.</summary>
[Cmdlet(VerbsLifecycle.Start, "RepartirWorker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, HelpUri = HelpUris.Pages + "Start-RepartirWorker.md")]
[OutputType(typeof(WorkerInfo))]
public sealed class StartRepartirWorkerCommand : MutualTlsCommand, IDisposable
{
    private readonly ManualResetEventSlim _stopRequested = new();

    /// <summary>Address and port to listen on: HOST:PORT, [IPv6]:PORT, or a port on loopback.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Bind { get; set; } = $"127.0.0.1:{WorkerOptions.DefaultPort}";

    /// <summary>The worker's name; the host name when omitted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>Tasks to run at once; the processor count when omitted.</summary>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int Slots { get; set; } = Environment.ProcessorCount;

    /// <summary>The GPUs this worker offers Gpu tasks, announced to pools (0, 1 … or UUIDs); detected when omitted, none with an empty list.</summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? Gpu { get; set; }

    /// <summary>Run only programs at these absolute paths or globs; others are refused with a Rejected result and never run.</summary>
    [Parameter]
    [ValidateNotNull]
    public string[] AllowExecutable { get; set; } = [];

    /// <summary>Environment variables tasks may set although the default deny-list refuses them (LD_PRELOAD, PYTHONPATH, ...).</summary>
    [Parameter]
    [ValidateNotNull]
    public string[] AllowEnvironment { get; set; } = [];

    /// <summary>Open connections at most; more are closed at once.</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int MaxConnections { get; set; } = new WorkerLimits().MaxConnections;

    /// <summary>Seconds a connection may go without delivering a whole message before it is closed.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public double IdleTimeoutSeconds { get; set; } = new WorkerLimits().IdleTimeout.TotalSeconds;

    /// <summary>Seconds a new connection has for its TLS handshake and hello.</summary>
    [Parameter]
    [ValidateRange(0.1, 3600)]
    public double HandshakeTimeoutSeconds { get; set; } = new WorkerOptions().HandshakeTimeout.TotalSeconds;

    /// <summary>Tasks one connection may have here before its messages are left unread; twice the slots (at least 8) when omitted.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxTasksPerConnection { get; set; }

    /// <summary>Output bytes a connection may leave unread before it gets no more slots and its messages are left unread.</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long MaxUnreadOutputBytes { get; set; } = new WorkerLimits().MaxPendingResultBytes;

    /// <summary>Block until Ctrl+C, then drain and stop: for running the worker as a service.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (!EndPoints.TryParse(Bind, out IPEndPoint? endPoint, out string? error))
        {
            ThrowTerminatingError(ErrorRecords.BadWorkerSettings(Bind, new InvalidSettingException(nameof(Bind), $"-Bind {error}")).ToRecord());
            return;
        }

        WorkerInfo? worker = null;
        try
        {
            TlsFiles? files = GivenTlsFiles();
            Repartir.Security.TlsCredentials? tls = files?.ReadForCommand();
            var options = new WorkerOptions
            {
                Bind = endPoint!,
                Name = Name,
                Slots = Slots,
                Gpus = Gpu,
                Tls = tls,
                AllowInsecure = AllowInsecure,
                Policy = new TaskPolicy { AllowedExecutables = AllowExecutable, AllowedEnvironment = AllowEnvironment },
                Limits = new WorkerLimits
                {
                    MaxConnections = MaxConnections,
                    IdleTimeout = TimeSpan.FromSeconds(IdleTimeoutSeconds),
                    MaxTasksPerConnection = MaxTasksPerConnection > 0 ? MaxTasksPerConnection : null,
                    MaxPendingResultBytes = MaxUnreadOutputBytes,
                },
                HandshakeTimeout = TimeSpan.FromSeconds(HandshakeTimeoutSeconds),
            };
            worker = WorkerCommands.Start(WorkerRegistry.Process, options, new CmdletSink(this), files is null ? null : files.Read);
        }
        catch (TerminatingCommandException ex)
        {
            ThrowTerminatingError(ex.Error.ToRecord());
        }

        if (worker is not null && Wait)
        {
            WriteVerbose($"Worker {worker} serving; press Ctrl+C to drain and stop.");
            _stopRequested.Wait();

            // Stopped: PowerShell may no longer be written to or asked anything, so the drain goes ahead without a word.
            WorkerCommands.Halt(WorkerRegistry.Process, worker, drain: true, CancellationToken.None);
        }
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _stopRequested.Set();


    /// <inheritdoc />
    public void Dispose() => _stopRequested.Dispose();
}
