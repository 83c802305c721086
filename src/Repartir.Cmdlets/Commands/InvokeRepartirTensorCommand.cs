using System.Management.Automation;
using Repartir.Cmdlets.Gpu;
using Repartir.Cmdlets.Output;
using Repartir.Gpu;
using Repartir.Tensors;

namespace Repartir.Cmdlets.Commands;

/// <summary>
/// Invoke-RepartirTensor: a tensor operation on the CPU (vectorised, across cores when large), on the GPU, or where
/// Auto decides from the operation's complexity, its size and the adapter's measured speeds. The result says where it
/// ran and why; -WhatIf says it without running.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "RepartirTensor", SupportsShouldProcess = true, HelpUri = HelpUris.Pages + "Invoke-RepartirTensor.md")]
[OutputType(typeof(TensorOutcome))]
public sealed class InvokeRepartirTensorCommand : PSCmdlet
{
    /// <summary>Add, Subtract, Multiply, Divide, Scale, Dot, Sum or MatMul.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public TensorOperation Operation { get; set; }

    /// <summary>x (A for MatMul): numbers, a float[], a list of rows, or a tensor.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public object? Left { get; set; }

    /// <summary>y (B for MatMul); not taken by Scale and Sum.</summary>
    [Parameter(Position = 2)]
    public object? Right { get; set; }

    /// <summary>The factor of Scale.</summary>
    [Parameter]
    public float Scalar { get; set; } = 1f;

    /// <summary>Cpu, Gpu or Auto (the default).</summary>
    [Parameter]
    public TensorBackend Backend { get; set; } = TensorBackend.Auto;

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        try
        {
            if (TensorRunner.TakesRight(Operation) != (Right is not null))
            {
                string message = TensorRunner.TakesRight(Operation)
                    ? $"{Operation} takes two operands: give -Right too."
                    : $"{Operation} takes one operand: leave -Right out{(Operation == TensorOperation.Scale ? " and give -Scalar" : string.Empty)}.";
                throw new TerminatingCommandException(ErrorRecords.NotATensor("Right", new ArgumentException(message, nameof(Right))));
            }

            GpuCommands.InvokeTensor(Operation, Left, Right, Scalar, Backend, GpuExecutor.Shared, new CmdletSink(this));
        }
        catch (TerminatingCommandException e)
        {
            ThrowTerminatingError(e.Error.ToRecord());
        }
    }
}
