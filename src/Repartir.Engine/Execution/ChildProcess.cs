using System.Diagnostics;
using System.Runtime.InteropServices;
using Repartir.Execution.Native;
using Repartir.Tasks;

namespace Repartir.Execution;

/// <summary>
/// Runs one task's process to completion on the calling thread: finds the program and the environment, creates the
/// pipes, starts it (<see cref="ProcessSpawner"/>) and supervises it to its end (<see cref="ProcessSupervisor"/>).
/// </summary>
/// <remarks>
/// The calling thread is a pool worker: blocking it is the point, since a worker is one slot of concurrency.
/// Nothing here is static mutable state; every descriptor is closed on every path.
/// </remarks>
internal static unsafe class ChildProcess
{
    /// <summary>
    /// Runs the task of <paramref name="identity"/> under <paramref name="watchdog"/>, whose marker is added to its
    /// environment last, so no task setting can drop it. A task that changes nothing in its environment takes it, and
    /// its program's path, from <paramref name="snapshot"/> when there is one, instead of reading and building them again.
    /// </summary>
    /// <param name="identity">The result's fields that say which task and attempt this is and where it runs; the run fills in the rest.</param>
    /// <param name="options">The limits: output caps, kill grace, drain grace.</param>
    /// <param name="watchdog">Kills the process's group should this process die first.</param>
    /// <param name="snapshot">The executor's fixed environment, if it has one.</param>
    /// <param name="cancellationToken">Kills the process group (SIGTERM, then SIGKILL after the grace).</param>
    internal static TaskResult Run(TaskResult identity, ProcessExecutorOptions options, OwnerWatchdog watchdog, EnvironmentSnapshot? snapshot, CancellationToken cancellationToken)
    {
        TaskSpec spec = identity.Spec;
        DateTimeOffset startTime = DateTimeOffset.UtcNow;
        long startTimestamp = Stopwatch.GetTimestamp(); // the same instant on the monotonic clock: the duration counts the start-up too
        if (cancellationToken.IsCancellationRequested)
        {
            return NotStarted(identity, FailureKind.Cancelled, "Cancelled before the process started.", startTime);
        }

        if (watchdog.EnsureStarted() is { } problem)
        {
            return NotStarted(identity, FailureKind.SpawnFailed, problem, startTime);
        }

        EnvironmentSnapshot? shared = spec.Environment.Count == 0 ? snapshot : null;
        List<string>? environment = null;
        ExecutableResolver.Resolution resolution;
        if (shared is not null)
        {
            resolution = shared.Resolve(spec.Executable);
        }
        else
        {
            environment = EnvironmentSnapshot.Build(spec.Environment, watchdog.EnvironmentEntry, out string? searchPath);
            resolution = ExecutableResolver.Resolve(spec.Executable, searchPath);
        }

        if (resolution.FullPath is null)
        {
            return NotStarted(identity, resolution.Failure, resolution.Message, startTime);
        }

        if (spec.WorkingDirectory is { } directory && !Directory.Exists(directory))
        {
            return NotStarted(identity, FailureKind.SpawnFailed, $"The working directory '{directory}' does not exist.", startTime);
        }

        int* stdoutPipe = stackalloc int[2] { -1, -1 };
        int* stderrPipe = stackalloc int[2] { -1, -1 };
        int* stdinPipe = stackalloc int[2] { -1, -1 };
        try
        {
            bool capture = !options.PassOutputThrough;
            if ((capture && (LibC.Pipe2(stdoutPipe, LibC.O_CLOEXEC) != 0 || LibC.Pipe2(stderrPipe, LibC.O_CLOEXEC) != 0))
                || (spec.StandardInput is not null && LibC.Pipe2(stdinPipe, LibC.O_CLOEXEC) != 0))
            {
                int errno = Marshal.GetLastPInvokeError();
                return NotStarted(identity, FailureKind.SpawnFailed, "Could not create pipes: " + LibC.ErrorText(errno), startTime);
            }

            var arguments = new List<string>(spec.Arguments.Count + 1) { spec.Executable };
            arguments.AddRange(spec.Arguments);
            int spawnError = ProcessSpawner.Spawn(resolution.FullPath, arguments, shared, environment, spec.WorkingDirectory, stdinPipe[0], stdoutPipe[1], stderrPipe[1], out int pid);
            LibC.CloseAndReset(ref stdoutPipe[1]);
            LibC.CloseAndReset(ref stderrPipe[1]);
            LibC.CloseAndReset(ref stdinPipe[0]);
            if (spawnError != 0)
            {
                return NotStarted(identity, ProcessSpawner.ClassifySpawnError(spawnError), $"Could not start '{resolution.FullPath}': {LibC.ErrorText(spawnError)}.", startTime);
            }

            if (stdinPipe[1] >= 0)
            {
                // Only our end is non-blocking: the child must see an ordinary blocking stdin.
                LibC.Fcntl(stdinPipe[1], LibC.F_SETFL, LibC.Fcntl(stdinPipe[1], LibC.F_GETFL, 0) | LibC.O_NONBLOCK);
            }

            var supervisor = new ProcessSupervisor(pid, stdoutPipe[0], stderrPipe[0], stdinPipe[1], identity, options, startTime, startTimestamp);
            stdoutPipe[0] = stderrPipe[0] = stdinPipe[1] = -1; // the supervisor owns them now
            return supervisor.Run(cancellationToken);
        }
        finally
        {
            for (int i = 0; i < 2; i++)
            {
                LibC.CloseAndReset(ref stdoutPipe[i]);
                LibC.CloseAndReset(ref stderrPipe[i]);
                LibC.CloseAndReset(ref stdinPipe[i]);
            }
        }
    }

    private static TaskResult NotStarted(TaskResult identity, FailureKind failure, string? message, DateTimeOffset startTime) => identity with
    {
        Failure = failure,
        FailureMessage = message,
        StartTime = startTime,
        EndTime = DateTimeOffset.UtcNow,
    };
}
