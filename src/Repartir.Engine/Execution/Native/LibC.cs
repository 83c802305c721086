using System.Runtime.InteropServices;

namespace Repartir.Execution.Native;

/// <summary>
/// The slice of the C library the process executor needs. "libc" is resolved by the runtime to the
/// platform C library. Constants are the Linux values (identical on x86-64 and arm64).
/// </summary>
internal static unsafe partial class LibC
{
    private const string Library = "libc";

    internal const int EINTR = 4;
    internal const int EAGAIN = 11;
    internal const int ENOENT = 2;
    internal const int ENOEXEC = 8;
    internal const int ECHILD = 10;
    internal const int EACCES = 13;
    internal const int ENOTDIR = 20;
    internal const int EISDIR = 21;
    internal const int ELOOP = 40;
    internal const int EPERM = 1;

    internal const int O_RDONLY = 0;
    internal const int O_WRONLY = 1;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_CLOEXEC = 0x80000;

    internal const short POLLIN = 0x1;
    internal const short POLLOUT = 0x4;

    internal const int WNOHANG = 1;
    internal const int X_OK = 1;

    internal const int SIGHUP = 1;
    internal const int SIGINT = 2;
    internal const int SIGQUIT = 3;
    internal const int SIGKILL = 9;
    internal const int SIGUSR1 = 10;
    internal const int SIGUSR2 = 12;
    internal const int SIGPIPE = 13;
    internal const int SIGALRM = 14;
    internal const int SIGTERM = 15;
    internal const int SIGCHLD = 17;
    internal const int SIGCONT = 18;
    internal const int SIGTSTP = 20;
    internal const int SIGTTIN = 21;
    internal const int SIGTTOU = 22;
    internal const int SIGURG = 23;
    internal const int SIGXFSZ = 25;
    internal const int SIGWINCH = 28;

    internal const short POSIX_SPAWN_SETPGROUP = 0x02;
    internal const short POSIX_SPAWN_SETSIGDEF = 0x04;
    internal const short POSIX_SPAWN_SETSIGMASK = 0x08;

    /// <summary>pidfd_open(2) on every Linux architecture that uses the generic syscall table, and on x86-64.</summary>
    internal const long SYS_pidfd_open = 434;

    // glibc's opaque types are smaller than these (80, 336 and 128 bytes on x86-64); the margin is deliberate.
    internal const int FileActionsSize = 256;
    internal const int SpawnAttrSize = 512;
    internal const int SigSetSize = 256;

    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Library, EntryPoint = "pipe2", SetLastError = true)]
    internal static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    /// <summary>Closes <paramref name="fd"/> if it is open and marks it closed (-1), so no path closes it twice.</summary>
    internal static void CloseAndReset(ref int fd)
    {
        if (fd >= 0)
        {
            Close(fd);
            fd = -1;
        }
    }

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(Library, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    [LibraryImport(Library, EntryPoint = "waitpid", SetLastError = true)]
    internal static partial int WaitPid(int pid, int* status, int options);

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    internal static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall(long number, int argument1, uint argument2);

    [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int command, int argument);

    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;

    [LibraryImport(Library, EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int SetEnv(string name, string value, int overwrite);

    [LibraryImport(Library, EntryPoint = "access", SetLastError = true)]
    internal static partial int Access(byte* path, int mode);

    [LibraryImport(Library, EntryPoint = "posix_spawn")]
    internal static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(Library, EntryPoint = "posix_spawn_file_actions_init")]
    internal static partial int FileActionsInit(void* fileActions);

    [LibraryImport(Library, EntryPoint = "posix_spawn_file_actions_destroy")]
    internal static partial int FileActionsDestroy(void* fileActions);

    [LibraryImport(Library, EntryPoint = "posix_spawn_file_actions_adddup2")]
    internal static partial int FileActionsAddDup2(void* fileActions, int fd, int newFd);

    [LibraryImport(Library, EntryPoint = "posix_spawn_file_actions_addopen")]
    internal static partial int FileActionsAddOpen(void* fileActions, int fd, byte* path, int flags, uint mode);

    [LibraryImport(Library, EntryPoint = "posix_spawn_file_actions_addchdir_np")]
    internal static partial int FileActionsAddChdir(void* fileActions, byte* path);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_init")]
    internal static partial int SpawnAttrInit(void* attributes);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_destroy")]
    internal static partial int SpawnAttrDestroy(void* attributes);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_setflags")]
    internal static partial int SpawnAttrSetFlags(void* attributes, short flags);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_setpgroup")]
    internal static partial int SpawnAttrSetProcessGroup(void* attributes, int processGroup);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_setsigmask")]
    internal static partial int SpawnAttrSetSignalMask(void* attributes, void* signals);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_setsigdefault")]
    internal static partial int SpawnAttrSetSignalDefault(void* attributes, void* signals);

    [LibraryImport(Library, EntryPoint = "sigemptyset")]
    internal static partial int SigEmptySet(void* set);

    [LibraryImport(Library, EntryPoint = "sigaddset")]
    internal static partial int SigAddSet(void* set, int signal);

    [LibraryImport(Library, EntryPoint = "strerror")]
    private static partial byte* StrError(int errno);

    /// <summary>The C library's text for an errno value.</summary>
    internal static string ErrorText(int errno) => Marshal.PtrToStringUTF8((nint)StrError(errno)) ?? $"errno {errno}";

    internal static bool Exited(int status) => (status & 0x7f) == 0;

    internal static int ExitCodeOf(int status) => (status >> 8) & 0xff;

    internal static bool Signaled(int status) => (status & 0x7f) != 0 && (status & 0x7f) != 0x7f;

    internal static int SignalOf(int status) => status & 0x7f;

    /// <summary>The conventional name of a signal, for messages.</summary>
    internal static string SignalName(int signal) => signal switch
    {
        SIGHUP => "SIGHUP",
        SIGINT => "SIGINT",
        SIGQUIT => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        SIGKILL => "SIGKILL",
        SIGUSR1 => "SIGUSR1",
        11 => "SIGSEGV",
        SIGUSR2 => "SIGUSR2",
        SIGPIPE => "SIGPIPE",
        SIGALRM => "SIGALRM",
        SIGTERM => "SIGTERM",
        24 => "SIGXCPU",
        SIGXFSZ => "SIGXFSZ",
        31 => "SIGSYS",
        _ => "signal " + signal.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
