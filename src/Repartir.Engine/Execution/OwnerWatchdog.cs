using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Repartir.Execution.Native;

namespace Repartir.Execution;

/// <summary>
/// Ends the processes an executor started when the process that owns the executor goes away — by exiting, or by
/// any signal, SIGKILL included — so that no task runs on under PID 1 after its owner is gone.
/// </summary>
/// <remarks>
/// <para>
/// Every task carries <see cref="EnvironmentVariable"/> set to this watchdog's marker, which its children inherit.
/// The watchdog itself is a small shell, started once (on the first task) in a process group of its own and deaf to
/// terminal signals, that holds the read end of a pipe whose write end only the owner has (close-on-exec, so no task
/// inherits it). However the owner ends, the kernel closes that end; the shell reads end of file and sends SIGTERM,
/// then after the kill grace period SIGKILL, to every process whose environment carries the marker and to the
/// process groups they lead (which catches a child that cleared its environment but stayed in its task's group).
/// </para>
/// <para>
/// PR_SET_PDEATHSIG cannot do this here: posix_spawn offers no hook to set it in the child, and it fires when the
/// spawning <em>thread</em> ends, not the process. Disposing the watchdog closes the pipe the same way; the owner's
/// tasks have ended by then, so the shell finds nothing and exits.
/// </para>
/// </remarks>
internal sealed unsafe class OwnerWatchdog : IDisposable
{
    /// <summary>The environment variable that marks the processes of one owner.</summary>
    internal const string EnvironmentVariable = "REPARTIR_OWNER";

    // $1: the marker as NAME=value, $2: the grace in seconds. grep -z reads each environ entry as one record, -x whole.
    private const string Script = """
        trap '' HUP INT QUIT TERM PIPE
        while read -r _; do :; done
        marked() { grep -lsxzF "$1" /proc/[0-9]*/environ 2>/dev/null | sed -n 's,^/proc/\([0-9]*\)/environ$,\1,p'; }
        pids=$(marked "$1"); [ -n "$pids" ] || exit 0
        for p in $pids; do kill -TERM -- "-$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; done
        sleep "$2"
        for p in $(marked "$1"); do kill -KILL -- "-$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
        """;

    private readonly object _gate = new();
    private readonly TimeSpan _grace;
    private int _writeEnd = -1;
    private int _pid;
    private bool _disposed;
    private string? _startError;

    /// <summary>Creates a watchdog whose tasks get <paramref name="grace"/> between SIGTERM and SIGKILL.</summary>
    internal OwnerWatchdog(TimeSpan grace)
    {
        _grace = grace;
        Marker = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}-{Guid.NewGuid():N}");
    }

    /// <summary>This owner's marker: unique to the executor, so two pools in one process never end each other's tasks.</summary>
    internal string Marker { get; }

    /// <summary>The entry every task's environment carries.</summary>
    internal string EnvironmentEntry => EnvironmentVariable + "=" + Marker;

    /// <summary>The process id of the watchdog shell once started; 0 before.</summary>
    internal int ProcessId => Volatile.Read(ref _pid);

    /// <summary>Starts the watchdog unless it runs already. Returns why it could not start, or null when it runs.</summary>
    internal string? EnsureStarted()
    {
        if (Volatile.Read(ref _pid) != 0)
        {
            return null;
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pid == 0 && _startError is null)
            {
                _startError = Start();
            }

            return _startError;
        }
    }

    /// <summary>Closes the owner's end of the pipe: the watchdog ends whatever still carries the marker, then exits.</summary>
    public void Dispose()
    {
        int pid;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_writeEnd >= 0)
            {
                LibC.Close(_writeEnd);
                _writeEnd = -1;
            }

            pid = _pid;
        }

        if (pid != 0)
        {
            // Reaped off the caller's thread: the shell may still be waiting out the grace period for a straggler.
            var reaper = new Thread(static state => Reap((int)state!)) { IsBackground = true, Name = "repartir-watchdog-reaper" };
            reaper.Start(pid);
        }
    }

    private static void Reap(int pid)
    {
        int status;
        while (LibC.WaitPid(pid, &status, 0) < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR)
        {
        }
    }

    private string? Start()
    {
        int* pipe = stackalloc int[2] { -1, -1 };
        if (LibC.Pipe2(pipe, LibC.O_CLOEXEC) != 0)
        {
            return "Could not create the watchdog's pipe: " + LibC.ErrorText(Marshal.GetLastPInvokeError());
        }

        byte* fileActions = stackalloc byte[LibC.FileActionsSize];
        byte* attributes = stackalloc byte[LibC.SpawnAttrSize];
        byte* mask = stackalloc byte[LibC.SigSetSize];
        string[] arguments = ["sh", "-c", Script, "repartir-watchdog", EnvironmentEntry, _grace.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)];
        // A fixed environment: the script needs only the standard tools, and C-locale grep reads environ bytes as they are.
        string[] environment = ["PATH=/usr/bin:/bin", "LC_ALL=C"];
        nint[] argv = new nint[arguments.Length + 1];
        nint[] envp = new nint[environment.Length + 1];
        nint shell = Marshal.StringToCoTaskMemUTF8("/bin/sh");
        nint devNull = Marshal.StringToCoTaskMemUTF8("/dev/null");
        try
        {
            for (int i = 0; i < arguments.Length; i++)
            {
                argv[i] = Marshal.StringToCoTaskMemUTF8(arguments[i]);
            }

            for (int i = 0; i < environment.Length; i++)
            {
                envp[i] = Marshal.StringToCoTaskMemUTF8(environment[i]);
            }

            LibC.FileActionsInit(fileActions);
            LibC.SpawnAttrInit(attributes);
            try
            {
                int rc = LibC.FileActionsAddDup2(fileActions, pipe[0], 0);
                rc |= LibC.FileActionsAddOpen(fileActions, 1, (byte*)devNull, LibC.O_WRONLY, 0);
                rc |= LibC.FileActionsAddOpen(fileActions, 2, (byte*)devNull, LibC.O_WRONLY, 0);
                LibC.SigEmptySet(mask);

                // A group of its own: Ctrl+C in a terminal signals the foreground group, which must not reach it.
                rc |= LibC.SpawnAttrSetFlags(attributes, LibC.POSIX_SPAWN_SETPGROUP | LibC.POSIX_SPAWN_SETSIGMASK);
                rc |= LibC.SpawnAttrSetProcessGroup(attributes, 0);
                rc |= LibC.SpawnAttrSetSignalMask(attributes, mask);
                int pid = 0;
                if (rc == 0)
                {
                    fixed (nint* vector = argv)
                    fixed (nint* environmentVector = envp)
                    {
                        rc = LibC.PosixSpawn(&pid, (byte*)shell, fileActions, attributes, (byte**)vector, (byte**)environmentVector);
                    }
                }

                if (rc != 0)
                {
                    return "Could not start the watchdog that ends tasks with their owner (/bin/sh): " + LibC.ErrorText(rc);
                }

                _writeEnd = pipe[1];
                pipe[1] = -1;
                Volatile.Write(ref _pid, pid);
                return null;
            }
            finally
            {
                LibC.FileActionsDestroy(fileActions);
                LibC.SpawnAttrDestroy(attributes);
            }
        }
        finally
        {
            LibC.Close(pipe[0]);
            if (pipe[1] >= 0)
            {
                LibC.Close(pipe[1]);
            }

            foreach (nint pointer in argv.Concat(envp))
            {
                Marshal.FreeCoTaskMem(pointer);
            }

            Marshal.FreeCoTaskMem(shell);
            Marshal.FreeCoTaskMem(devNull);
        }
    }
}
