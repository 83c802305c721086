using Repartir.Testing;
using System.Management.Automation;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Repartir.Cmdlets.Tests;

/// <summary>Every exported cmdlet has a PlatyPS 1.x page and every parameter is documented as the code declares it.</summary>
public sealed partial class HelpPageTests
{
    private static readonly string[] RequiredSections =
        ["## SYNOPSIS", "## SYNTAX", "## ALIASES", "## DESCRIPTION", "## EXAMPLES", "## PARAMETERS", "### CommonParameters", "## INPUTS", "## OUTPUTS", "## NOTES", "## RELATED LINKS"];

    public static TheoryData<Type> AllCmdlets() => CmdletMetadataTests.AllCmdlets();

    private static string PageOf(Type cmdlet) => File.ReadAllText(RepositoryFiles.PathOf("docs", "cmdlets", Metadata.CmdletName(cmdlet) + ".md"));

    [Theory]
    [MemberData(nameof(AllCmdlets))]
    public void Every_cmdlet_has_a_page_with_the_schema_header_and_sections_in_order(Type cmdlet)
    {
        string page = PageOf(cmdlet);
        string name = Metadata.CmdletName(cmdlet);

        foreach (string header in new[] { "document type: cmdlet", "external help file: Repartir.Cmdlets.dll-Help.xml", "HelpUri: ", "Locale: en-US", "Module Name: Repartir", "ms.date: ", "PlatyPS schema version: 2024-05-01", "title: " + name })
        {
            Assert.Contains("\n" + header, page, StringComparison.Ordinal);
        }

        Assert.Contains("\n# " + name + "\n", page, StringComparison.Ordinal);
        int last = -1;
        foreach (string section in RequiredSections)
        {
            int at = page.IndexOf("\n" + section + "\n", StringComparison.Ordinal);
            Assert.True(at > last, $"{name}: '{section}' is missing or out of order");
            last = at;
        }

        Assert.Matches(@"### Example 1: .+\n\n```powershell\n.+", page);
    }

    [Theory]
    [MemberData(nameof(AllCmdlets))]
    public void Every_parameter_is_documented_with_its_type_and_binding(Type cmdlet)
    {
        string page = PageOf(cmdlet);
        foreach (PropertyInfo parameter in Metadata.Parameters(cmdlet))
        {
            Match block = Regex.Match(page, $@"\n### -{parameter.Name}\n\n(?<text>[^\n]+)\n\n```yaml\n(?<yaml>.*?)```", RegexOptions.Singleline);
            Assert.True(block.Success, $"{Metadata.CmdletName(cmdlet)}: -{parameter.Name} is not documented");
            string yaml = block.Groups["yaml"].Value;
            Assert.Contains($"Type: {parameter.PropertyType.FullName}\n", yaml, StringComparison.Ordinal);
            Assert.Contains($"SupportsWildcards: {Bool(parameter.GetCustomAttribute<SupportsWildcardsAttribute>() is not null)}\n", yaml, StringComparison.Ordinal);
            foreach (string alias in Metadata.Aliases(parameter))
            {
                Assert.Contains(alias, Regex.Match(yaml, "Aliases: (.*)\n").Groups[1].Value, StringComparison.Ordinal);
            }

            foreach (ParameterAttribute attribute in parameter.GetCustomAttributes<ParameterAttribute>())
            {
                string set = attribute.ParameterSetName == ParameterAttribute.AllParameterSets ? "(All)" : attribute.ParameterSetName;
                Match entry = Regex.Match(yaml, $@"- Name: {Regex.Escape(set)}\n  Position: (?<position>\S+)\n  IsRequired: (?<required>\w+)\n  ValueFromPipeline: (?<pipeline>\w+)\n  ValueFromPipelineByPropertyName: (?<byName>\w+)\n");
                Assert.True(entry.Success, $"{Metadata.CmdletName(cmdlet)} -{parameter.Name}: parameter set '{set}' is not documented");
                Assert.Equal(attribute.Position == int.MinValue ? "Named" : attribute.Position.ToString(System.Globalization.CultureInfo.InvariantCulture), entry.Groups["position"].Value);
                Assert.Equal(Bool(attribute.Mandatory), entry.Groups["required"].Value);
                Assert.Equal(Bool(attribute.ValueFromPipeline), entry.Groups["pipeline"].Value);
                Assert.Equal(Bool(attribute.ValueFromPipelineByPropertyName), entry.Groups["byName"].Value);
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllCmdlets))]
    public void Pages_document_no_parameter_the_cmdlet_lacks(Type cmdlet)
    {
        var known = Metadata.Parameters(cmdlet).Select(p => p.Name).ToHashSet();
        if (Metadata.Cmdlet(cmdlet).SupportsShouldProcess)
        {
            known.UnionWith(["WhatIf", "Confirm"]);
        }

        foreach (Match documented in DocumentedParameter().Matches(PageOf(cmdlet)))
        {
            Assert.Contains(documented.Groups["name"].Value, known);
        }
    }

    [Fact]
    public void The_module_page_links_every_cmdlet()
    {
        string page = File.ReadAllText(RepositoryFiles.PathOf("docs", "cmdlets", "Repartir.md"));
        Assert.Contains("document type: module", page, StringComparison.Ordinal);
        foreach (Type cmdlet in Metadata.Cmdlets)
        {
            string name = Metadata.CmdletName(cmdlet);
            Assert.Contains($"### [{name}]({name}.md)", page, StringComparison.Ordinal);
        }
    }

    private static string Bool(bool value) => value ? "true" : "false";

    [GeneratedRegex(@"\n### -(?<name>\w+)\n")]
    private static partial Regex DocumentedParameter();
}
