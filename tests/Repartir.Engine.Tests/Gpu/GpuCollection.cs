namespace Repartir.Tests.Gpu;

/// <summary>The GPU tests share the process's one device and run one at a time: a device is serialised anyway, and a test that loses it on purpose must not fail another's call.</summary>
[CollectionDefinition(Name)]
public sealed class GpuCollection
{
    public const string Name = "Gpu";
}
