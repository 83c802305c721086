using System.Collections.Concurrent;
using Repartir.Execution;
using Repartir.Tasks;

namespace Repartir.Tests.Scheduling;

/// <summary>
/// An executor that starts no process: the spec's executable is a script for it. "work:MS:EXIT:OUT" waits
/// MS milliseconds (honouring cancellation), exits with EXIT and has written OUT bytes. It records every attempt it ran.
/// </summary>
internal sealed class FakeExecutor : IExecutor
{
    public ConcurrentQueue<ExecutionSlot> Attempts { get; } = new();

    public Backend Backend => Backend.Cpu;

    public static TaskSpec Work(int milliseconds = 0, int exitCode = 0, TaskPriority priority = TaskPriority.Normal, int outputBytes = 0) =>
        new($"work:{milliseconds}:{exitCode}:{outputBytes}") { Priority = priority };

    public TaskResult Execute(TaskSpec spec, ExecutionSlot slot, CancellationToken cancellationToken)
    {
        Attempts.Enqueue(slot);
        string[] parts = spec.Executable.Split(':');
        int milliseconds = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        int exitCode = int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
        int outputBytes = int.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture);
        DateTimeOffset start = DateTimeOffset.UtcNow;
        bool cancelled = milliseconds > 0 && cancellationToken.WaitHandle.WaitOne(milliseconds);
        cancelled |= cancellationToken.IsCancellationRequested;
        return new TaskResult
        {
            Id = slot.Id,
            Name = spec.DisplayName,
            Spec = spec,
            Attempt = slot.Attempt,
            Worker = slot.Worker,
            ExitCode = cancelled ? null : exitCode,
            Failure = cancelled ? FailureKind.Cancelled : FailureKind.None,
            StdoutBytes = new byte[outputBytes],
            FailureMessage = cancelled ? "cancelled" : null,
            StartTime = start,
            EndTime = DateTimeOffset.UtcNow,
        };
    }
}
