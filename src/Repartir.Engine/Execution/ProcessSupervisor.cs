using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Repartir.Execution.Native;
using Repartir.Tasks;

namespace Repartir.Execution;

/// <summary>
/// Supervises one started process on the calling thread until it has ended and its output is read: stdout and stderr
/// drained concurrently by poll(2) into capped buffers, stdin fed without blocking, the exit observed through a pidfd,
/// the timeout and the caller's cancel turned into SIGTERM to the process group, then SIGKILL after the grace period.
/// Owns the descriptors it is given; every one is closed, and the process reaped, on every path.
/// </summary>
internal sealed unsafe class ProcessSupervisor
{
    private const int ReadChunk = 64 * 1024; // a pipe's default capacity

    private const int StdoutSlot = 0;
    private const int StderrSlot = 1;
    private const int StdinSlot = 2;
    private const int ExitSlot = 3;
    private const int CancelSlot = 4;
    private const int SlotCount = 5;

    /// <summary>Without a pidfd (kernels before 5.3) the exit is polled for at this interval.</summary>
    private static readonly long ExitPollTicks = Stopwatch.Frequency / 100;

    private readonly int _pid;
    private readonly TaskResult _identity;
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

    internal ProcessSupervisor(int pid, int stdoutFd, int stderrFd, int stdinFd, TaskResult identity, ProcessExecutorOptions options, DateTimeOffset startTime, long startTimestamp)
    {
        _pid = pid;
        _stdoutFd = stdoutFd;
        _stderrFd = stderrFd;
        _stdinFd = stdinFd;
        _identity = identity;
        _spec = identity.Spec;
        _options = options;
        _startTime = startTime;
        _startTimestamp = startTimestamp;
        _stdout = new OutputBuffer(options.MaxOutputBytes);
        _stderr = new OutputBuffer(options.MaxOutputBytes);
    }

    internal TaskResult Run(CancellationToken cancellationToken)
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

            LibC.CloseAndReset(ref _stdoutFd);
            LibC.CloseAndReset(ref _stderrFd);
            LibC.CloseAndReset(ref _stdinFd);
            LibC.CloseAndReset(ref _exitFd);
            LibC.CloseAndReset(ref _cancelFd);
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
            LibC.CloseAndReset(ref _stdinFd);
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
            LibC.CloseAndReset(ref fd);
        }
    }

    private void WriteStdin()
    {
        ReadOnlySpan<byte> pending = _spec.StandardInput!.Value.Span[_stdinOffset..];
        if (pending.IsEmpty)
        {
            LibC.CloseAndReset(ref _stdinFd);
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
                LibC.CloseAndReset(ref _stdinFd); // end of input
            }
        }
        else if (Marshal.GetLastPInvokeError() is not LibC.EINTR and not LibC.EAGAIN)
        {
            // EPIPE: the child closed its stdin without reading everything; that is its choice.
            LibC.CloseAndReset(ref _stdinFd);
        }
    }

    /// <summary>The task's result: how the process ended (our timeout or cancel, a signal, an exit code) and what it wrote.</summary>
    private TaskResult Outcome()
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

        return _identity with
        {
            Failure = failure,
            FailureMessage = message,
            ExitCode = exitCode,
            Signal = signal,
            ProcessId = _pid,
            StdoutBytes = _stdout.ToArray(),
            StderrBytes = _stderr.ToArray(),
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
