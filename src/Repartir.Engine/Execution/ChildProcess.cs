using System.Buffers;
using System.Collections;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Repartir.Execution.Native;
using Repartir.Tasks;

namespace Repartir.Execution;

/// <summary>How one process ended and what it wrote.</summary>
internal sealed class ProcessOutcome
{
    internal FailureKind Failure { get; init; }

    internal string? Message { get; init; }

    internal int? ExitCode { get; init; }

    internal int? Signal { get; init; }

    internal int? ProcessId { get; init; }

    internal byte[] Stdout { get; init; } = [];

    internal byte[] Stderr { get; init; } = [];

    internal bool StdoutTruncated { get; init; }

    internal bool StderrTruncated { get; init; }

    internal DateTimeOffset StartTime { get; init; }

    internal DateTimeOffset EndTime { get; init; }
}

/// <summary>
/// Runs one process to completion on the calling thread: posix_spawn into a process group of its
/// own (so a timeout or cancel reaches grandchildren), stdout and stderr drained concurrently by
/// poll(2), exit observed through a pidfd, cancellation through an eventfd.
/// </summary>
/// <remarks>
/// The calling thread is a pool worker: blocking it is the point, since a worker is one slot of
/// concurrency. Nothing here is static mutable state; every descriptor is closed on every path.
/// </remarks>
internal static unsafe class ChildProcess
{
    private const int ReadChunk = 64 * 1024;

    /// <summary>Signals whose disposition is reset to default in the child: .NET ignores SIGPIPE, and ignored dispositions survive exec.</summary>
    private static readonly int[] SignalsResetInChild =
    [
        LibC.SIGHUP, LibC.SIGINT, LibC.SIGQUIT, LibC.SIGUSR1, LibC.SIGUSR2, LibC.SIGPIPE, LibC.SIGALRM,
        LibC.SIGTERM, LibC.SIGCHLD, LibC.SIGCONT, LibC.SIGTSTP, LibC.SIGTTIN, LibC.SIGTTOU, LibC.SIGURG,
        LibC.SIGXFSZ, LibC.SIGWINCH,
    ];

    /// <summary>
    /// Runs <paramref name="spec"/> under <paramref name="watchdog"/>, whose marker is added to its environment last, so
    /// no task setting can drop it. A task that changes nothing in its environment takes it, and its executable's
    /// path, from <paramref name="snapshot"/> when there is one, instead of reading and building them again.
    /// </summary>
    internal static ProcessOutcome Run(TaskSpec spec, ProcessExecutorOptions options, OwnerWatchdog watchdog, EnvironmentSnapshot? snapshot, CancellationToken cancellationToken)
    {
        DateTimeOffset startTime = DateTimeOffset.UtcNow;
        long startTimestamp = Stopwatch.GetTimestamp(); // the same instant on the monotonic clock: the duration counts the start-up too
        if (cancellationToken.IsCancellationRequested)
        {
            return NotStarted(FailureKind.Cancelled, "Cancelled before the process started.", startTime);
        }

        if (watchdog.EnsureStarted() is { } problem)
        {
            return NotStarted(FailureKind.SpawnFailed, problem, startTime);
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
            return NotStarted(resolution.Failure, resolution.Message, startTime);
        }

        if (spec.WorkingDirectory is { } directory && !Directory.Exists(directory))
        {
            return NotStarted(FailureKind.SpawnFailed, $"The working directory '{directory}' does not exist.", startTime);
        }

        int* stdoutPipe = stackalloc int[2] { -1, -1 };
        int* stderrPipe = stackalloc int[2] { -1, -1 };
        int* stdinPipe = stackalloc int[2] { -1, -1 };
        try
        {
            if (LibC.Pipe2(stdoutPipe, LibC.O_CLOEXEC) != 0 || LibC.Pipe2(stderrPipe, LibC.O_CLOEXEC) != 0
                || (spec.StandardInput is not null && LibC.Pipe2(stdinPipe, LibC.O_CLOEXEC) != 0))
            {
                int errno = Marshal.GetLastPInvokeError();
                return NotStarted(FailureKind.SpawnFailed, "Could not create pipes: " + LibC.ErrorText(errno), startTime);
            }

            var arguments = new List<string>(spec.Arguments.Count + 1) { spec.Executable };
            arguments.AddRange(spec.Arguments);
            int spawnError = Spawn(resolution.FullPath, arguments, shared, environment, spec.WorkingDirectory, stdinPipe[0], stdoutPipe[1], stderrPipe[1], out int pid);
            CloseAndReset(ref stdoutPipe[1]);
            CloseAndReset(ref stderrPipe[1]);
            CloseAndReset(ref stdinPipe[0]);
            if (spawnError != 0)
            {
                return NotStarted(ClassifySpawnError(spawnError), $"Could not start '{resolution.FullPath}': {LibC.ErrorText(spawnError)}.", startTime);
            }

            if (stdinPipe[1] >= 0)
            {
                // Only our end is non-blocking: the child must see an ordinary blocking stdin.
                LibC.Fcntl(stdinPipe[1], LibC.F_SETFL, LibC.Fcntl(stdinPipe[1], LibC.F_GETFL, 0) | LibC.O_NONBLOCK);
            }

            var supervisor = new Supervisor(pid, stdoutPipe[0], stderrPipe[0], stdinPipe[1], spec, options, startTime, startTimestamp);
            stdoutPipe[0] = stderrPipe[0] = stdinPipe[1] = -1; // the supervisor owns them now
            return supervisor.Run(cancellationToken);
        }
        finally
        {
            for (int i = 0; i < 2; i++)
            {
                CloseAndReset(ref stdoutPipe[i]);
                CloseAndReset(ref stderrPipe[i]);
                CloseAndReset(ref stdinPipe[i]);
            }
        }
    }

    private static ProcessOutcome NotStarted(FailureKind failure, string? message, DateTimeOffset startTime) => new()
    {
        Failure = failure,
        Message = message,
        StartTime = startTime,
        EndTime = DateTimeOffset.UtcNow,
    };

    private static FailureKind ClassifySpawnError(int errno) => errno switch
    {
        LibC.ENOENT => FailureKind.NotFound,
        LibC.EACCES or LibC.ENOEXEC or LibC.EISDIR or LibC.ENOTDIR or LibC.ELOOP or LibC.EPERM => FailureKind.NotExecutable,
        _ => FailureKind.SpawnFailed,
    };

    private static void CloseAndReset(ref int fd)
    {
        if (fd >= 0)
        {
            LibC.Close(fd);
            fd = -1;
        }
    }

    /// <summary>Starts the process: the environment is <paramref name="shared"/>'s block when given, otherwise built from <paramref name="environment"/>.</summary>
    private static int Spawn(string path, List<string> arguments, EnvironmentSnapshot? shared, List<string>? environment, string? workingDirectory, int stdinRead, int stdoutWrite, int stderrWrite, out int pid)
    {
        var strings = new NativeStrings();
        byte* fileActions = stackalloc byte[LibC.FileActionsSize];
        byte* attributes = stackalloc byte[LibC.SpawnAttrSize];
        byte* mask = stackalloc byte[LibC.SigSetSize];
        byte* defaults = stackalloc byte[LibC.SigSetSize];
        try
        {
            byte* pathBytes = strings.Add(path);
            byte** argv = strings.AddVector(arguments);
            byte** envp = shared is not null ? shared.NativeBlock : strings.AddVector(environment!);
            byte* devNull = strings.Add("/dev/null");
            byte* directoryBytes = workingDirectory is null ? null : strings.Add(workingDirectory);

            LibC.FileActionsInit(fileActions);
            LibC.SpawnAttrInit(attributes);
            try
            {
                int rc = stdinRead >= 0
                    ? LibC.FileActionsAddDup2(fileActions, stdinRead, 0)
                    : LibC.FileActionsAddOpen(fileActions, 0, devNull, LibC.O_RDONLY, 0);
                rc |= LibC.FileActionsAddDup2(fileActions, stdoutWrite, 1);
                rc |= LibC.FileActionsAddDup2(fileActions, stderrWrite, 2);
                if (directoryBytes is not null)
                {
                    rc |= LibC.FileActionsAddChdir(fileActions, directoryBytes);
                }

                LibC.SigEmptySet(mask);
                LibC.SigEmptySet(defaults);
                foreach (int signal in SignalsResetInChild)
                {
                    LibC.SigAddSet(defaults, signal);
                }

                rc |= LibC.SpawnAttrSetFlags(attributes, LibC.POSIX_SPAWN_SETPGROUP | LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSIGDEF);
                rc |= LibC.SpawnAttrSetProcessGroup(attributes, 0);
                rc |= LibC.SpawnAttrSetSignalMask(attributes, mask);
                rc |= LibC.SpawnAttrSetSignalDefault(attributes, defaults);
                if (rc != 0)
                {
                    pid = 0;
                    return rc;
                }

                int child;
                rc = LibC.PosixSpawn(&child, pathBytes, fileActions, attributes, argv, envp);
                pid = rc == 0 ? child : 0;
                return rc;
            }
            finally
            {
                LibC.FileActionsDestroy(fileActions);
                LibC.SpawnAttrDestroy(attributes);
            }
        }
        finally
        {
            strings.Dispose();
        }
    }

    /// <summary>The poll loop for one started process. Owns its descriptors.</summary>
    private sealed class Supervisor
    {
        private const int StdoutSlot = 0;
        private const int StderrSlot = 1;
        private const int StdinSlot = 2;
        private const int ExitSlot = 3;
        private const int CancelSlot = 4;
        private const int SlotCount = 5;

        /// <summary>Without a pidfd (kernels before 5.3) the exit is polled for at this interval.</summary>
        private static readonly long ExitPollTicks = Stopwatch.Frequency / 100;

        private readonly int _pid;
        private readonly TaskSpec _spec;
        private readonly ProcessExecutorOptions _options;
        private readonly DateTimeOffset _startTime;
        private readonly long _startTimestamp;
        private readonly OutputBuffer _stdout;
        private readonly OutputBuffer _stderr;
        private int _stdoutFd;
        private int _stderrFd;
        private int _stdinFd;
        private int _stdinOffset;
        private int _exitFd = -1;
        private int _cancelFd = -1;
        private int _status;
        private bool _reaped;
        private bool _statusLost;
        private FailureKind _stopReason;
        private long _killAt = long.MaxValue;
        private long _drainUntil = long.MaxValue;

        internal Supervisor(int pid, int stdoutFd, int stderrFd, int stdinFd, TaskSpec spec, ProcessExecutorOptions options, DateTimeOffset startTime, long startTimestamp)
        {
            _pid = pid;
            _stdoutFd = stdoutFd;
            _stderrFd = stderrFd;
            _stdinFd = stdinFd;
            _spec = spec;
            _options = options;
            _startTime = startTime;
            _startTimestamp = startTimestamp;
            _stdout = new OutputBuffer(options.MaxOutputBytes);
            _stderr = new OutputBuffer(options.MaxOutputBytes);
        }

        internal ProcessOutcome Run(CancellationToken cancellationToken)
        {
            CancellationTokenRegistration registration = default;
            try
            {
                _exitFd = (int)LibC.Syscall(LibC.SYS_pidfd_open, _pid, 0);
                if (cancellationToken.CanBeCanceled)
                {
                    _cancelFd = LibC.EventFd(0, LibC.O_CLOEXEC | LibC.O_NONBLOCK);
                    if (_cancelFd >= 0)
                    {
                        registration = cancellationToken.UnsafeRegister(static state => WakeEventFd((int)state!), _cancelFd);
                    }
                }

                Loop(cancellationToken);
                return Outcome();
            }
            finally
            {
                // Dispose waits for a running callback, so the eventfd cannot be written after it is closed.
                registration.Dispose();
                if (!_reaped)
                {
                    LibC.Kill(-_pid, LibC.SIGKILL);
                    int status;
                    while (LibC.WaitPid(_pid, &status, 0) < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR)
                    {
                    }
                }

                CloseAndReset(ref _stdoutFd);
                CloseAndReset(ref _stderrFd);
                CloseAndReset(ref _stdinFd);
                CloseAndReset(ref _exitFd);
                CloseAndReset(ref _cancelFd);
                _stdout.Dispose();
                _stderr.Dispose();
            }
        }

        private static void WakeEventFd(int fd)
        {
            ulong one = 1;
            LibC.Write(fd, (byte*)&one, sizeof(ulong));
        }

        private void Loop(CancellationToken cancellationToken)
        {
            long deadline = _spec.Timeout is { } timeout
                ? _startTimestamp + (long)(timeout.TotalSeconds * Stopwatch.Frequency)
                : long.MaxValue;
            LibC.PollFd* fds = stackalloc LibC.PollFd[SlotCount];
            byte[]? discard = null;
            try
            {
                while (!(_reaped && _stdoutFd < 0 && _stderrFd < 0))
                {
                    long now = Stopwatch.GetTimestamp();
                    if (_stopReason == FailureKind.None)
                    {
                        FailureKind reason = cancellationToken.IsCancellationRequested ? FailureKind.Cancelled
                            : now >= deadline ? FailureKind.TimedOut
                            : FailureKind.None;
                        if (reason != FailureKind.None)
                        {
                            if (_reaped)
                            {
                                // The task itself finished; only leftovers hold the pipes. Take them down and report the exit.
                                LibC.Kill(-_pid, LibC.SIGKILL);
                                return;
                            }

                            BeginStop(reason, now);
                        }
                    }

                    if (!_reaped && now >= _killAt)
                    {
                        LibC.Kill(-_pid, LibC.SIGKILL);
                        _killAt = long.MaxValue;
                    }

                    if (_reaped && now >= _drainUntil)
                    {
                        return;
                    }

                    long wakeAt = _stopReason == FailureKind.None ? deadline : _killAt;
                    if (_reaped)
                    {
                        wakeAt = Math.Min(wakeAt, _drainUntil);
                    }
                    else if (_exitFd < 0)
                    {
                        wakeAt = Math.Min(wakeAt, now + ExitPollTicks);
                    }

                    fds[StdoutSlot] = new LibC.PollFd { Fd = _stdoutFd, Events = LibC.POLLIN };
                    fds[StderrSlot] = new LibC.PollFd { Fd = _stderrFd, Events = LibC.POLLIN };
                    fds[StdinSlot] = new LibC.PollFd { Fd = _stdinFd, Events = LibC.POLLOUT };
                    fds[ExitSlot] = new LibC.PollFd { Fd = _reaped ? -1 : _exitFd, Events = LibC.POLLIN };
                    fds[CancelSlot] = new LibC.PollFd { Fd = _stopReason == FailureKind.None ? _cancelFd : -1, Events = LibC.POLLIN };
                    int ready = LibC.Poll(fds, SlotCount, TimeoutMilliseconds(now, wakeAt));
                    if (ready < 0)
                    {
                        int errno = Marshal.GetLastPInvokeError();
                        if (errno == LibC.EINTR)
                        {
                            continue;
                        }

                        throw new IOException("poll failed while supervising a process: " + LibC.ErrorText(errno));
                    }

                    if (fds[StdoutSlot].Revents != 0)
                    {
                        ReadInto(ref _stdoutFd, _stdout, ref discard);
                    }

                    if (fds[StderrSlot].Revents != 0)
                    {
                        ReadInto(ref _stderrFd, _stderr, ref discard);
                    }

                    if (fds[StdinSlot].Revents != 0)
                    {
                        WriteStdin();
                    }

                    if (!_reaped && (fds[ExitSlot].Revents != 0 || _exitFd < 0))
                    {
                        TryReap();
                    }
                }
            }
            finally
            {
                if (discard is not null)
                {
                    ArrayPool<byte>.Shared.Return(discard);
                }
            }
        }

        private void BeginStop(FailureKind reason, long now)
        {
            _stopReason = reason;
            if (_options.KillGracePeriod <= TimeSpan.Zero)
            {
                LibC.Kill(-_pid, LibC.SIGKILL);
                return;
            }

            LibC.Kill(-_pid, LibC.SIGTERM);
            _killAt = now + (long)(_options.KillGracePeriod.TotalSeconds * Stopwatch.Frequency);
        }

        private void TryReap()
        {
            if (_stopReason != FailureKind.None)
            {
                // The leader is a zombie until reaped, which keeps its process-group id from being reused:
                // this is the safe moment to take down whatever of the group survived the SIGTERM.
                LibC.Kill(-_pid, LibC.SIGKILL);
            }

            int status;
            int rc = LibC.WaitPid(_pid, &status, LibC.WNOHANG);
            if (rc == _pid)
            {
                _status = status;
            }
            else if (rc < 0 && Marshal.GetLastPInvokeError() == LibC.ECHILD)
            {
                _statusLost = true;
            }
            else
            {
                return;
            }

            _reaped = true;
            _drainUntil = Stopwatch.GetTimestamp() + (long)(_options.OutputDrainGrace.TotalSeconds * Stopwatch.Frequency);
            if (_stdinFd >= 0)
            {
                CloseAndReset(ref _stdinFd);
            }
        }

        private static int TimeoutMilliseconds(long now, long wakeAt)
        {
            if (wakeAt == long.MaxValue)
            {
                return -1;
            }

            long ticks = wakeAt - now;
            if (ticks <= 0)
            {
                return 0;
            }

            long milliseconds = ((ticks * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency;
            return (int)Math.Min(milliseconds, int.MaxValue);
        }

        private static void ReadInto(ref int fd, OutputBuffer buffer, ref byte[]? discard)
        {
            Span<byte> target = buffer.GetWritableSpan();
            bool dropping = target.IsEmpty;
            if (dropping)
            {
                discard ??= ArrayPool<byte>.Shared.Rent(ReadChunk);
                target = discard;
            }

            nint count;
            fixed (byte* p = target)
            {
                count = LibC.Read(fd, p, Math.Min(target.Length, ReadChunk));
            }

            if (count > 0)
            {
                if (dropping)
                {
                    buffer.MarkTruncated();
                }
                else
                {
                    buffer.Advance((int)count);
                }
            }
            else if (count == 0 || (Marshal.GetLastPInvokeError() is not LibC.EINTR and not LibC.EAGAIN))
            {
                CloseAndReset(ref fd);
            }
        }

        private void WriteStdin()
        {
            ReadOnlySpan<byte> pending = _spec.StandardInput!.Value.Span[_stdinOffset..];
            if (pending.IsEmpty)
            {
                CloseAndReset(ref _stdinFd);
                return;
            }

            nint written;
            fixed (byte* p = pending)
            {
                written = LibC.Write(_stdinFd, p, pending.Length);
            }

            if (written > 0)
            {
                _stdinOffset += (int)written;
                if (_stdinOffset == _spec.StandardInput!.Value.Length)
                {
                    CloseAndReset(ref _stdinFd); // end of input
                }
            }
            else if (Marshal.GetLastPInvokeError() is not LibC.EINTR and not LibC.EAGAIN)
            {
                // EPIPE: the child closed its stdin without reading everything; that is its choice.
                CloseAndReset(ref _stdinFd);
            }
        }

        private ProcessOutcome Outcome()
        {
            DateTimeOffset endTime = _startTime + Stopwatch.GetElapsedTime(_startTimestamp);
            int? signal = !_statusLost && LibC.Signaled(_status) ? LibC.SignalOf(_status) : null;
            int? exitCode = !_statusLost && LibC.Exited(_status) ? LibC.ExitCodeOf(_status) : null;
            (FailureKind failure, string? message) = _stopReason switch
            {
                FailureKind.TimedOut => (FailureKind.TimedOut, $"Timed out after {FormatSpan(_spec.Timeout!.Value)}; the process tree was killed."),
                FailureKind.Cancelled => (FailureKind.Cancelled, "Cancelled while running; the process tree was killed."),
                _ when _statusLost => (FailureKind.SpawnFailed, "The exit status was lost: something else in this process reaped the child."),
                _ when signal is { } s => (FailureKind.Signaled, $"Killed by {LibC.SignalName(s)}."),
                _ => (FailureKind.None, (string?)null),
            };
            if (failure != FailureKind.None)
            {
                exitCode = null;
            }

            return new ProcessOutcome
            {
                Failure = failure,
                Message = message,
                ExitCode = exitCode,
                Signal = signal,
                ProcessId = _pid,
                Stdout = _stdout.ToArray(),
                Stderr = _stderr.ToArray(),
                StdoutTruncated = _stdout.Truncated,
                StderrTruncated = _stderr.Truncated,
                StartTime = _startTime,
                EndTime = endTime,
            };
        }

        private static string FormatSpan(TimeSpan span) => span.TotalSeconds >= 1
            ? span.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + "s"
            : span.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + "ms";
    }
}
