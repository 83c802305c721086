using Repartir.Scheduling;

namespace Repartir.Remote;

/// <summary>
/// One attempt of a task sent to a worker and not yet answered, with the hooks that must be undone when it ends:
/// the forwarding of the caller's cancel to the worker, armed once the submit is on its way (a cancel never overtakes
/// its submit), and the deadline past which the pool stops waiting for it, started when the attempt runs there. They
/// are undone once, whichever way the attempt ends first: its result, its deadline, or the loss of its worker.
/// </summary>
internal sealed class InFlightAttempt(TaskAttempt attempt)
{
    private readonly object _gate = new();
    private CancellationTokenRegistration _cancel;
    private ITimer? _deadline;
    private bool _ended;

    internal TaskAttempt Attempt { get; } = attempt;

    /// <summary>Whether it holds one of the worker's slots (rather than waiting in its queue); guarded by its <see cref="InFlightTable"/>.</summary>
    internal bool Running { get; set; }

    /// <summary>The attempt number the submit carried: a result for another is not this attempt's.</summary>
    internal int Number => Attempt.Number;

    /// <summary>Forwards the caller's cancel to the worker, once the submit was sent; nothing is armed when the attempt already ended.</summary>
    internal void ArmCancel(Func<CancellationTokenRegistration> cancel)
    {
        lock (_gate)
        {
            if (!_ended)
            {
                // Registering on a token that is already cancelled runs the forwarding at once: still after the submit.
                _cancel = cancel();
            }
        }
    }

    /// <summary>When it began to run on the worker (a <see cref="TimeProvider"/> timestamp); 0 while it waits in the worker's queue.</summary>
    internal long RunningSince { get; private set; }

    /// <summary>Starts the pool's deadline for the result, once the attempt runs on the worker (at once, or when a slot freed for it) at <paramref name="now"/>.</summary>
    internal void StartDeadline(long now, Func<ITimer?> deadline)
    {
        lock (_gate)
        {
            if (!_ended && _deadline is null)
            {
                RunningSince = now;
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
