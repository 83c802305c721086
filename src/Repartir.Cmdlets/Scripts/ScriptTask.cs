using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Repartir.Execution;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Scripts;

/// <summary>
/// One input item's run of a script block: in a runspace of its own for the time it runs, with <c>$_</c> bound to the
/// item; stopped when its timeout or cancel fires. Its terminating error fails this task only.
/// </summary>
internal sealed class ScriptTask(ScriptDefinition definition, object? item) : IInProcessWork
{
    /// <inheritdoc />
    public InProcessOutcome Run(ExecutionSlot slot, CancellationToken cancellationToken)
    {
        RunspaceSet runspaces = definition.Runspaces ?? throw new InvalidOperationException("This script block runs on remote workers only.");
        ScriptRunspace runspace = runspaces.Rent();
        bool clean = false;
        try
        {
            SessionStateProxy state = runspace.Runspace.SessionStateProxy;
            state.SetVariable("_", item);
            state.SetVariable("PSItem", item);
            if (!ReferenceEquals(runspace.AppliedPreferences, definition.Preferences))
            {
                foreach ((string name, object? preference) in definition.Preferences)
                {
                    state.SetVariable(name, preference);
                }

                runspace.AppliedPreferences = definition.Preferences;
            }

            PowerShell shell = runspace.Shell;
            shell.Commands.Clear();
            shell.Streams.ClearStreams();
            definition.AddTo(shell);
            var output = new PSDataCollection<PSObject>();
            ErrorRecord? terminating = null;
            using (cancellationToken.Register(static s => ((PowerShell)s!).BeginStop(null, null), shell))
            {
                try
                {
                    if (!cancellationToken.IsCancellationRequested)
                    {
                        shell.Invoke<PSObject, PSObject>(null, output, null);
                    }
                }
                catch (RuntimeException e) when (e is not PipelineStoppedException)
                {
                    terminating = e.ErrorRecord;
                }
                catch (PipelineStoppedException)
                {
                    // Its timeout or cancel: the executor says which.
                }
            }

            PSDataStreams streams = shell.Streams;
            var errors = new List<ErrorRecord>(streams.Error);
            if (terminating is not null)
            {
                errors.Add(terminating);
            }

            var value = new ScriptOutput([.. output], [.. errors], [.. streams.Warning], [.. streams.Verbose], [.. streams.Debug], [.. streams.Information]);
            clean = terminating is null && !cancellationToken.IsCancellationRequested;
            return new InProcessOutcome(value, terminating is null ? null : $"{terminating.Exception.Message}{Where(terminating)}");
        }
        finally
        {
            // A task that failed or was stopped may have left anything half done: its runspace is reset whole.
            runspaces.Return(runspace, reset: !clean);
        }
    }

    private static string Where(ErrorRecord error) => error.InvocationInfo is { ScriptLineNumber: > 0 } at
        ? $" (line {at.ScriptLineNumber}: {at.Line.Trim()})"
        : string.Empty;
}
