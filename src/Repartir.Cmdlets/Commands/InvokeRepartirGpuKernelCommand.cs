using System.Management.Automation;
using Repartir.Cmdlets.Gpu;
using Repartir.Cmdlets.Output;
using Repartir.Gpu;

namespace Repartir.Cmdlets.Commands;

/// <summary>
/// Invoke-RepartirGpuKernel: runs a WGSL compute kernel once on the chosen GPU adapter. Inputs are bound first
/// (<c>@group(0) @binding(0 …)</c>), outputs after them; each output comes back as an array.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "RepartirGpuKernel", DefaultParameterSetName = SourceSet, SupportsShouldProcess = true, HelpUri = HelpUris.Pages + "Invoke-RepartirGpuKernel.md")]
[OutputType(typeof(GpuKernelOutput))]
public sealed class InvokeRepartirGpuKernelCommand : PSCmdlet
{
    private const string SourceSet = "Source";
    private const string PathSet = "Path";

    /// <summary>The WGSL source.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = SourceSet)]
    [ValidateNotNullOrEmpty]
    public string Shader { get; set; } = string.Empty;

    /// <summary>A file holding the WGSL source.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string ShaderPath { get; set; } = string.Empty;

    /// <summary>The compute entry point.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string EntryPoint { get; set; } = "main";

    /// <summary>The input buffers: one array of numbers is one input; a list of arrays (or byte[], float[], int[], uint[]) is one input each.</summary>
    [Parameter(Position = 1)]
    [AllowEmptyCollection]
    public object[] Input { get; set; } = [];

    /// <summary>How numbers in -Input are written: Single (f32, the default), Int32, UInt32 or Byte.</summary>
    [Parameter]
    public GpuValueType InputType { get; set; } = GpuValueType.Single;

    /// <summary>The size of each output buffer, in values of -OutputType.</summary>
    [Parameter(Mandatory = true)]
    [ValidateCount(1, 64)]
    [ValidateRange(1, long.MaxValue)]
    public long[] OutputSize { get; set; } = [];

    /// <summary>How the outputs are read: Single (f32, the default), Int32, UInt32 or Byte.</summary>
    [Parameter]
    public GpuValueType OutputType { get; set; } = GpuValueType.Single;

    /// <summary>The workgroup counts: x, or x,y, or x,y,z.</summary>
    [Parameter]
    [ValidateCount(1, 3)]
    public uint[] Workgroups { get; set; } = [1];

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var sink = new CmdletSink(this);
        try
        {
            string source = ParameterSetName == PathSet ? ReadShader() : Shader;
            GpuCommands.InvokeKernel(GpuExecutor.Shared, source, EntryPoint, Input, InputType, OutputSize, OutputType, Workgroups, sink);
        }
        catch (TerminatingCommandException e)
        {
            ThrowTerminatingError(e.Error.ToRecord());
        }
    }

    private string ReadShader()
    {
        string path = GetUnresolvedProviderPathFromPSPath(ShaderPath);
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TerminatingCommandException(ErrorRecords.GpuFailure(path, new GpuException(GpuProblem.InvalidKernel, $"The shader file {path} cannot be read: {e.Message}", e)));
        }
    }
}
