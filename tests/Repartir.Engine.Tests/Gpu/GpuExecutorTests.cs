using System.Runtime.InteropServices;
using Repartir.Gpu;
using Repartir.Gpu.Native;
using Repartir.Tensors;

namespace Repartir.Tests.Gpu;

/// <summary>WGSL kernels on the executor: several inputs and outputs, the errors a user can make, the adapters refused, a missing library, a lost device.</summary>
[Collection(GpuCollection.Name)]
public sealed class GpuExecutorTests
{
    private const string SumAndDifference = """
        @group(0) @binding(0) var<storage, read> a: array<f32>;
        @group(0) @binding(1) var<storage, read> b: array<f32>;
        @group(0) @binding(2) var<storage, read> bias: array<f32>;
        @group(0) @binding(3) var<storage, read_write> sum: array<f32>;
        @group(0) @binding(4) var<storage, read_write> difference: array<f32>;
        @compute @workgroup_size(64)
        fn main(@builtin(global_invocation_id) id: vec3<u32>) {
            let i = id.x;
            if (i < arrayLength(&sum)) {
                sum[i] = a[i] + b[i] + bias[0];
                difference[i] = a[i] - b[i];
            }
        }
        """;

    private static byte[] Bytes(params float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static float[] Floats(byte[] bytes) => MemoryMarshal.Cast<byte, float>(bytes).ToArray();

    [Fact]
    public void A_kernel_with_several_inputs_and_outputs_computes_each_output()
    {
        float[] a = [.. Enumerable.Range(0, 100).Select(i => (float)i)];
        float[] b = [.. Enumerable.Range(0, 100).Select(i => i * 0.5f)];
        GpuKernelResult result = GpuExecutor.Shared.Run(new GpuKernel
        {
            Shader = SumAndDifference,
            Inputs = [Bytes(a), Bytes(b), Bytes(10)],
            OutputSizes = [400, 400],
            Workgroups = new GpuWorkgroups(2),
        });

        Assert.Equal(2, result.Outputs.Count);
        Assert.Equal([.. a.Zip(b, (x, y) => x + y + 10)], Floats(result.Outputs[0]));
        Assert.Equal([.. a.Zip(b, (x, y) => x - y)], Floats(result.Outputs[1]));
        Assert.Equal(GpuRuntime.Shared.Adapters.Single(x => x.Chosen).Name, result.Adapter);
    }

    [Fact]
    public void Outputs_start_zeroed_and_odd_sizes_come_back_exactly()
    {
        const string WritesOne = """
            @group(0) @binding(0) var<storage, read_write> out: array<u32>;
            @compute @workgroup_size(1) fn main() { out[0] = 0x04030201u; }
            """;
        var kernel = new GpuKernel { Shader = WritesOne, OutputSizes = [7] };
        for (int run = 0; run < 2; run++) // the second run gets the first's pooled buffer: it must be zeroed again
        {
            byte[] output = GpuExecutor.Shared.Run(kernel).Outputs[0];
            Assert.Equal(new byte[] { 1, 2, 3, 4, 0, 0, 0 }, output);
        }
    }

    [Fact]
    public void Invalid_wgsl_gives_the_compilers_message_with_line_and_column()
    {
        GpuException error = Assert.Throws<GpuException>(() => GpuExecutor.Shared.Run(new GpuKernel
        {
            Shader = "@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = undefined_name;\n}",
            OutputSizes = [4],
        }));

        Assert.Equal(GpuProblem.InvalidShader, error.Problem);
        Assert.Contains(":3:", error.Message, StringComparison.Ordinal); // line 3 and its column
        Assert.Contains("undefined_name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_entry_point_is_named()
    {
        GpuException error = Assert.Throws<GpuException>(() => GpuExecutor.Shared.Run(new GpuKernel { Shader = SumAndDifference, EntryPoint = "nope", Inputs = [Bytes(1), Bytes(1), Bytes(1)], OutputSizes = [4, 4] }));
        Assert.Equal(GpuProblem.InvalidShader, error.Problem);
        Assert.Contains("nope", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Requests_beyond_the_devices_limits_say_which_limit()
    {
        GpuLimits limits = GpuExecutor.Shared.Device.Adapter.Limits;
        var kernel = new GpuKernel { Shader = SumAndDifference, Inputs = [Bytes(1), Bytes(1), Bytes(1)], OutputSizes = [4, 4] };

        GpuException workgroups = Assert.Throws<GpuException>(() => GpuExecutor.Shared.Run(kernel with { Workgroups = new GpuWorkgroups(limits.MaxComputeWorkgroupsPerDimension + 1) }));
        Assert.Equal(GpuProblem.LimitExceeded, workgroups.Problem);
        Assert.Contains("maxComputeWorkgroupsPerDimension", workgroups.Message, StringComparison.Ordinal);

        GpuException size = Assert.Throws<GpuException>(() => GpuExecutor.Shared.Run(kernel with { OutputSizes = [4, (long)limits.MaxStorageBufferBindingSize + 4] }));
        Assert.Equal(GpuProblem.LimitExceeded, size.Problem);
        Assert.Contains("maxStorageBufferBindingSize", size.Message, StringComparison.Ordinal);
        Assert.Contains("Output 1 (binding 4)", size.Message, StringComparison.Ordinal);

        GpuException bindings = Assert.Throws<GpuException>(() => GpuExecutor.Shared.Run(kernel with { OutputSizes = [.. Enumerable.Repeat(4L, (int)limits.MaxStorageBuffersPerShaderStage)] }));
        Assert.Equal(GpuProblem.LimitExceeded, bindings.Problem);
        Assert.Contains("maxStorageBuffersPerShaderStage", bindings.Message, StringComparison.Ordinal);

        const string TooWide = "@group(0) @binding(0) var<storage, read_write> o: array<f32>;\n@compute @workgroup_size(4096) fn main() { o[0] = 1.0; }";
        GpuException workgroupSize = Assert.Throws<GpuException>(() => GpuExecutor.Shared.Run(new GpuKernel { Shader = TooWide, OutputSizes = [4] }));
        Assert.Equal(GpuProblem.LimitExceeded, workgroupSize.Problem);
        Assert.Contains("maxComputeWorkgroupSizeX", workgroupSize.Message, StringComparison.Ordinal);

        const string TooMany = "@group(0) @binding(0) var<storage, read_write> o: array<f32>;\n@compute @workgroup_size(64, 64) fn main() { o[0] = 1.0; }";
        GpuException invocations = Assert.Throws<GpuException>(() => GpuExecutor.Shared.Run(new GpuKernel { Shader = TooMany, OutputSizes = [4] }));
        Assert.Contains($"maxComputeInvocationsPerWorkgroup = {limits.MaxComputeInvocationsPerWorkgroup}", invocations.Message, StringComparison.Ordinal);

        string tooMuchShared = $"var<workgroup> w: array<f32, {(limits.MaxComputeWorkgroupStorageSize / 4) + 1}>;\n@group(0) @binding(0) var<storage, read_write> o: array<f32>;\n@compute @workgroup_size(1) fn main() {{ w[0] = 1.0; o[0] = w[0]; }}";
        GpuException storage = Assert.Throws<GpuException>(() => GpuExecutor.Shared.Run(new GpuKernel { Shader = tooMuchShared, OutputSizes = [4] }));
        Assert.Contains("maxComputeWorkgroupStorageSize", storage.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_kernels_are_refused_before_the_device()
    {
        Assert.Equal(GpuProblem.InvalidKernel, Assert.Throws<GpuException>(() => new GpuKernel { Shader = " ", OutputSizes = [4] }.Validate()).Problem);
        Assert.Contains("no output", Assert.Throws<GpuException>(() => new GpuKernel { Shader = SumAndDifference }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Input 1 (binding 1) is empty", Assert.Throws<GpuException>(() => new GpuKernel { Shader = SumAndDifference, Inputs = [Bytes(1), Array.Empty<byte>()], OutputSizes = [4] }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("at least 1", Assert.Throws<GpuException>(() => new GpuKernel { Shader = SumAndDifference, OutputSizes = [4], Workgroups = new GpuWorkgroups(0) }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("one to three", Assert.Throws<GpuException>(() => GpuWorkgroups.From([1, 2, 3, 4])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_chosen_adapter_is_a_usable_one_and_the_null_backend_is_never_accepted()
    {
        IReadOnlyList<GpuAdapter> adapters = GpuRuntime.Shared.Adapters;
        GpuAdapter chosen = Assert.Single(adapters, a => a.Chosen);
        Assert.True(chosen.Usable);
        Assert.NotEqual("Null", chosen.Backend);
        Assert.True(chosen.Limits.MaxComputeInvocationsPerWorkgroup >= 256, "the adapter's own limits are requested, not the compatibility defaults");

        using var nullOnly = new GpuRuntime((WGPUBackendType.Null, WGPUFeatureLevel.Core, WGPUPowerPreference.Undefined));
        GpuAdapter nullAdapter = Assert.Single(nullOnly.Adapters);
        Assert.Equal("Null", nullAdapter.Backend);
        Assert.False(nullAdapter.Usable);
        Assert.False(nullAdapter.Chosen);
        GpuException refused = Assert.Throws<GpuException>(nullOnly.OpenDevice);
        Assert.Equal(GpuProblem.NoUsableGpu, refused.Problem);
        Assert.Contains("Null backend", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_library_is_a_clear_error_and_cpu_operations_are_unaffected()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"repartir-no-webgpu-{Guid.NewGuid():N}", "libwebgpu_wrapper.so");
        using var runtime = new GpuRuntime(missing);
        GpuException error = Assert.Throws<GpuException>(() => runtime.Adapters);
        Assert.Equal(GpuProblem.LibraryMissing, error.Problem);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("CPU work is unaffected", error.Message, StringComparison.Ordinal);

        using var executor = new GpuExecutor(runtime);
        Assert.Equal(GpuProblem.LibraryMissing, Assert.Throws<GpuException>(() => new GpuTensor(executor).Sum([1f, 2f])).Problem);
        Assert.Equal(3f, CpuTensor.Sum([1f, 2f]));
    }

    [Fact]
    public void A_lost_device_is_reported_and_the_next_call_gets_a_new_one()
    {
        using var executor = new GpuExecutor(GpuRuntime.Shared);
        var kernel = new GpuKernel { Shader = SumAndDifference, Inputs = [Bytes(1), Bytes(2), Bytes(3)], OutputSizes = [4, 4] };
        Assert.Equal([6f], Floats(executor.Run(kernel).Outputs[0]));

        GpuDevice lost = executor.Device;
        lost.SimulateLoss();
        Assert.True(lost.IsLost);
        GpuException failed = Assert.Throws<GpuException>(() => lost.Run(kernel)); // a call on the lost device itself
        Assert.Equal(GpuProblem.DeviceLost, failed.Problem);
        Assert.Contains("next call opens a new one", failed.Message, StringComparison.Ordinal);

        Assert.Equal([6f], Floats(executor.Run(kernel).Outputs[0])); // the executor's next call
        Assert.Equal(1, executor.Recoveries);
        Assert.Contains("was lost", executor.LastLoss, StringComparison.Ordinal);
        Assert.NotSame(lost, executor.Device);
    }

    [Fact]
    public async Task A_pool_runs_kernel_tasks_through_the_gpu_executor_with_their_outputs_on_the_result()
    {
        await using Repartir.Scheduling.Pool pool = TestPools.Create(workers: 4);
        Task<Repartir.Tasks.TaskResult>[] tasks = [.. Enumerable.Range(0, 16).Select(i => pool.SubmitAsync(Repartir.Tasks.TaskSpec.ForKernel(new GpuKernel
        {
            Shader = SumAndDifference,
            Inputs = [Bytes(i), Bytes(100), Bytes(1000)],
            OutputSizes = [4, 4],
        })))];
        Repartir.Tasks.TaskResult[] results = await Task.WhenAll(tasks).Within(60);
        for (int i = 0; i < results.Length; i++)
        {
            Assert.True(results[i].Success, results[i].ToString());
            Assert.Equal(Repartir.Tasks.Backend.Gpu, results[i].Backend);
            Assert.Equal([i + 100f + 1000f], Floats(results[i].GpuOutputs![0]));
            Assert.Equal([i - 100f], Floats(results[i].GpuOutputs![1]));
            Assert.EndsWith(GpuExecutor.Shared.Device.Adapter.Name, results[i].Worker, StringComparison.Ordinal);
        }

        Repartir.Tasks.TaskResult invalid = await pool.SubmitAsync(Repartir.Tasks.TaskSpec.ForKernel(new GpuKernel { Shader = "fn main( {", OutputSizes = [4] })).Within();
        Assert.Equal(Repartir.Tasks.FailureKind.GpuFailed, invalid.Failure);
        Assert.StartsWith("InvalidShader: ", invalid.FailureMessage, StringComparison.Ordinal);
        Assert.Null(invalid.GpuOutputs);
    }

    [Fact]
    public void A_kernel_task_is_checked_like_any_task_and_is_never_journaled()
    {
        Repartir.Tasks.TaskSpec kernel = Repartir.Tasks.TaskSpec.ForKernel(new GpuKernel { Shader = SumAndDifference, OutputSizes = [4] });
        kernel.Validate();
        Assert.Equal("wgsl:main", kernel.DisplayName);
        Assert.Contains("Gpu backend", Assert.Throws<InvalidSettingException>(() => (kernel with { Backend = Repartir.Tasks.Backend.Cpu }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("no output", Assert.Throws<InvalidSettingException>(() => (kernel with { Kernel = kernel.Kernel! with { OutputSizes = [] } }).Validate()).Message, StringComparison.Ordinal);
        using var key = new Repartir.Checkpoints.JournalKey();
        Assert.Contains("cannot be journaled", Assert.Throws<InvalidSettingException>(() => key.Next(kernel, null)).Message, StringComparison.Ordinal);
    }
}
