namespace Repartir.Gpu;

/// <summary>
/// A compute kernel to run once: WGSL source and its entry point, the input buffers, the sizes of the output buffers,
/// and how many workgroups to dispatch. The shader sees the inputs at <c>@group(0) @binding(0 … n-1)</c> and the outputs
/// right after them (<c>@binding(n …)</c>); outputs start zeroed.
/// </summary>
public sealed record GpuKernel
{
    /// <summary>The WGSL source.</summary>
    public required string Shader { get; init; }

    /// <summary>The compute entry point.</summary>
    public string EntryPoint { get; init; } = "main";

    /// <summary>The input buffers, bound first, in order.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Inputs { get; init; } = [];

    /// <summary>The sizes in bytes of the output buffers, bound after the inputs, in order.</summary>
    public IReadOnlyList<long> OutputSizes { get; init; } = [];

    /// <summary>The workgroup counts of the dispatch.</summary>
    public GpuWorkgroups Workgroups { get; init; } = new(1);

    /// <summary>Checks what can be checked without a device, naming the field that is wrong.</summary>
    /// <exception cref="GpuException">A field is empty or out of range (<see cref="GpuProblem.InvalidKernel"/>).</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Shader))
        {
            throw new GpuException(GpuProblem.InvalidKernel, "The shader is empty: give WGSL source with a @compute entry point.");
        }

        if (string.IsNullOrWhiteSpace(EntryPoint))
        {
            throw new GpuException(GpuProblem.InvalidKernel, "The entry point is empty.");
        }

        if (OutputSizes.Count == 0)
        {
            throw new GpuException(GpuProblem.InvalidKernel, "The kernel has no output buffer: give at least one output size.");
        }

        for (int i = 0; i < Inputs.Count; i++)
        {
            if (Inputs[i].IsEmpty)
            {
                throw new GpuException(GpuProblem.InvalidKernel, $"Input {i} (binding {i}) is empty; a buffer holds at least one value.");
            }
        }

        for (int i = 0; i < OutputSizes.Count; i++)
        {
            if (OutputSizes[i] <= 0)
            {
                throw new GpuException(GpuProblem.InvalidKernel, $"Output {i} (binding {Inputs.Count + i}) has size {OutputSizes[i]}; an output is at least 1 byte.");
            }
        }

        Workgroups.Validate();
    }
}

/// <summary>How many workgroups a dispatch runs along x, y and z.</summary>
/// <param name="X">Along x, at least 1.</param>
/// <param name="Y">Along y, at least 1.</param>
/// <param name="Z">Along z, at least 1.</param>
public readonly record struct GpuWorkgroups(uint X, uint Y = 1, uint Z = 1)
{
    /// <summary>The counts from one to three numbers, as a person writes them (<c>64</c>, <c>64,64</c>).</summary>
    /// <exception cref="GpuException">Not one to three counts (<see cref="GpuProblem.InvalidKernel"/>).</exception>
    public static GpuWorkgroups From(IReadOnlyList<uint> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Count is < 1 or > 3)
        {
            throw new GpuException(GpuProblem.InvalidKernel, $"Workgroups take one to three counts (x, y, z), not {counts.Count}.");
        }

        var workgroups = new GpuWorkgroups(counts[0], counts.Count > 1 ? counts[1] : 1, counts.Count > 2 ? counts[2] : 1);
        workgroups.Validate();
        return workgroups;
    }

    /// <summary>Every count is at least 1.</summary>
    /// <exception cref="GpuException">A count is 0 (<see cref="GpuProblem.InvalidKernel"/>).</exception>
    public void Validate()
    {
        if (X == 0 || Y == 0 || Z == 0)
        {
            throw new GpuException(GpuProblem.InvalidKernel, $"Workgroup counts must be at least 1, not {this}.");
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{X},{Y},{Z}";
}

/// <summary>What a kernel produced, where, and how long each phase took.</summary>
/// <param name="Outputs">The output buffers, in order, each of the size asked for.</param>
/// <param name="Adapter">The adapter that ran it.</param>
/// <param name="Upload">Writing the inputs.</param>
/// <param name="Compute">Submission to completion of the dispatch.</param>
/// <param name="Readback">Copying the outputs back.</param>
public sealed record GpuKernelResult(IReadOnlyList<byte[]> Outputs, string Adapter, TimeSpan Upload, TimeSpan Compute, TimeSpan Readback);
