using System.Management.Automation;
using System.Reflection;
using Repartir.Cmdlets.Commands;

namespace Repartir.Cmdlets.Tests;

/// <summary>The house rules for cmdlet classes, read from their attributes.</summary>
public sealed class CmdletMetadataTests
{
    public static TheoryData<Type> AllCmdlets() => new(Metadata.Cmdlets);

    [Fact]
    public void The_assembly_has_the_cmdlets_the_module_exports()
    {
        Assert.Equal(ModuleTests.Cmdlets, Metadata.Cmdlets.Select(Metadata.CmdletName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(AllCmdlets))]
    public void Cmdlets_use_approved_verbs_singular_Repartir_nouns_and_the_house_class_naming(Type type)
    {
        CmdletAttribute cmdlet = Metadata.Cmdlet(type);
        string[] approved = [.. typeof(VerbsCommon).Assembly.GetTypes()
            .Where(t => t.Name.StartsWith("Verbs", StringComparison.Ordinal))
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!))];

        Assert.Contains(cmdlet.VerbName, approved);
        Assert.StartsWith("Repartir", cmdlet.NounName, StringComparison.Ordinal);
        Assert.False(cmdlet.NounName.EndsWith('s'), "nouns are singular");
        Assert.Equal(cmdlet.VerbName + cmdlet.NounName + "Command", type.Name);
        Assert.Equal("Repartir.Cmdlets.Commands", type.Namespace);
        Assert.True(type.IsSealed);
        Assert.True(typeof(PSCmdlet).IsAssignableFrom(type));
        Assert.Equal($"https://github.com/repartir/Repartir.PowerShell/blob/main/docs/cmdlets/{Metadata.CmdletName(type)}.md", cmdlet.HelpUri);
    }

    [Theory]
    [MemberData(nameof(AllCmdlets))]
    public void Every_cmdlet_declares_its_output_type_and_switches_are_never_bool(Type type)
    {
        Assert.NotEmpty(type.GetCustomAttributes<OutputTypeAttribute>());
        Assert.All(Metadata.Parameters(type), p => Assert.NotEqual(typeof(bool), p.PropertyType));
    }

    [Theory]
    [MemberData(nameof(AllCmdlets))]
    public void Cmdlets_that_change_state_support_ShouldProcess(Type type)
    {
        // Restore and Import read into the session and change nothing, and Watch only reads, so they have no -WhatIf.
        string verb = Metadata.Cmdlet(type).VerbName;
        Assert.Equal(verb is not ("Get" or "Submit" or "Wait" or "Restore" or "Import" or "Watch"), Metadata.Cmdlet(type).SupportsShouldProcess);
    }

    [Theory]
    [MemberData(nameof(AllCmdlets))]
    public void Cmdlets_that_own_resources_are_disposable(Type type)
    {
        bool ownsResources = type.GetFields(BindingFlags.NonPublic | BindingFlags.Instance)
            .Any(f => typeof(IDisposable).IsAssignableFrom(f.FieldType) || f.FieldType.Name.EndsWith("Runner", StringComparison.Ordinal));
        Assert.Equal(ownsResources, typeof(IDisposable).IsAssignableFrom(type));
    }

    [Theory]
    [MemberData(nameof(AllCmdlets))]
    public void Identity_parameters_complete_names_and_accept_wildcards(Type type)
    {
        foreach (PropertyInfo parameter in Metadata.Parameters(type).Where(p => p.Name is "Name" && p.PropertyType == typeof(string[])))
        {
            Assert.NotNull(parameter.GetCustomAttribute<SupportsWildcardsAttribute>());
            Assert.NotNull(parameter.GetCustomAttribute<ArgumentCompleterAttribute>());
        }

        foreach (PropertyInfo pool in Metadata.Parameters(type).Where(p => p.Name == "Pool" && p.PropertyType == typeof(Pools.PoolInfo)))
        {
            Assert.NotNull(pool.GetCustomAttribute<Pools.PoolTransformationAttribute>());
            Assert.NotNull(pool.GetCustomAttribute<ArgumentCompleterAttribute>());
        }
    }

    [Fact]
    public void The_manifest_exports_exactly_the_aliases_the_cmdlets_declare()
    {
        using var session = new PowerShellSession();
        string[] exported = [.. session.Run("(Test-ModuleManifest $path).ExportedAliases.Keys", ("path", PowerShellSession.ModuleManifest)).Succeeded().Output.Select(o => (string)o.BaseObject)];

        Assert.Equal(Metadata.Cmdlets.SelectMany(Metadata.Aliases).Order(StringComparer.Ordinal), exported.Order(StringComparer.Ordinal));
    }
}
