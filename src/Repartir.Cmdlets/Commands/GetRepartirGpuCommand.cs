using System.Management.Automation;
using Repartir.Cmdlets.Gpu;
using Repartir.Cmdlets.Output;
using Repartir.Gpu;

namespace Repartir.Cmdlets.Commands;

/// <summary>Get-RepartirGpu: the WebGPU adapters of this machine, their limits, and which one GPU work would use.</summary>
[Cmdlet(VerbsCommon.Get, "RepartirGpu", HelpUri = HelpUris.Pages + "Get-RepartirGpu.md")]
[OutputType(typeof(GpuAdapter))]
public sealed class GetRepartirGpuCommand : PSCmdlet
{
    /// <inheritdoc />
    protected override void EndProcessing()
    {
        try
        {
            GpuCommands.Get(GpuRuntime.Shared, new CmdletSink(this));
        }
        catch (TerminatingCommandException e)
        {
            ThrowTerminatingError(e.Error.ToRecord());
        }
    }
}
