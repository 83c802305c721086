using Repartir.Scheduling;

namespace Repartir.Remote;

/// <summary>
/// One attempt of a task sent to a worker and not yet answered, with the hooks that must be undone when it ends:
/// the forwarding of the caller's cancel to the worker, and the deadline past which the pool stops waiting for it.
/// The hooks are armed only once the submit is on its way (a cancel never overtakes its submit) and undone once,
/// whichever way the attempt ends first: its result, its deadline, or the loss of its worker.
/// </summary>
internal sealed class InFlightAttempt(TaskAttempt attempt)
{
    private readonly object _gate = new();
    private CancellationTokenRegistration _cancel;
    private ITimer? _deadline;
    private bool _ended;

    internal TaskAttempt Attempt { get; } = attempt;

    /// <summary>The attempt number the submit carried: a result for another is not this attempt's.</summary>
    internal int Number => Attempt.Number;

    /// <summary>Arms the hooks after the submit was sent; nothing is armed when the attempt already ended.</summary>
    internal void Arm(Func<CancellationTokenRegistration> cancel, Func<ITimer?> deadline)
    {
        lock (_gate)
        {
            if (!_ended)
            {
                // Registering on a token that is already cancelled runs the forwarding at once: still after the submit.
                _cancel = cancel();
                _deadline = deadline();
            }
        }
    }

    /// <summary>Undoes the hooks; the attempt has ended.</summary>
    internal void Disarm()
    {
        lock (_gate)
        {
            _ended = true;
            _cancel.Dispose();
            _deadline?.Dispose();
        }
    }
}
