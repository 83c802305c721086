using System.Management.Automation;
using Repartir.Cmdlets.Output;

namespace Repartir.Cmdlets.Pools;

/// <summary>Lets -Pool take a pool object or a pool's name.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class PoolTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            PoolInfo pool => pool,
            string name when PoolRegistry.Process.TryGet(name, out PoolInfo? pool) => pool!,
            string name => throw new ArgumentTransformationMetadataException(new PoolNotFoundException(name).Message),
            _ => throw new ArgumentTransformationMetadataException($"-Pool takes a pool (from New-RepartirPool or Get-RepartirPool) or a pool name, not a {value?.GetType().Name ?? "null"}."),
        };
    }
}
