using System.Collections;
using System.Runtime.InteropServices;
using Repartir.Cmdlets.Output;
using Repartir.Gpu;
using Repartir.Tensors;

namespace Repartir.Cmdlets.Gpu;

/// <summary>The behaviour of Get-RepartirGpu, Invoke-RepartirGpuKernel and Invoke-RepartirTensor, free of PowerShell.</summary>
public static class GpuCommands
{
    /// <summary>Get-RepartirGpu: every adapter found, the chosen one marked; a warning when none can compute.</summary>
    /// <exception cref="TerminatingCommandException">The WebGPU library is missing.</exception>
    public static void Get(GpuRuntime runtime, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(sink);
        IReadOnlyList<GpuAdapter> adapters = Guard(null, () => runtime.Adapters);
        sink.WriteVerbose($"WebGPU library: {GpuRuntime.LibraryPath}");
        foreach (GpuAdapter adapter in adapters)
        {
            sink.WriteObject(adapter);
        }

        if (!adapters.Any(a => a.Usable))
        {
            sink.WriteWarning(adapters.Count == 0
                ? "No GPU adapter was found (Vulkan or OpenGL ES): GPU work will fail with NoUsableGpu; CPU work is unaffected."
                : "No adapter found can compute (only Dawn's Null backend): GPU work will fail with NoUsableGpu.");
        }
    }

    /// <summary>Invoke-RepartirGpuKernel: runs the kernel once and writes its outputs as arrays of <paramref name="outputType"/>.</summary>
    /// <exception cref="TerminatingCommandException">The kernel is malformed, does not compile, exceeds a limit, or the GPU failed.</exception>
    public static void InvokeKernel(GpuExecutor executor, string shader, string entryPoint, IReadOnlyList<object?> inputs, GpuValueType inputType, IReadOnlyList<long> outputSizes, GpuValueType outputType, IReadOnlyList<uint> workgroups, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(sink);
        GpuKernel kernel = Guard(entryPoint, () => new GpuKernel
        {
            Shader = shader,
            EntryPoint = entryPoint,
            Inputs = Buffers(inputs, inputType),
            OutputSizes = [.. outputSizes.Select(count => count * SizeOf(outputType))],
            Workgroups = GpuWorkgroups.From(workgroups),
        });
        if (!sink.ShouldProcess($"{entryPoint} ({kernel.Inputs.Count} inputs, {kernel.OutputSizes.Count} outputs, workgroups {kernel.Workgroups})", "Run the GPU kernel"))
        {
            return; // before a device is opened
        }

        int recoveries = executor.Recoveries;
        GpuKernelResult result = Guard(entryPoint, () => executor.Run(kernel));
        if (executor.Recoveries != recoveries)
        {
            sink.WriteWarning(executor.LastLoss!);
        }

        sink.WriteVerbose($"Ran {entryPoint} on {result.Adapter}: upload {result.Upload.TotalMilliseconds:F2} ms, compute {result.Compute.TotalMilliseconds:F2} ms, readback {result.Readback.TotalMilliseconds:F2} ms.");
        sink.WriteObject(new GpuKernelOutput([.. result.Outputs.Select(bytes => Typed(bytes, outputType))], result.Adapter, result.Upload, result.Compute, result.Readback));
    }

    /// <summary>Invoke-RepartirTensor: runs the operation where asked (or where Auto decides) and writes the outcome, decision and reason included.</summary>
    /// <exception cref="TerminatingCommandException">The operands are not tensors or do not fit, or the GPU was asked for and failed.</exception>
    public static void InvokeTensor(TensorOperation operation, object? left, object? right, float scalar, TensorBackend backend, GpuExecutor executor, ICommandSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        Tensor x = Operand(left, "Left");
        Tensor? y = right is null ? null : Operand(right, "Right");
        string target = y is null ? x.ShapeText : $"{x.ShapeText} and {y.ShapeText}";
        TensorDecision decision = Shaped(operation, () => TensorRunner.Decide(operation, x, y, backend, executor));
        if (!sink.ShouldProcess(target, $"{operation} on the {decision.Backend} ({decision.Tier}): {decision.Reason}"))
        {
            return;
        }

        TensorOutcome outcome = Shaped(operation, () => TensorRunner.Run(operation, x, y, scalar, backend, executor));
        sink.WriteVerbose($"{operation} ran on the {outcome.Decision.Backend} ({outcome.Decision.Tier}) in {outcome.Duration.TotalMilliseconds:F2} ms: {outcome.Decision.Reason}");
        sink.WriteObject(outcome);
    }

    private static Tensor Operand(object? value, string parameter)
    {
        try
        {
            return TensorOperands.From(value, parameter);
        }
        catch (ArgumentException e)
        {
            throw new TerminatingCommandException(ErrorRecords.NotATensor(parameter, e));
        }
    }

    private static T Shaped<T>(TensorOperation operation, Func<T> call)
    {
        try
        {
            return Guard(operation.ToString(), call);
        }
        catch (TensorShapeException e)
        {
            throw new TerminatingCommandException(ErrorRecords.ShapeMismatch(operation.ToString(), e));
        }
    }

    private static T Guard<T>(object? target, Func<T> call)
    {
        try
        {
            return call();
        }
        catch (GpuException e)
        {
            throw new TerminatingCommandException(ErrorRecords.GpuFailure(target, e));
        }
    }

    private static ReadOnlyMemory<byte>[] Buffers(IReadOnlyList<object?> inputs, GpuValueType type)
    {
        // A list of numbers is one input; a list of lists (or of typed arrays) is one input each.
        object?[] items = [.. inputs.Select(Unwrap)];
        bool one = items.Length > 0 && items.All(i => i is not IEnumerable || i is string);
        return one ? [Encode(items, type, "Input")] : [.. items.Select((item, i) => Encode(item, type, $"Input[{i}]"))];
    }

    private static ReadOnlyMemory<byte> Encode(object? value, GpuValueType type, string where)
    {
        switch (value)
        {
            case byte[] bytes:
                return bytes;
            case float[] floats:
                return MemoryMarshal.AsBytes(floats.AsSpan()).ToArray();
            case int[] ints:
                return MemoryMarshal.AsBytes(ints.AsSpan()).ToArray();
            case uint[] uints:
                return MemoryMarshal.AsBytes(uints.AsSpan()).ToArray();
            case IEnumerable list and not string:
                return Encode([.. list.Cast<object?>().Select(Unwrap)], type, where);
            default:
                throw new GpuException(GpuProblem.InvalidKernel, $"{where} is {(value is null ? "null" : $"a {value.GetType().Name}")}: an input is an array of numbers, a byte[], float[], int[] or uint[].");
        }
    }

    private static ReadOnlyMemory<byte> Encode(object?[] numbers, GpuValueType type, string where)
    {
        try
        {
            return type switch
            {
                GpuValueType.Single => MemoryMarshal.AsBytes(TensorOperands.Numbers(numbers, where).AsSpan()).ToArray(),
                GpuValueType.Int32 => MemoryMarshal.AsBytes(numbers.Select(n => Convert.ToInt32(n, System.Globalization.CultureInfo.InvariantCulture)).ToArray().AsSpan()).ToArray(),
                GpuValueType.UInt32 => MemoryMarshal.AsBytes(numbers.Select(n => Convert.ToUInt32(n, System.Globalization.CultureInfo.InvariantCulture)).ToArray().AsSpan()).ToArray(),
                _ => numbers.Select(n => Convert.ToByte(n, System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            };
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            throw new GpuException(GpuProblem.InvalidKernel, $"{where} cannot be read as {type}: {e.Message}", e);
        }
    }

    private static int SizeOf(GpuValueType type) => type == GpuValueType.Byte ? 1 : 4;

    private static Array Typed(byte[] bytes, GpuValueType type) => type switch
    {
        GpuValueType.Single => MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
        GpuValueType.Int32 => MemoryMarshal.Cast<byte, int>(bytes).ToArray(),
        GpuValueType.UInt32 => MemoryMarshal.Cast<byte, uint>(bytes).ToArray(),
        _ => bytes,
    };

    private static object? Unwrap(object? value) => value is System.Management.Automation.PSObject wrapped ? wrapped.BaseObject : value;
}
