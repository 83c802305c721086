using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Repartir.Gpu;

namespace Repartir.Cli;

/// <summary>
/// <c>repartir gpu list|run</c>: the GPU adapters of this machine, and a WGSL kernel run from a shell. Exit codes: 0 done,
/// 1 no GPU (library missing, no usable adapter, a lost device, a device error), 2 bad usage (a shader that does not
/// compile, a request beyond a limit, a malformed kernel, an unreadable file).
/// </summary>
internal static class GpuCommand
{
    internal static Command Build(Stream stdout, TextWriter errors)
    {
        var command = new Command("gpu", "List the GPU adapters (WebGPU: Vulkan, OpenGL ES) and run WGSL compute kernels.");

        var json = new Option<bool>("--json") { Description = "One JSON object per adapter instead of a table." };
        var list = new Command("list", "List the adapters, their limits, and the one GPU work would use (marked *).") { json };
        list.SetAction(parse => Guard(errors, () =>
        {
            IReadOnlyList<GpuAdapter> adapters = GpuRuntime.Shared.Adapters;
            TextWriter output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                foreach (GpuAdapter adapter in adapters)
                {
                    WriteJson(stdout, writer => Describe(writer, adapter));
                }
            }
            else
            {
                output.WriteLine($"{"",1} {"#",2} {"Name",-36} {"Type",-10} {"Backend",-8} {"MaxBinding",12} {"Workgroup",9}  Usable");
                foreach (GpuAdapter a in adapters)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(a.Chosen ? "*" : " "),1} {a.Index,2} {Truncate(a.Name, 36),-36} {a.Type,-10} {a.Backend,-8} {a.Limits.MaxStorageBufferBindingSize / (1 << 20),8} MiB {a.Limits.MaxComputeInvocationsPerWorkgroup,9}  {(a.Usable ? "yes" : "no: " + a.Unusable)}"));
                }
            }

            if (!adapters.Any(a => a.Usable))
            {
                errors.WriteLine("repartir: no usable GPU adapter: GPU work will fail; CPU work is unaffected.");
                return 1;
            }

            return 0;
        }));

        var shader = new Option<FileInfo>("--shader") { Description = "The WGSL file.", Required = true };
        var entry = new Option<string>("--entry") { Description = "The compute entry point.", DefaultValueFactory = _ => "main" };
        var inputs = new Option<FileInfo[]>("--input") { Description = "An input buffer: a file of raw bytes (little-endian, as numpy's tofile writes). Repeat for bindings 0, 1, ...", AllowMultipleArgumentsPerToken = true };
        var sizes = new Option<long[]>("--output-size") { Description = "The size of an output buffer in bytes; repeat for each output (bound after the inputs).", Required = true, AllowMultipleArgumentsPerToken = true };
        var workgroups = new Option<string>("--workgroups") { Description = "Workgroup counts: X, X,Y or X,Y,Z.", DefaultValueFactory = _ => "1" };
        var outputs = new Option<FileInfo[]>("--output") { Description = "Write output buffers to these files (raw bytes), one per --output-size, instead of JSON on standard output.", AllowMultipleArgumentsPerToken = true };
        var type = new Option<string>("--as") { Description = "How JSON shows the outputs: f32 (the default), u32, i32 or bytes." };
        type.AcceptOnlyFromAmong("f32", "u32", "i32", "bytes");
        var run = new Command("run", "Run a WGSL kernel once on the chosen adapter: inputs at @group(0) @binding(0...), outputs after them.") { shader, entry, inputs, sizes, workgroups, outputs, type };
        run.SetAction(parse => Guard(errors, () =>
        {
            FileInfo[] outputFiles = parse.GetValue(outputs) ?? [];
            long[] outputSizes = parse.GetValue(sizes) ?? [];
            if (outputFiles.Length != 0 && outputFiles.Length != outputSizes.Length)
            {
                return CommandLineApp.UsageError(errors, $"--output names {outputFiles.Length} files for {outputSizes.Length} --output-size values: give one per output, or none for JSON.");
            }

            var kernel = new GpuKernel
            {
                Shader = File.ReadAllText(parse.GetValue(shader)!.FullName),
                EntryPoint = parse.GetValue(entry)!,
                Inputs = [.. (parse.GetValue(inputs) ?? []).Select(file => (ReadOnlyMemory<byte>)File.ReadAllBytes(file.FullName))],
                OutputSizes = outputSizes,
                Workgroups = GpuWorkgroups.From(ParseWorkgroups(parse.GetValue(workgroups)!)),
            };
            GpuKernelResult result = GpuExecutor.Shared.Run(kernel);
            if (outputFiles.Length > 0)
            {
                for (int i = 0; i < outputFiles.Length; i++)
                {
                    File.WriteAllBytes(outputFiles[i].FullName, result.Outputs[i]);
                }

                return 0;
            }

            string view = parse.GetValue(type) ?? "f32";
            WriteJson(stdout, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("adapter", result.Adapter);
                writer.WriteNumber("uploadMs", result.Upload.TotalMilliseconds);
                writer.WriteNumber("computeMs", result.Compute.TotalMilliseconds);
                writer.WriteNumber("readbackMs", result.Readback.TotalMilliseconds);
                writer.WriteStartArray("outputs");
                foreach (byte[] bytes in result.Outputs)
                {
                    WriteValues(writer, bytes, view);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            });
            return 0;
        }));

        command.Subcommands.Add(list);
        command.Subcommands.Add(run);
        return command;
    }

    private static int Guard(TextWriter errors, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (GpuException e)
        {
            errors.WriteLine("repartir: " + e.Message);
            return e.Problem is GpuProblem.InvalidShader or GpuProblem.LimitExceeded or GpuProblem.InvalidKernel ? CommandLineApp.UsageErrorExitCode : 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return CommandLineApp.UsageError(errors, e.Message);
        }
    }

    private static uint[] ParseWorkgroups(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        return [.. parts.Select(part => uint.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out uint count)
            ? count
            : throw new FormatException($"--workgroups takes one to three counts such as 64 or 16,16, not '{text}'."))];
    }

    private static void WriteValues(Utf8JsonWriter writer, byte[] bytes, string view)
    {
        writer.WriteStartArray();
        switch (view)
        {
            case "u32":
                foreach (uint value in MemoryMarshal.Cast<byte, uint>(bytes.AsSpan(0, bytes.Length & ~3)))
                {
                    writer.WriteNumberValue(value);
                }

                break;
            case "i32":
                foreach (int value in MemoryMarshal.Cast<byte, int>(bytes.AsSpan(0, bytes.Length & ~3)))
                {
                    writer.WriteNumberValue(value);
                }

                break;
            case "bytes":
                foreach (byte value in bytes)
                {
                    writer.WriteNumberValue(value);
                }

                break;
            default:
                foreach (float value in MemoryMarshal.Cast<byte, float>(bytes.AsSpan(0, bytes.Length & ~3)))
                {
                    if (float.IsFinite(value))
                    {
                        writer.WriteNumberValue(value);
                    }
                    else
                    {
                        writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture)); // JSON has no NaN or infinity
                    }
                }

                break;
        }

        writer.WriteEndArray();
    }

    private static void Describe(Utf8JsonWriter writer, GpuAdapter adapter)
    {
        writer.WriteStartObject();
        writer.WriteNumber("index", adapter.Index);
        writer.WriteBoolean("chosen", adapter.Chosen);
        writer.WriteString("name", adapter.Name);
        writer.WriteString("vendor", adapter.Vendor);
        writer.WriteString("driver", adapter.Driver);
        writer.WriteString("backend", adapter.Backend);
        writer.WriteString("type", adapter.Type.ToString());
        writer.WriteNumber("vendorId", adapter.VendorId);
        writer.WriteNumber("deviceId", adapter.DeviceId);
        writer.WriteBoolean("usable", adapter.Usable);
        if (adapter.Unusable is { } why)
        {
            writer.WriteString("unusable", why);
        }

        writer.WriteStartObject("limits");
        writer.WriteNumber("maxBufferSize", adapter.Limits.MaxBufferSize);
        writer.WriteNumber("maxStorageBufferBindingSize", adapter.Limits.MaxStorageBufferBindingSize);
        writer.WriteNumber("maxStorageBuffersPerShaderStage", adapter.Limits.MaxStorageBuffersPerShaderStage);
        writer.WriteNumber("maxComputeInvocationsPerWorkgroup", adapter.Limits.MaxComputeInvocationsPerWorkgroup);
        writer.WriteNumber("maxComputeWorkgroupSizeX", adapter.Limits.MaxComputeWorkgroupSizeX);
        writer.WriteNumber("maxComputeWorkgroupsPerDimension", adapter.Limits.MaxComputeWorkgroupsPerDimension);
        writer.WriteNumber("maxComputeWorkgroupStorageSize", adapter.Limits.MaxComputeWorkgroupStorageSize);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteJson(Stream stdout, Action<Utf8JsonWriter> write)
    {
        using (var writer = new Utf8JsonWriter(stdout))
        {
            write(writer);
        }

        stdout.WriteByte((byte)'\n');
        stdout.Flush();
    }

    private static string Truncate(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";
}
