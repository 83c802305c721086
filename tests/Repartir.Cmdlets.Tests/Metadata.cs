using System.Management.Automation;
using System.Reflection;

namespace Repartir.Cmdlets.Tests;

/// <summary>A cmdlet class's PowerShell attributes, read by reflection (the real ones: the tests run on the PowerShell SDK).</summary>
internal static class Metadata
{
    internal static readonly Type[] Cmdlets = [.. typeof(Commands.SubmitRepartirTaskCommand).Assembly.GetTypes()
        .Where(t => t.GetCustomAttribute<CmdletAttribute>() is not null)
        .OrderBy(t => t.Name, StringComparer.Ordinal)];

    internal static CmdletAttribute Cmdlet(Type type) => type.GetCustomAttribute<CmdletAttribute>()!;

    internal static string CmdletName(Type type) => $"{Cmdlet(type).VerbName}-{Cmdlet(type).NounName}";

    internal static IEnumerable<PropertyInfo> Parameters(Type type) => type.GetProperties().Where(p => p.GetCustomAttributes<ParameterAttribute>().Any());

    internal static IEnumerable<string> Aliases(MemberInfo member) => member.GetCustomAttributes<AliasAttribute>().SelectMany(a => a.AliasNames);
}
