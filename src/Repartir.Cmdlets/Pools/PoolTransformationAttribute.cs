using System.Management.Automation;
using Repartir.Cmdlets.Output;

namespace Repartir.Cmdlets.Pools;

/// <summary>
/// Lets -Pool take a pool object or a pool's name. A name that matches no pool still binds, so that the command can
/// report PoolNotFound with the name as the error's target (a binding error cannot name one).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class PoolTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object? value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            PoolInfo pool => pool,
            string name when PoolRegistry.Process.TryGet(name, out PoolInfo? pool) => pool!,
            string name => PoolInfo.NotFound(name),
            _ => throw new ArgumentTransformationMetadataException($"-Pool takes a pool (from New-RepartirPool or Get-RepartirPool) or a pool name, not a {value?.GetType().Name ?? "null"}."),
        };
    }
}
