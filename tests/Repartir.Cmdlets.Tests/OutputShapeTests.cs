using System.Management.Automation;

namespace Repartir.Cmdlets.Tests;

/// <summary>How results look to people and to other tools: formatting, default display sets and serialised shapes.</summary>
public sealed class OutputShapeTests : IDisposable
{
    private readonly PowerShellSession _session = new();

    public void Dispose() => _session.Dispose();

    [Fact]
    public void A_result_for_a_file_is_compact_json_with_kinds_as_names_and_no_bytes()
    {
        string json = (string)_session.Run("Get-Item /etc/hostname | Submit-RepartirTask -FilePath cat | ConvertTo-Json -WarningAction SilentlyContinue").Succeeded().Single().BaseObject;

        Assert.True(json.Length < 8 * 1024, $"{json.Length} bytes of JSON for one result");
        Assert.Contains("\"Failure\": \"None\"", json, StringComparison.Ordinal);
        Assert.Contains("\"Backend\": \"Cpu\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Bytes", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"Spec\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_result_exports_to_csv_without_byte_arrays_or_nested_engine_objects()
    {
        string header = (string)_session.Run("(Submit-RepartirTask -FilePath echo -ArgumentList hi | ConvertTo-Csv)[0]").Succeeded().Single().BaseObject;

        string[] columns = [.. header.Split(',').Select(c => c.Trim('"'))];
        Assert.Contains("Id", columns);
        Assert.Contains("Stdout", columns);
        Assert.DoesNotContain(columns, c => c.Contains("Bytes", StringComparison.Ordinal) || c == "Spec");
        Assert.DoesNotContain("System.Byte[]", (string)_session.Run("(Submit-RepartirTask -FilePath echo -ArgumentList hi | ConvertTo-Csv)[1]").Single().BaseObject, StringComparison.Ordinal);
    }

    [Fact]
    public void A_result_that_crossed_a_process_boundary_keeps_its_id_and_table_view()
    {
        Invocation run = _session.Run(
            "$r = Submit-RepartirTask -FilePath echo -ArgumentList hi; $d = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($r)); " +
            "$d.PSObject.TypeNames[0]; $d.Id -eq $r.Id; $d.Failure; $d | Format-Table | Out-String").Succeeded();

        Assert.Equal("Deserialized.Repartir.Cmdlets.Tasks.TaskResultInfo", run.Output[0].BaseObject);
        Assert.Equal(true, run.Output[1].BaseObject);
        Assert.Equal("None", run.Output[2].BaseObject);
        string table = (string)run.Output[3].BaseObject;
        Assert.Matches(@"Id\s+Success\s+ExitCode\s+Failure", table);
        Assert.Matches(@"\n\s*\d+ True\s+0 None", table);
    }

    [Theory]
    [InlineData("Submit-RepartirTask -FilePath true", "Id", "Success", "Failure", "Worker")]
    [InlineData("Get-RepartirPool -Name default", "Name", "State", "CpuWorkers", "Outstanding")]
    [InlineData("Submit-RepartirTask -FilePath true -NoWait", "Id", "Pool", "Status", "Name")]
    public void Every_output_type_has_a_table_view_and_a_default_display_set(string command, params string[] columns)
    {
        Invocation run = _session.Run($"Submit-RepartirTask -FilePath true | Out-Null; $o = {command}; $o | Format-Table | Out-String; $o | Format-List | Out-String; $o.PSStandardMembers.DefaultDisplayPropertySet.ReferencedPropertyNames").Succeeded();

        string table = (string)run.Output[0].BaseObject;
        Assert.Matches(string.Join(@"\s+", columns.Take(2)), table);
        string list = (string)run.Output[1].BaseObject;
        Assert.All(columns, c => Assert.Matches($"(?m)^{c}\\s+:", list));
        Assert.Superset(new HashSet<string>(columns), new HashSet<string>(run.Output.Skip(2).Select(o => (string)o.BaseObject)));
    }
}
