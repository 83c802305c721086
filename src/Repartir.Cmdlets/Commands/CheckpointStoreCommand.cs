using System.Management.Automation;

namespace Repartir.Cmdlets.Commands;

/// <summary>The -Path parameter the checkpoint cmdlets share: which store, as a PowerShell path.</summary>
public abstract class CheckpointStoreCommand : PSCmdlet
{
    /// <summary>
    /// The store's directory (Save-RepartirCheckpoint creates it when missing; reading commands never do); when omitted, REPARTIR_HOME, else $XDG_DATA_HOME/repartir or
    /// ~/.local/share/repartir. Binds the Store property of checkpoint objects.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Store")]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>The store's directory as a file-system path, or null for the default store.</summary>
    protected string? StoreDirectory => Path is null ? null : GetUnresolvedProviderPathFromPSPath(Path);
}
