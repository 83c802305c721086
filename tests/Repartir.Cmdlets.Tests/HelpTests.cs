using System.Management.Automation;

namespace Repartir.Cmdlets.Tests;

/// <summary>Get-Help as a user reads it: the compiled MAML beside the cmdlet assembly and the about topic.</summary>
public sealed class HelpTests : IDisposable
{
    private readonly PowerShellSession _session = new();

    public static TheoryData<string> AllCmdlets() => new(ModuleTests.Cmdlets);

    public void Dispose() => _session.Dispose();

    [Theory]
    [MemberData(nameof(AllCmdlets))]
    public void Full_help_has_synopsis_description_every_parameter_and_clean_examples(string cmdlet)
    {
        PSObject help = _session.Run($"Get-Help {cmdlet} -Full").Succeeded().Single();

        string synopsis = help.Get<string>("Synopsis");
        Assert.False(synopsis.StartsWith(cmdlet, StringComparison.Ordinal), $"{cmdlet} has no synopsis, only its syntax");
        Assert.NotEmpty(Texts(help.Value("description")));

        string[] declared = [.. _session.Run($"(Get-Command {cmdlet}).Parameters.Keys | Where-Object {{ $_ -notin [System.Management.Automation.PSCmdlet]::CommonParameters -and $_ -notin [System.Management.Automation.PSCmdlet]::OptionalCommonParameters }}").Output.Select(o => (string)o.BaseObject)];
        PSObject[] parameters = [.. _session.Run($"(Get-Help {cmdlet} -Full).parameters.parameter").Output];
        foreach (string name in declared)
        {
            PSObject parameter = Assert.Single(parameters, p => p.Get<string>("name") == name);
            Assert.True(Texts(parameter.Value("description")).Any(t => t.Length > 10), $"{cmdlet} -{name} has no description");
        }

        PSObject[] examples = [.. _session.Run($"(Get-Help {cmdlet} -Examples).examples.example").Output];
        Assert.NotEmpty(examples);
        foreach (PSObject example in examples)
        {
            string code = example.Get<string>("code");
            Assert.Contains(cmdlet, code, StringComparison.Ordinal);
            Assert.DoesNotContain("```", code, StringComparison.Ordinal);
        }

        string full = (string)_session.Run($"Get-Help {cmdlet} -Full | Out-String -Width 200").Single().BaseObject;
        Assert.DoesNotContain("`", full, StringComparison.Ordinal);
        Assert.DoesNotContain("\u0080", full, StringComparison.Ordinal);
        Assert.DoesNotContain("](", full, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllCmdlets))]
    public void Online_help_opens_the_cmdlets_page(string cmdlet)
    {
        string uri = $"https://github.com/repartir/Repartir.PowerShell/blob/main/docs/cmdlets/{cmdlet}.md";
        Assert.Equal(uri, _session.Run($"(Get-Command {cmdlet}).HelpUri").Succeeded().Single().BaseObject);
        Assert.Equal(uri, _session.Run($"(Get-Help {cmdlet}).relatedLinks.navigationLink[0].uri").Succeeded().Single().BaseObject);
    }

    [Fact]
    public void About_Repartir_explains_pools_tasks_placeholders_workers_failures_and_retries()
    {
        string about = (string)_session.Run("Get-Help about_Repartir | Out-String").Succeeded().Single().BaseObject;

        foreach (string topic in new[] { "POOLS", "TASKS", "PLACEHOLDERS", "appended", "WORKERS", "FAILURES", "RETRIES", "NoWorker", "-ErrorOnFailure" })
        {
            Assert.Contains(topic, about, StringComparison.Ordinal);
        }
    }

    private static IEnumerable<string> Texts(object? paragraphs) =>
        LanguagePrimitives.GetEnumerable(paragraphs)?.Cast<object>().Select(p => PSObject.AsPSObject(p).Properties["Text"]?.Value?.ToString() ?? string.Empty) ?? [];
}
