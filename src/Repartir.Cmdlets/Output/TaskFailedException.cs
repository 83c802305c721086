using Repartir.Cmdlets.Tasks;

namespace Repartir.Cmdlets.Output;

/// <summary>A task that did not succeed, reported as an error (-ErrorOnFailure); the result travels with it.</summary>
public sealed class TaskFailedException : Exception
{
    /// <summary>Creates the exception for <paramref name="result"/>.</summary>
    public TaskFailedException(TaskResultInfo result)
        : base(Describe(result))
    {
        Result = result;
    }

    /// <summary>The task's result: exit code, output, failure kind and message, provenance.</summary>
    public TaskResultInfo Result { get; }

    private static string Describe(TaskResultInfo result)
    {
        ArgumentNullException.ThrowIfNull(result);
        string outcome = result.Kind == Repartir.Tasks.FailureKind.None
            ? $"exited with code {result.ExitCode}"
            : $"failed ({result.Failure}): {result.FailureMessage}";
        return $"Task {result.Id} ({result.Name}) {outcome}.";
    }
}
