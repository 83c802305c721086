using System.Management.Automation;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Results;
using Repartir.Cmdlets.Tasks;

namespace Repartir.Cmdlets.Commands;

/// <summary>Export-RepartirResult: writes task results (piped, or a run journal's) to a Parquet file, one row per task.</summary>
[Cmdlet(VerbsData.Export, "RepartirResult", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = ResultsSet, HelpUri = HelpUris.Pages + "Export-RepartirResult.md")]
[OutputType(typeof(void))]
public sealed class ExportRepartirResultCommand : PSCmdlet, IDisposable
{
    private const string ResultsSet = "Results";
    private const string JournalSet = "Journal";
    private ResultExport? _export;

    /// <summary>The Parquet file to write; replaced when it exists, unless -NoClobber.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The results, from Submit-RepartirTask or Wait-RepartirTask.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ResultsSet, ValueFromPipeline = true)]
    public TaskResultInfo? InputObject { get; set; }

    /// <summary>Export every result this run journal recorded instead (Submit-RepartirTask -Journal).</summary>
    [Parameter(Mandatory = true, ParameterSetName = JournalSet)]
    [ValidateNotNullOrEmpty]
    public string? Journal { get; set; }

    /// <summary>With -Journal: the checkpoint store's directory; the default store when omitted.</summary>
    [Parameter(ParameterSetName = JournalSet)]
    [ValidateNotNullOrEmpty]
    public string? JournalPath { get; set; }

    /// <summary>Fail when the file exists instead of replacing it.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        string path = GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(path, "Write task results as a Parquet table"))
        {
            return;
        }

        try
        {
            _export = ResultExport.Start(path, NoClobber, PSItemFormatter.Instance);
            if (ParameterSetName == JournalSet)
            {
                _export.AddJournal(JournalPath is null ? null : GetUnresolvedProviderPathFromPSPath(JournalPath), Journal!);
            }
        }
        catch (TerminatingCommandException e)
        {
            ThrowTerminatingError(e.Error.ToRecord());
        }
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (_export is not null && InputObject is not null)
        {
            try
            {
                _export.Add(InputObject);
            }
            catch (TerminatingCommandException e)
            {
                ThrowTerminatingError(e.Error.ToRecord());
            }
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (_export is null)
        {
            return;
        }

        try
        {
            (string path, long rows) = _export.Complete();
            WriteVerbose($"Wrote {rows} results to {path}.");
        }
        catch (TerminatingCommandException e)
        {
            ThrowTerminatingError(e.Error.ToRecord());
        }
    }

    /// <inheritdoc />
    public void Dispose() => _export?.Dispose();
}
