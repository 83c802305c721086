using System.Runtime.InteropServices;
using Repartir.Execution.Native;
using Repartir.Tasks;

namespace Repartir.Execution;

/// <summary>
/// Starts a process with posix_spawn: in a process group of its own (so a timeout or cancel reaches its
/// grandchildren), stdin from a pipe or /dev/null, stdout and stderr into pipes, every signal's disposition and
/// mask back at their defaults.
/// </summary>
internal static unsafe class ProcessSpawner
{
    /// <summary>Signals whose disposition is reset to default in the child: .NET ignores SIGPIPE, and ignored dispositions survive exec.</summary>
    private static readonly int[] SignalsResetInChild =
    [
        LibC.SIGHUP, LibC.SIGINT, LibC.SIGQUIT, LibC.SIGUSR1, LibC.SIGUSR2, LibC.SIGPIPE, LibC.SIGALRM,
        LibC.SIGTERM, LibC.SIGCHLD, LibC.SIGCONT, LibC.SIGTSTP, LibC.SIGTTIN, LibC.SIGTTOU, LibC.SIGURG,
        LibC.SIGXFSZ, LibC.SIGWINCH,
    ];

    /// <summary>Starts the process: the environment is <paramref name="shared"/>'s block when given, otherwise built from <paramref name="environment"/>.</summary>
    internal static int Spawn(string path, List<string> arguments, EnvironmentSnapshot? shared, List<string>? environment, string? workingDirectory, int stdinRead, int stdoutWrite, int stderrWrite, out int pid)
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
                if (stdoutWrite >= 0)
                {
                    rc |= LibC.FileActionsAddDup2(fileActions, stdoutWrite, 1);
                    rc |= LibC.FileActionsAddDup2(fileActions, stderrWrite, 2);
                }

                // Otherwise the child keeps this process's own stdout and stderr (ProcessExecutorOptions.PassOutputThrough).
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

    /// <summary>What a failed posix_spawn means for the task: the program is missing, cannot be run here, or the system refused.</summary>
    internal static FailureKind ClassifySpawnError(int errno) => errno switch
    {
        LibC.ENOENT => FailureKind.NotFound,
        LibC.EACCES or LibC.ENOEXEC or LibC.EISDIR or LibC.ENOTDIR or LibC.ELOOP or LibC.EPERM => FailureKind.NotExecutable,
        _ => FailureKind.SpawnFailed,
    };
}
