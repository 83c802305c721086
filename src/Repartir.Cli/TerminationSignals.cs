using System.Runtime.InteropServices;

namespace Repartir.Cli;

/// <summary>
/// SIGINT, SIGTERM and SIGHUP (Ctrl+C, kill, a closed terminal) for a command that ends in two steps: the first
/// signal asks it to wind down (<see cref="Stopping"/>), a second to stop at once (<see cref="Forced"/>). The
/// runtime's own reaction — ending the process on the spot, with the tasks still running — is held back meanwhile.
/// </summary>
internal sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _forced = new();
    private readonly TaskCompletionSource _firstSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration[] _registrations;
    private int _first;

    /// <summary>Handles SIGINT, SIGTERM and, unless <paramref name="hangUpStops"/> is false (a daemon reloads on it), SIGHUP.</summary>
    internal TerminationSignals(bool hangUpStops = true)
    {
        PosixSignal[] signals = hangUpStops ? [PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP] : [PosixSignal.SIGINT, PosixSignal.SIGTERM];
        _registrations = [.. signals.Select(signal => PosixSignalRegistration.Create(signal, OnSignal))];
    }

    /// <summary>Cancelled by the first signal.</summary>
    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>Completes with the first signal.</summary>
    internal Task FirstSignal => _firstSignal.Task;

    /// <summary>Cancelled by any signal after the first.</summary>
    internal CancellationToken Forced => _forced.Token;

    /// <summary>The first signal's name, once there was one.</summary>
    internal string Name => Number switch { 1 => "SIGHUP", 2 => "SIGINT", _ => "SIGTERM" };

    /// <summary>What a shell expects after the first signal: 128 + its number.</summary>
    internal int ExitCode => 128 + Number;

    private int Number => Volatile.Read(ref _first);

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }

        _stopping.Dispose();
        _forced.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        int number = context.Signal switch { PosixSignal.SIGHUP => 1, PosixSignal.SIGINT => 2, _ => 15 };
        if (Interlocked.CompareExchange(ref _first, number, 0) == 0)
        {
            _stopping.Cancel();
            _firstSignal.TrySetResult();
        }
        else
        {
            _forced.Cancel();
        }
    }
}
