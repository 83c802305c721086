using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Reflection;

namespace Repartir.Cmdlets.Tests;

/// <summary>
/// Reads PowerShell attributes as raw metadata. Instantiating them would run the reference assembly's
/// empty constructors (every property would read null), so the constructor and named arguments are
/// read from <see cref="CustomAttributeData"/> instead.
/// </summary>
internal static class Metadata
{
    internal static IEnumerable<CustomAttributeData> All<T>(MemberInfo member) =>
        member.GetCustomAttributesData().Where(a => a.AttributeType == typeof(T));

    internal static CustomAttributeData? One<T>(MemberInfo member) => All<T>(member).SingleOrDefault();

    internal static bool Has<T>(MemberInfo member) => All<T>(member).Any();

    internal static TValue? Named<TValue>(this CustomAttributeData attribute, string name) =>
        attribute.NamedArguments.Where(n => n.MemberName == name).Select(n => (TValue?)n.TypedValue.Value).FirstOrDefault();

    internal static object? Argument(this CustomAttributeData attribute, int index) => attribute.ConstructorArguments[index].Value;

    /// <summary>The elements of a <c>params</c> constructor argument (OutputType's types, Alias's names).</summary>
    internal static IEnumerable<T> ParamsArgument<T>(this CustomAttributeData attribute) =>
        attribute.ConstructorArguments.SelectMany(a => a.Value is ReadOnlyCollection<CustomAttributeTypedArgument> items ? items.Select(i => (T)i.Value!) : [(T)a.Value!]);

    internal static (string Verb, string Noun) CmdletNameParts(Type type)
    {
        CustomAttributeData cmdlet = One<CmdletAttribute>(type)!;
        return ((string)cmdlet.Argument(0)!, (string)cmdlet.Argument(1)!);
    }

    internal static string CmdletName(Type type)
    {
        (string verb, string noun) = CmdletNameParts(type);
        return verb + "-" + noun;
    }

    internal static IEnumerable<PropertyInfo> Parameters(Type type) => type.GetProperties().Where(Has<ParameterAttribute>);

    internal static CustomAttributeData Parameter(Type type, string name) => One<ParameterAttribute>(type.GetProperty(name)!)!;

    internal static IEnumerable<Type> OutputTypes(Type type) => All<OutputTypeAttribute>(type).SelectMany(a => a.ParamsArgument<Type>());

    internal static IEnumerable<string> Aliases(MemberInfo member) => All<AliasAttribute>(member).SelectMany(a => a.ParamsArgument<string>());
}
