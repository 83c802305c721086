using System.Runtime.CompilerServices;
using Repartir.Checkpoints;
using Repartir.Tasks;

namespace Repartir.Scheduling;

/// <summary>
/// <see cref="Pool.RunAsync"/>: a stream of specs in, a stream of results out, through a <see cref="ResultStream"/>.
/// A producer submits while the stream has room (<see cref="StreamLimits"/>); the caller's enumeration takes.
/// </summary>
internal static class StreamedRun
{
    internal static async IAsyncEnumerable<TaskResult> RunAsync(
        Pool pool,
        IAsyncEnumerable<TaskSpec> specs,
        bool ordered,
        int maxInFlight,
        RunJournal? journal,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(specs);
        ArgumentOutOfRangeException.ThrowIfNegative(maxInFlight);
        int window = maxInFlight > 0 ? maxInFlight : pool.DefaultInFlightWindow;
        using var runCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var results = new ResultStream(ordered);
        Task producer = Task.Run(
            async () =>
            {
                try
                {
                    Func<TaskSpec, Task<TaskResult>> submit = spec => pool.SubmitOrReject(spec, runCancellation.Token).Completion;
                    await foreach (TaskSpec spec in specs.WithCancellation(runCancellation.Token).ConfigureAwait(false))
                    {
                        await results.WaitForRoomAsync(pool.DefaultStreamLimits with { MaxPending = window }, runCancellation.Token).ConfigureAwait(false);
                        results.Add(journal is null ? submit(spec) : journal.Run(spec, spec.InputObject?.ToString(), submit));
                    }
                }
                finally
                {
                    results.CompleteAdding();
                }
            },
            CancellationToken.None);

        try
        {
            while (await results.TakeAsync(cancellationToken).ConfigureAwait(false) is { } result)
            {
                yield return result;
            }

            await producer.ConfigureAwait(false); // surfaces an exception from the input or from an invalid spec
        }
        finally
        {
            await runCancellation.CancelAsync().ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The run was ended early; what was submitted has been cancelled.
            }
        }
    }
}
