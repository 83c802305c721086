using System.Management.Automation;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Tasks;
using Repartir.Results;

namespace Repartir.Cmdlets.Commands;

/// <summary>Import-RepartirResult: reads task results back from Parquet files Export-RepartirResult or repartir run --results wrote.</summary>
[Cmdlet(VerbsData.Import, "RepartirResult", HelpUri = HelpUris.Pages + "Import-RepartirResult.md")]
[OutputType(typeof(TaskResultInfo))]
public sealed class ImportRepartirResultCommand : PSCmdlet
{
    /// <summary>The Parquet files to read (wildcards allowed).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (string pattern in Path)
        {
            IEnumerable<string> files;
            try
            {
                files = GetResolvedProviderPathFromPSPath(pattern, out _);
            }
            catch (ItemNotFoundException e)
            {
                WriteError(ErrorRecords.CannotReadResults(pattern, new FileNotFoundException(e.Message, e)).ToRecord());
                continue;
            }

            foreach (string file in files)
            {
                IReadOnlyList<ResultRow> rows;
                try
                {
                    rows = ResultParquetReader.ReadAsync(file).GetAwaiter().GetResult();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
                {
                    WriteError(ErrorRecords.CannotReadResults(file, e).ToRecord());
                    continue;
                }

                foreach (ResultRow row in rows)
                {
                    try
                    {
                        WriteObject(new TaskResultInfo(row.ToTaskResult(), string.Empty));
                    }
                    catch (FormatException e)
                    {
                        WriteError(ErrorRecords.CannotReadResults(file, e).ToRecord());
                    }
                }
            }
        }
    }
}
