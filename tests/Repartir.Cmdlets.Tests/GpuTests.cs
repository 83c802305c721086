using System.Management.Automation;

namespace Repartir.Cmdlets.Tests;

/// <summary>Get-RepartirGpu, Invoke-RepartirTensor and Invoke-RepartirGpuKernel in a real runspace, on this machine's adapter (in CI: llvmpipe).</summary>
[Collection("Gpu")]
public sealed class GpuTests : IDisposable
{
    private const string Doubler = """
        @group(0) @binding(0) var<storage, read> a: array<f32>;
        @group(0) @binding(1) var<storage, read_write> o: array<f32>;
        @compute @workgroup_size(64)
        fn main(@builtin(global_invocation_id) i: vec3<u32>) { if (i.x < arrayLength(&o)) { o[i.x] = a[i.x] * 2.0; } }
        """;

    private readonly PowerShellSession _session = new();

    public void Dispose() => _session.Dispose();

    [Fact]
    public void Get_RepartirGpu_lists_the_adapters_with_the_chosen_one_marked()
    {
        Invocation run = _session.Run("Get-RepartirGpu -Verbose").Succeeded();
        PSObject chosen = Assert.Single(run.Output, a => a.Get<bool>("Chosen"));
        Assert.Equal("Repartir.Gpu.GpuAdapter", chosen.TypeNames[0]);
        Assert.True(chosen.Get<bool>("Usable"));
        Assert.NotEqual("Null", chosen.Get<string>("Backend"));
        Assert.True(LanguagePrimitives.ConvertTo<PSObject>(chosen.Value("Limits")).Get<ulong>("MaxStorageBufferBindingSize") > 0);
        Assert.Contains(run.Verbose, v => v.Contains("libwebgpu_wrapper.so", StringComparison.Ordinal));
        Assert.Contains("Chosen", _session.Run("Get-RepartirGpu | Out-String").Succeeded().Single().ToString(), StringComparison.Ordinal); // the table view
    }

    [Fact]
    public void Invoke_RepartirTensor_takes_arrays_rows_and_float_arrays_and_says_where_it_ran()
    {
        PSObject product = _session.Run("Invoke-RepartirTensor MatMul @(@(1, 2), @(3, 4)) @(@(5, 6), @(7, 8)) -Backend Gpu").Succeeded().Single();
        Assert.Equal(new float[] { 19, 22, 43, 50 }, LanguagePrimitives.ConvertTo<PSObject>(product.Value("Tensor")).Get<float[]>("Data"));
        Assert.Equal("Gpu", LanguagePrimitives.ConvertTo<PSObject>(product.Value("Decision")).Get<string>("Backend"));

        PSObject dot = _session.Run("Invoke-RepartirTensor Dot ([float[]](1, 2, 3)) (4, 5, 6) -Backend Cpu").Succeeded().Single();
        Assert.Equal(32f, dot.Get<float>("Scalar"));

        PSObject scaled = _session.Run("Invoke-RepartirTensor Scale (1..4) -Scalar 0.5").Succeeded().Single();
        Assert.Equal(new float[] { 0.5f, 1, 1.5f, 2 }, LanguagePrimitives.ConvertTo<PSObject>(scaled.Value("Tensor")).Get<float[]>("Data"));
        Assert.Contains("never", LanguagePrimitives.ConvertTo<PSObject>(scaled.Value("Decision")).Get<string>("Reason"), StringComparison.Ordinal); // Auto on O(n) work

        PSObject chained = _session.Run("$t = (Invoke-RepartirTensor Add (1, 2) (3, 4)).Tensor; (Invoke-RepartirTensor Sum $t).Scalar").Succeeded().Single();
        Assert.Equal(10f, chained.BaseObject);
    }

    [Fact]
    public void WhatIf_runs_nothing_and_asks_with_the_decision_and_its_reason()
    {
        Invocation run = _session.Run("Invoke-RepartirTensor Add (1..5) (1..5) -WhatIf; 'after'").Succeeded();
        Assert.Equal("after", Assert.Single(run.Output).BaseObject);

        // The question ShouldProcess is asked (what -WhatIf prints and -Confirm asks) carries the decision.
        var declined = new RecordingSink(shouldProcess: false);
        Repartir.Cmdlets.Gpu.GpuCommands.InvokeTensor(Repartir.Tensors.TensorOperation.Add, new object[] { 1, 2, 3 }, new object[] { 4, 5, 6 }, 1, Repartir.Tensors.TensorBackend.Auto, Repartir.Gpu.GpuExecutor.Shared, declined);
        Assert.Empty(declined.Objects);
        (string target, string action) = Assert.Single(declined.ShouldProcessCalls);
        Assert.Equal("[3] and [3]", target);
        Assert.StartsWith("Add on the Cpu (Scalar): Low complexity at 3 values", action, StringComparison.Ordinal);
        Assert.Contains("never pays for O(n) work", action, StringComparison.Ordinal);
    }

    [Fact]
    public void Tensor_errors_name_what_was_wrong()
    {
        Assert.Equal("TensorShapeMismatch,Repartir.Cmdlets.Commands.InvokeRepartirTensorCommand", _session.Run("Invoke-RepartirTensor Add (1, 2) (1, 2, 3)").Terminating?.FullyQualifiedErrorId);
        Invocation text = _session.Run("Invoke-RepartirTensor Add (1, 'x') (1, 2)");
        Assert.Equal("InvalidTensor,Repartir.Cmdlets.Commands.InvokeRepartirTensorCommand", text.Terminating?.FullyQualifiedErrorId);
        Assert.Contains("Left[1] is the string 'x'", text.Terminating!.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("row 1 has 1", _session.Run("Invoke-RepartirTensor MatMul @(@(1, 2), @(3)) @(@(1), @(1))").Terminating!.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("give -Right too", _session.Run("Invoke-RepartirTensor Dot (1, 2)").Terminating!.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("first's columns must equal the second's rows", _session.Run("Invoke-RepartirTensor MatMul @(@(1, 2)) @(@(1, 2))").Terminating!.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invoke_RepartirGpuKernel_runs_wgsl_from_text_or_a_file_and_returns_typed_outputs()
    {
        PSObject output = _session.Run("Invoke-RepartirGpuKernel -Shader $shader -Input (1..5) -OutputSize 5", ("shader", Doubler)).Succeeded().Single();
        Assert.Equal(new float[] { 2, 4, 6, 8, 10 }, output.Get<float[]>("Output"));
        Assert.False(string.IsNullOrEmpty(output.Get<string>("Adapter")));

        string file = Path.Combine(Path.GetTempPath(), $"repartir-kernel-{Guid.NewGuid():N}.wgsl");
        File.WriteAllText(file, """
            @group(0) @binding(0) var<storage, read> a: array<u32>;
            @group(0) @binding(1) var<storage, read> b: array<u32>;
            @group(0) @binding(2) var<storage, read_write> sum: array<u32>;
            @group(0) @binding(3) var<storage, read_write> product: array<u32>;
            @compute @workgroup_size(8)
            fn go(@builtin(global_invocation_id) i: vec3<u32>) { if (i.x < 3u) { sum[i.x] = a[i.x] + b[i.x]; product[i.x] = a[i.x] * b[i.x]; } }
            """);
        try
        {
            PSObject two = _session.Run("Invoke-RepartirGpuKernel -ShaderPath $file -EntryPoint go -Input @((1, 2, 3), (10, 20, 30)) -InputType UInt32 -OutputSize 3, 3 -OutputType UInt32", ("file", file)).Succeeded().Single();
            object[] outputs = [.. ((System.Collections.IEnumerable)two.Value("Outputs")!).Cast<object>()];
            Assert.Equal(new uint[] { 11, 22, 33 }, outputs[0]);
            Assert.Equal(new uint[] { 10, 40, 90 }, outputs[1]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Kernel_errors_carry_the_compilers_message_and_the_limit_by_name()
    {
        Invocation invalid = _session.Run("Invoke-RepartirGpuKernel -Shader \"@compute @workgroup_size(1)`nfn main() { let x = nope; }\" -OutputSize 1");
        Assert.Equal("InvalidShader,Repartir.Cmdlets.Commands.InvokeRepartirGpuKernelCommand", invalid.Terminating?.FullyQualifiedErrorId);
        Assert.Contains(":2:", invalid.Terminating!.Exception.Message, StringComparison.Ordinal);

        Invocation limit = _session.Run("Invoke-RepartirGpuKernel -Shader $shader -Input (1..5) -OutputSize 5 -Workgroups 10000000", ("shader", Doubler));
        Assert.Equal("GpuLimitExceeded,Repartir.Cmdlets.Commands.InvokeRepartirGpuKernelCommand", limit.Terminating?.FullyQualifiedErrorId);
        Assert.Contains("maxComputeWorkgroupsPerDimension", limit.Terminating!.Exception.Message, StringComparison.Ordinal);

        Invocation missing = _session.Run("Invoke-RepartirGpuKernel -ShaderPath ./no-such-kernel.wgsl -OutputSize 1");
        Assert.Equal("InvalidGpuKernel,Repartir.Cmdlets.Commands.InvokeRepartirGpuKernelCommand", missing.Terminating?.FullyQualifiedErrorId);
        Assert.Contains("no-such-kernel.wgsl", missing.Terminating!.Exception.Message, StringComparison.Ordinal);

        Invocation badInput = _session.Run("Invoke-RepartirGpuKernel -Shader $shader -Input @((1, 2), 'x') -OutputSize 1", ("shader", Doubler));
        Assert.Equal("InvalidGpuKernel,Repartir.Cmdlets.Commands.InvokeRepartirGpuKernelCommand", badInput.Terminating?.FullyQualifiedErrorId);
        Assert.Contains("Input[1]", badInput.Terminating!.Exception.Message, StringComparison.Ordinal);

        Invocation whatIf = _session.Run("Invoke-RepartirGpuKernel -Shader $shader -Input (1..5) -OutputSize 5 -WhatIf", ("shader", Doubler)).Succeeded();
        Assert.Empty(whatIf.Output);
    }
}
