using Repartir.Execution;

namespace Repartir.Tasks;

/// <summary>
/// Work a pool runs inside this process as a task (<see cref="TaskSpec.ForWork"/>): the module's PowerShell script
/// blocks. The pool schedules, prioritises, times out, cancels and retries it as it does a process, on one of its CPU
/// workers, and the product comes back on <see cref="TaskResult.Value"/>.
/// </summary>
public interface IInProcessWork
{
    /// <summary>
    /// Runs one attempt on the calling pool thread, which it holds until it returns. The token is cancelled by the
    /// task's timeout or its cancel: the work must end soon after. Its own failure is returned, not thrown.
    /// </summary>
    InProcessOutcome Run(ExecutionSlot slot, CancellationToken cancellationToken);
}

/// <summary>What one attempt of <see cref="IInProcessWork"/> produced.</summary>
/// <param name="Value">Its product (output and records), kept on the result whether it failed or not.</param>
/// <param name="Failure">Why it failed, for people; null when it succeeded.</param>
/// <param name="Stdout">Bytes for the result's standard output, as the program it stands for would have written them (a worker that runs a task in process sends them back); null for none.</param>
public sealed record InProcessOutcome(object? Value, string? Failure, byte[]? Stdout = null);
