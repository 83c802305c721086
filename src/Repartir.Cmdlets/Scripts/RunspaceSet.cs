using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Repartir.Cmdlets.Scripts;

/// <summary>
/// The runspaces script tasks of one kind (the same modules and functions) run in on a pool: created when a task finds
/// none idle (so never more than the pool's CPU workers, which are the only threads that rent them), and never lent to
/// two tasks at once. Between tasks a runspace is cleaned where a task leaves traces as a rule ($Error, the current
/// location; its own variables die with the local scope it runs in), and reset whole after a task that failed or was
/// stopped. A whole reset (ResetRunspaceState) after every task would cost 0.7 ms each (measured), five times a tiny
/// script block's run: so a task that writes $global: variables leaves them to the next task in its runspace.
/// </summary>
internal sealed class RunspaceSet(InitialSessionState state) : IDisposable
{
    private readonly ConcurrentBag<ScriptRunspace> _idle = [];
    private string? _initialLocation;
    private volatile bool _disposed;

    /// <summary>An idle runspace, or a new one when none is idle.</summary>
    internal ScriptRunspace Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out ScriptRunspace? idle))
        {
            return idle;
        }

        Runspace created = RunspaceFactory.CreateRunspace(state);
        try
        {
            created.Open();
        }
        catch
        {
            created.Dispose();
            throw;
        }

        _initialLocation ??= created.SessionStateProxy.Path.CurrentLocation.Path;
        return new ScriptRunspace(created);
    }

    /// <summary>
    /// Gives <paramref name="runspace"/> back: cleaned, or reset whole when <paramref name="reset"/> (its task failed or
    /// was stopped); one that cannot be (or after disposal) is closed instead.
    /// </summary>
    internal void Return(ScriptRunspace runspace, bool reset = false)
    {
        if (!_disposed && runspace.Runspace.RunspaceStateInfo.State == RunspaceState.Opened)
        {
            try
            {
                if (reset)
                {
                    runspace.Reset();
                }
                else
                {
                    Clean(runspace.Runspace);
                }

                _idle.Add(runspace);
                if (_disposed)
                {
                    CloseIdle(); // a disposal that raced this return closed what was idle before it: this one too
                }

                return;
            }
            catch (InvalidOperationException)
            {
                // A runspace that cannot be reset is not lent again.
            }
        }

        runspace.Dispose();
    }

    /// <summary>Clears $Error and goes back to the first location: what tasks change as a rule, at a fraction of a reset's cost.</summary>
    private void Clean(Runspace runspace)
    {
        SessionStateProxy proxy = runspace.SessionStateProxy;
        if (proxy.GetVariable("Error") is System.Collections.ArrayList { Count: > 0 } errors)
        {
            errors.Clear();
        }

        if (_initialLocation is { } initial && !string.Equals(proxy.Path.CurrentLocation.Path, initial, StringComparison.Ordinal))
        {
            proxy.Path.SetLocation(initial);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        CloseIdle();
    }

    private void CloseIdle()
    {
        while (_idle.TryTake(out ScriptRunspace? runspace))
        {
            runspace.Dispose();
        }
    }
}

/// <summary>One runspace of a <see cref="RunspaceSet"/>, with the PowerShell instance reused for every task it runs and the preferences last set in it.</summary>
internal sealed class ScriptRunspace(Runspace runspace) : IDisposable
{
    internal Runspace Runspace { get; } = runspace;

    /// <summary>The instance tasks run through, its commands and streams cleared before each.</summary>
    internal PowerShell Shell { get; private set; } = Create(runspace);

    /// <summary>The preferences set in it last (a definition's, by reference): set again only when another call's differ.</summary>
    internal object? AppliedPreferences { get; set; }

    /// <summary>Resets the runspace whole, with a new instance (a stopped one is not reused).</summary>
    internal void Reset()
    {
        Shell.Dispose();
        Runspace.ResetRunspaceState();
        Shell = Create(Runspace);
        AppliedPreferences = null;
    }

    public void Dispose()
    {
        Shell.Dispose();
        Runspace.Dispose();
    }

    private static PowerShell Create(Runspace runspace)
    {
        PowerShell shell = PowerShell.Create();
        shell.Runspace = runspace;
        return shell;
    }
}
