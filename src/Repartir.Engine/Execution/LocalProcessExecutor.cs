using Repartir.Tasks;

namespace Repartir.Execution;

/// <summary>
/// Runs tasks as processes on this machine (Linux): see <see cref="ProcessExecutorOptions"/> for its limits. The
/// processes it starts never outlive the process that owns it, however that process ends (see <see cref="OwnerWatchdog"/>).
/// </summary>
public sealed class LocalProcessExecutor : IExecutor, IDisposable
{
    private readonly ProcessExecutorOptions _options;
    private readonly OwnerWatchdog _watchdog;
    private readonly EnvironmentSnapshot? _snapshot;
    private readonly string _host = System.Environment.MachineName;

    /// <summary>Creates an executor with <paramref name="options"/> (defaults when null).</summary>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    public LocalProcessExecutor(ProcessExecutorOptions? options = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The local process executor needs Linux (posix_spawn, pidfd, eventfd).");
        }

        _options = options ?? new ProcessExecutorOptions();
        _options.Validate();
        _watchdog = new OwnerWatchdog(_options.KillGracePeriod);
        _snapshot = _options.SnapshotEnvironment ? new EnvironmentSnapshot(_watchdog.EnvironmentEntry) : null;
    }

    /// <summary>The value of <c>REPARTIR_OWNER</c> in the environment of every process this executor starts.</summary>
    public string OwnerMarker => _watchdog.Marker;

    /// <inheritdoc />
    public Backend Backend => Backend.Cpu;

    /// <inheritdoc />
    public TaskResult Execute(TaskSpec spec, ExecutionSlot slot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var identity = new TaskResult
        {
            Id = slot.Id,
            Name = spec.DisplayName,
            Spec = spec,
            Attempt = slot.Attempt,
            Worker = slot.Worker,
            Host = _host,
            Backend = Backend.Cpu,
        };
        return ChildProcess.Run(identity, _options, _watchdog, _snapshot, cancellationToken);
    }

    /// <summary>Lets the watchdog go; call it once the executor's processes have ended (a pool does so when it stops).</summary>
    public void Dispose()
    {
        _snapshot?.Dispose();
        _watchdog.Dispose();
    }
}
