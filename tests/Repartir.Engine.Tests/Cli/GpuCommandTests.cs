using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Repartir.Testing;

namespace Repartir.Tests.Cli;

/// <summary><c>repartir gpu list|run</c> as users run them, on this machine's adapter (in CI: llvmpipe).</summary>
public sealed class GpuCommandTests : IDisposable
{
    private const string SumAndProduct = """
        @group(0) @binding(0) var<storage, read> a: array<f32>;
        @group(0) @binding(1) var<storage, read> b: array<f32>;
        @group(0) @binding(2) var<storage, read_write> sum: array<f32>;
        @group(0) @binding(3) var<storage, read_write> product: array<f32>;
        @compute @workgroup_size(64)
        fn main(@builtin(global_invocation_id) i: vec3<u32>) {
            if (i.x < arrayLength(&sum)) { sum[i.x] = a[i.x] + b[i.x]; product[i.x] = a[i.x] * b[i.x]; }
        }
        """;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string File(string name, byte[] bytes)
    {
        string path = Path.Combine(_directory.Path, name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Floats(params float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    [Fact]
    public async Task List_marks_the_chosen_adapter_as_a_table_and_as_json()
    {
        var (table, tableOut, tableError) = await CliProcess.RunAsync([], "gpu", "list");
        Assert.True(table == 0, tableError);
        string[] lines = Encoding.UTF8.GetString(tableOut).Trim().Split('\n');
        Assert.Contains("Backend", lines[0], StringComparison.Ordinal);
        Assert.Single(lines, line => line.StartsWith('*'));

        var (_, jsonOut, _) = await CliProcess.RunAsync([], "gpu", "list", "--json");
        JsonElement[] adapters = [.. Encoding.UTF8.GetString(jsonOut).Trim().Split('\n').Select(line => JsonDocument.Parse(line).RootElement)];
        JsonElement chosen = Assert.Single(adapters, a => a.GetProperty("chosen").GetBoolean());
        Assert.True(chosen.GetProperty("usable").GetBoolean());
        Assert.NotEqual("Null", chosen.GetProperty("backend").GetString());
        Assert.True(chosen.GetProperty("limits").GetProperty("maxStorageBufferBindingSize").GetInt64() > 0);
    }

    [Fact]
    public async Task Run_binds_input_files_and_writes_outputs_as_json_or_raw_files()
    {
        string shader = File("k.wgsl", Encoding.UTF8.GetBytes(SumAndProduct));
        string a = File("a.bin", Floats(1, 2, 3, float.PositiveInfinity));
        string b = File("b.bin", Floats(10, 20, 30, 1));
        var (code, stdout, stderr) = await CliProcess.RunAsync([], "gpu", "run", "--shader", shader, "--input", a, "--input", b, "--output-size", "16", "--output-size", "16");
        Assert.True(code == 0, stderr);
        JsonElement result = JsonDocument.Parse(stdout).RootElement;
        JsonElement[] outputs = [.. result.GetProperty("outputs").EnumerateArray()];
        Assert.Equal("[11,22,33,\"Infinity\"]", outputs[0].GetRawText());
        Assert.Equal("[10,40,90,\"Infinity\"]", outputs[1].GetRawText());
        Assert.False(string.IsNullOrEmpty(result.GetProperty("adapter").GetString()));

        string sum = Path.Combine(_directory.Path, "sum.bin"), product = Path.Combine(_directory.Path, "product.bin");
        var (raw, _, rawError) = await CliProcess.RunAsync([], "gpu", "run", "--shader", shader, "--input", a, b, "--output-size", "16", "16", "--output", sum, product);
        Assert.True(raw == 0, rawError);
        Assert.Equal(Floats(11, 22, 33, float.PositiveInfinity), System.IO.File.ReadAllBytes(sum));
        Assert.Equal(Floats(10, 40, 90, float.PositiveInfinity), System.IO.File.ReadAllBytes(product));
    }

    [Fact]
    public async Task Bad_kernels_are_usage_errors_that_say_what_and_a_missing_library_is_exit_1()
    {
        string bad = File("bad.wgsl", Encoding.UTF8.GetBytes("@compute @workgroup_size(1)\nfn main() { let x = nope; }"));
        var (invalid, _, invalidError) = await CliProcess.RunAsync([], "gpu", "run", "--shader", bad, "--output-size", "4");
        Assert.Equal(2, invalid);
        Assert.Contains(":2:", invalidError, StringComparison.Ordinal);
        Assert.Contains("nope", invalidError, StringComparison.Ordinal);

        string good = File("good.wgsl", Encoding.UTF8.GetBytes(SumAndProduct));
        var (limit, _, limitError) = await CliProcess.RunAsync([], "gpu", "run", "--shader", good, "--input", good, good, "--output-size", "4", "4", "--workgroups", "9999999");
        Assert.Equal(2, limit);
        Assert.Contains("maxComputeWorkgroupsPerDimension", limitError, StringComparison.Ordinal);

        var (mismatch, _, mismatchError) = await CliProcess.RunAsync([], "gpu", "run", "--shader", good, "--output-size", "4", "4", "--output", Path.Combine(_directory.Path, "one.bin"));
        Assert.Equal(2, mismatch);
        Assert.Contains("one per output", mismatchError, StringComparison.Ordinal);

        var (missing, missingError) = await CliProcess.RunAsync([], Stream.Null, new Dictionary<string, string> { ["REPARTIR_WEBGPU_LIBRARY"] = "/nonexistent/libwebgpu.so" }, "gpu", "list");
        Assert.Equal(1, missing);
        Assert.Contains("REPARTIR_WEBGPU_LIBRARY names /nonexistent/libwebgpu.so", missingError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_backend_gpu_places_tasks_on_the_gpus_named_and_says_when_there_is_none()
    {
        var (local, localOut, localError) = await CliProcess.RunAsync("a\nb\nc\n"u8.ToArray(), "run", "-k", "--backend", "gpu", "--gpus", "2", "--", "sh", "-c", "echo $1 $CUDA_VISIBLE_DEVICES", "sh", "{}");
        Assert.True(local == 0, localError);
        Assert.Equal("a 2\nb 2\nc 2\n", Encoding.UTF8.GetString(localOut));

        var (none, _, noneError) = await CliProcess.RunAsync("a\n"u8.ToArray(), "run", "--backend", "gpu", "--gpus", "none", "--", "true");
        Assert.NotEqual(0, none);
        Assert.Contains("has no GPU", noneError, StringComparison.Ordinal);

        var (bad, _, badError) = await CliProcess.RunAsync("a\n"u8.ToArray(), "run", "--backend", "gpu", "--gpus", "0,0", "--", "true");
        Assert.Equal(2, bad);
        Assert.Contains("twice", badError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_started_with_gpus_takes_the_gpu_tasks_of_a_run()
    {
        await using Repartir.Tests.Remote.WorkerProcess gpu = await Repartir.Tests.Remote.WorkerProcess.StartAsync("gpu-daemon", slots: 2, more: ["--gpus", "4,5"]);
        await using Repartir.Tests.Remote.WorkerProcess plain = await Repartir.Tests.Remote.WorkerProcess.StartAsync("plain-daemon", slots: 2, more: ["--gpus", "none"]);
        var (code, stdout, stderr) = await CliProcess.RunAsync("1\n2\n3\n4\n"u8.ToArray(), "run", "--json", "--backend", "gpu", "--worker", gpu.EndPoint.ToString(), "--worker", plain.EndPoint.ToString(), "--", "sh", "-c", "echo $CUDA_VISIBLE_DEVICES");
        Assert.True(code == 0, stderr);
        JsonElement[] results = [.. Encoding.UTF8.GetString(stdout).Trim().Split('\n').Select(line => JsonDocument.Parse(line).RootElement)];
        Assert.Equal(4, results.Length);
        Assert.All(results, r => Assert.StartsWith("gpu-daemon/", r.GetProperty("worker").GetString(), StringComparison.Ordinal));
        Assert.All(results, r => Assert.Contains(r.GetProperty("stdout").GetString()!.Trim(), new[] { "4", "5" }));
        Assert.Contains("GPUs 4,5", gpu.Log, StringComparison.Ordinal);
    }
}
