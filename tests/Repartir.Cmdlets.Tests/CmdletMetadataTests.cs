using Repartir.Testing;
using System.Management.Automation;
using System.Reflection;
using System.Text.RegularExpressions;
using Repartir.Cmdlets.Commands;

namespace Repartir.Cmdlets.Tests;

/// <summary>Cmdlet metadata read by reflection: the attributes are plain metadata, so no PowerShell is needed.</summary>
public sealed partial class CmdletMetadataTests
{
    internal static readonly Type[] Cmdlets = typeof(SubmitRepartirTaskCommand).Assembly.GetTypes()
        .Where(Metadata.Has<CmdletAttribute>)
        .OrderBy(t => t.Name)
        .ToArray();

    public static TheoryData<Type> AllCmdlets() => new(Cmdlets);

    [Fact]
    public void The_module_has_the_cmdlets_the_issues_promise()
    {
        Assert.Equal(
            ["Add-RepartirWorker", "Get-RepartirPool", "Get-RepartirWorker", "New-RepartirPool", "Remove-RepartirPool", "Remove-RepartirWorker", "Start-RepartirWorker", "Stop-RepartirWorker", "Submit-RepartirTask", "Wait-RepartirTask"],
            Cmdlets.Select(Metadata.CmdletName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(AllCmdlets))]
    public void Cmdlets_use_approved_verbs_singular_Repartir_nouns_and_the_house_class_naming(Type type)
    {
        (string verb, string noun) = Metadata.CmdletNameParts(type);
        string[] approved = typeof(VerbsCommon).Assembly.GetTypes()
            .Where(t => t.Name.StartsWith("Verbs", StringComparison.Ordinal))
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!))
            .ToArray();

        Assert.Contains(verb, approved);
        Assert.StartsWith("Repartir", noun, StringComparison.Ordinal);
        Assert.False(noun.EndsWith('s'), "nouns are singular");
        Assert.Equal(verb + noun + "Command", type.Name);
        Assert.Equal("Repartir.Cmdlets.Commands", type.Namespace);
        Assert.True(type.IsSealed);
        Assert.True(typeof(PSCmdlet).IsAssignableFrom(type));
    }

    [Theory]
    [MemberData(nameof(AllCmdlets))]
    public void Every_cmdlet_declares_its_output_type_and_switches_are_never_bool(Type type)
    {
        Assert.NotEmpty(Metadata.OutputTypes(type));
        Assert.All(Metadata.Parameters(type), p => Assert.NotEqual(typeof(bool), p.PropertyType));
    }

    [Theory]
    [InlineData(typeof(NewRepartirPoolCommand))]
    [InlineData(typeof(RemoveRepartirPoolCommand))]
    [InlineData(typeof(StartRepartirWorkerCommand))]
    [InlineData(typeof(StopRepartirWorkerCommand))]
    public void Cmdlets_that_change_state_support_ShouldProcess(Type type)
    {
        Assert.True(Metadata.One<CmdletAttribute>(type)!.Named<bool>("SupportsShouldProcess"));
    }

    [Fact]
    public void Submit_takes_each_pipeline_item_as_InputObject_and_FilePath_first()
    {
        Assert.True(Metadata.Parameter(typeof(SubmitRepartirTaskCommand), "InputObject").Named<bool>("ValueFromPipeline"));
        Assert.Equal(typeof(PSObject), typeof(SubmitRepartirTaskCommand).GetProperty("InputObject")!.PropertyType);

        CustomAttributeData filePath = Metadata.Parameter(typeof(SubmitRepartirTaskCommand), "FilePath");
        Assert.True(filePath.Named<bool>("Mandatory"));
        Assert.Equal(0, filePath.Named<int>("Position"));
        Assert.Equal(typeof(Repartir.Tasks.TaskPriority), typeof(SubmitRepartirTaskCommand).GetProperty("Priority")!.PropertyType);
        Assert.Equal(typeof(SwitchParameter), typeof(SubmitRepartirTaskCommand).GetProperty("Ordered")!.PropertyType);
        Assert.Contains("Args", Metadata.Aliases(typeof(SubmitRepartirTaskCommand).GetProperty("ArgumentList")!));
        Assert.True(Metadata.Has<Pools.PoolTransformationAttribute>(typeof(SubmitRepartirTaskCommand).GetProperty("Pool")!));
    }

    [Fact]
    public void Pools_flow_down_the_pipeline_by_value_and_by_name()
    {
        CustomAttributeData pool = Metadata.Parameter(typeof(RemoveRepartirPoolCommand), "Pool");
        Assert.True(pool.Named<bool>("ValueFromPipeline"));
        Assert.Equal("ByPool", pool.Named<string>("ParameterSetName"));

        foreach (Type type in new[] { typeof(RemoveRepartirPoolCommand), typeof(GetRepartirPoolCommand) })
        {
            PropertyInfo name = type.GetProperty("Name")!;
            Assert.True(Metadata.Parameter(type, "Name").Named<bool>("ValueFromPipelineByPropertyName"));
            Assert.True(Metadata.Has<SupportsWildcardsAttribute>(name));
            Assert.True(Metadata.Has<ArgumentCompleterAttribute>(name));
            Assert.Equal(typeof(string[]), name.PropertyType);
        }

        // The pool object has the property those parameters bind from.
        Assert.NotNull(typeof(Pools.PoolInfo).GetProperty("Name"));
        Assert.Equal("ByName", Metadata.One<CmdletAttribute>(typeof(RemoveRepartirPoolCommand))!.Named<string>("DefaultParameterSetName"));
    }

    [Fact]
    public void Wait_takes_handles_from_the_pipeline()
    {
        Assert.True(Metadata.Parameter(typeof(WaitRepartirTaskCommand), "Task").Named<bool>("ValueFromPipeline"));
        Assert.Equal(typeof(Tasks.TaskHandle[]), typeof(WaitRepartirTaskCommand).GetProperty("Task")!.PropertyType);
        Assert.Contains(typeof(Repartir.Tasks.TaskResult), Metadata.OutputTypes(typeof(WaitRepartirTaskCommand)));
    }

    [Theory]
    [MemberData(nameof(AllCmdlets))]
    public void Cmdlets_that_own_resources_are_disposable(Type type)
    {
        bool ownsResources = type.GetFields(BindingFlags.NonPublic | BindingFlags.Instance)
            .Any(f => typeof(IDisposable).IsAssignableFrom(f.FieldType) || f.FieldType.Name.EndsWith("Runner", StringComparison.Ordinal));
        Assert.Equal(ownsResources, typeof(IDisposable).IsAssignableFrom(type));
    }

    [Fact]
    public void The_manifest_exports_exactly_the_cmdlets_that_exist()
    {
        string manifest = File.ReadAllText(RepositoryFiles.PathOf("module", "Repartir.psd1"));
        string block = CmdletsToExport().Match(manifest).Groups["list"].Value;
        string[] exported = QuotedName().Matches(block).Select(m => m.Groups["name"].Value).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(Cmdlets.Select(Metadata.CmdletName).Order(StringComparer.Ordinal), exported);
        string[] declaredAliases = Cmdlets.SelectMany(Metadata.Aliases).ToArray();
        string aliasBlock = AliasesToExport().Match(manifest).Groups["list"].Value;
        Assert.Equal(declaredAliases.Order(StringComparer.Ordinal), QuotedName().Matches(aliasBlock).Select(m => m.Groups["name"].Value).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_manifest_has_the_fields_the_house_requires()
    {
        string manifest = File.ReadAllText(RepositoryFiles.PathOf("module", "Repartir.psd1"));
        foreach (string required in new[]
        {
            "RootModule           = 'Repartir.Cmdlets.dll'", "CompatiblePSEditions = @('Core')", "PowerShellVersion    = '7.4'",
            "FunctionsToExport    = @()", "VariablesToExport    = @()", "FormatsToProcess     = @('Repartir.Format.ps1xml')",
            "'PSEdition_Core'", "'Linux'", "'Windows'", "'MacOS'", "ProjectUri", "LicenseUri", "ReleaseNotes",
        })
        {
            Assert.Contains(required, manifest, StringComparison.Ordinal);
        }

        Assert.Matches(@"GUID\s*=\s*'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'", manifest);
    }

    [Fact]
    public void The_built_manifest_carries_the_assembly_version()
    {
        // The module folder is the cmdlet project's own output (same configuration as this test run).
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string built = File.ReadAllText(RepositoryFiles.PathOf("src", "Repartir.Cmdlets", "bin", configuration, "net8.0", "Repartir.psd1"));
        Version version = typeof(SubmitRepartirTaskCommand).Assembly.GetName().Version!;

        Assert.Matches($@"ModuleVersion\s*=\s*'{version.Major}\.{version.Minor}\.{version.Build}'", built);
    }

    [Fact]
    public void The_format_file_has_a_table_view_for_every_output_type_and_its_deserialized_twin()
    {
        string format = File.ReadAllText(RepositoryFiles.PathOf("module", "Repartir.Format.ps1xml"));
        IEnumerable<Type> outputTypes = Cmdlets.SelectMany(Metadata.OutputTypes).Where(t => t != typeof(void)).Distinct();

        foreach (Type output in outputTypes)
        {
            Assert.Contains($"<TypeName>{output.FullName}</TypeName>", format, StringComparison.Ordinal);
            Assert.Contains($"<TypeName>Deserialized.{output.FullName}</TypeName>", format, StringComparison.Ordinal);
        }

        Assert.Equal(outputTypes.Count(), Regex.Matches(format, "<TableControl>").Count);
    }

    [GeneratedRegex(@"CmdletsToExport\s*=\s*@\((?<list>[^)]*)\)")]
    private static partial Regex CmdletsToExport();

    [GeneratedRegex(@"AliasesToExport\s*=\s*@\((?<list>[^)]*)\)")]
    private static partial Regex AliasesToExport();

    [GeneratedRegex(@"'(?<name>[^']+)'")]
    private static partial Regex QuotedName();
}
