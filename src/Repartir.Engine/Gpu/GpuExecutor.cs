using Repartir.Execution;
using Repartir.Tasks;

namespace Repartir.Gpu;

/// <summary>
/// Runs GPU work on the chosen adapter of a <see cref="GpuRuntime"/>, opening its device on first use and again
/// after a loss: the call during which a device is lost fails with <see cref="GpuProblem.DeviceLost"/>, the next
/// call gets a new device. Safe to share between threads: calls are serialised on the device. As an
/// <see cref="IExecutor"/> it runs a pool's GPU kernel tasks (<see cref="TaskSpec.Kernel"/>), their output buffers on
/// the result.
/// </summary>
public sealed class GpuExecutor : IExecutor, IDisposable
{
    private static readonly Lazy<GpuExecutor> SharedExecutor = new(() => new GpuExecutor(GpuRuntime.Shared));

    private readonly GpuRuntime _runtime;
    private readonly object _gate = new();
    private GpuDevice? _device;
    private GpuCalibration? _calibration;

    /// <summary>Creates an executor over <paramref name="runtime"/>.</summary>
    public GpuExecutor(GpuRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _runtime = runtime;
    }

    /// <summary>The executor of this process (the shared runtime's chosen adapter).</summary>
    public static GpuExecutor Shared => SharedExecutor.Value;

    /// <summary>How many devices were lost and replaced, for the curious and for tests.</summary>
    public int Recoveries { get; private set; }

    /// <summary>Why the last replaced device was lost; <c>null</c> when none was.</summary>
    public string? LastLoss { get; private set; }

    /// <summary>The device work goes to now, opened if need be (a new one after a loss).</summary>
    /// <exception cref="GpuException">No library or no usable adapter.</exception>
    public GpuDevice Device
    {
        get
        {
            lock (_gate)
            {
                if (_device is { IsLost: true } lost)
                {
                    LastLoss = $"The GPU device on {lost.Adapter.Name} was lost ({lost.LossReason}); a new one was opened.";
                    lost.Dispose();
                    _device = null;
                    Recoveries++;
                    _runtime.Rediscover();
                }

                return _device ??= _runtime.OpenDevice();
            }
        }
    }

    /// <summary>The device's measured bandwidth and throughput (measured on first use, again after a new device).</summary>
    /// <exception cref="GpuException">No library or no usable adapter.</exception>
    public GpuCalibration Calibration
    {
        get
        {
            GpuDevice device = Device;
            lock (_gate)
            {
                if (_calibration is null || _calibration.Adapter != device.Adapter.Name)
                {
                    _calibration = GpuCalibration.Measure(device);
                }

                return _calibration;
            }
        }
    }

    /// <summary>Runs <paramref name="kernel"/> once on the device.</summary>
    /// <exception cref="GpuException">Why it could not run (see <see cref="GpuProblem"/>).</exception>
    public GpuKernelResult Run(GpuKernel kernel) => Device.Run(kernel);

    /// <inheritdoc />
    public Backend Backend => Backend.Gpu;

    /// <summary>
    /// Runs the kernel of <paramref name="spec"/> on the calling thread and returns its result: the output buffers
    /// (<see cref="TaskResult.GpuOutputs"/>) and exit code 0, or <see cref="FailureKind.GpuFailed"/> with why. A
    /// dispatch cannot be stopped once submitted: cancellation and the timeout act before it starts.
    /// </summary>
    public TaskResult Execute(TaskSpec spec, ExecutionSlot slot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        DateTimeOffset start = DateTimeOffset.UtcNow;
        if (spec.Kernel is null)
        {
            return TaskResult.NotRun(slot.Id, spec, FailureKind.Rejected, "The GPU executor runs GPU kernels; this task is a process.", slot.Attempt, Environment.MachineName, slot.Worker);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return TaskResult.NotRun(slot.Id, spec, FailureKind.Cancelled, "Cancelled before the kernel was dispatched.", slot.Attempt, Environment.MachineName, slot.Worker) with { Backend = Backend.Gpu };
        }

        TaskResult result = TaskResult.Begun(spec, slot, Backend.Gpu, start);
        try
        {
            int recoveries = Recoveries;
            GpuKernelResult ran = Run(spec.Kernel);
            return result with
            {
                ExitCode = 0,
                GpuOutputs = ran.Outputs,
                Worker = $"{slot.Worker}/{ran.Adapter}",
                FailureMessage = Recoveries != recoveries ? LastLoss : null,
                EndTime = DateTimeOffset.UtcNow,
            };
        }
        catch (GpuException e)
        {
            return result with { Failure = FailureKind.GpuFailed, FailureMessage = $"{e.Problem}: {e.Message}", EndTime = DateTimeOffset.UtcNow };
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _device?.Dispose();
            _device = null;
        }
    }
}
