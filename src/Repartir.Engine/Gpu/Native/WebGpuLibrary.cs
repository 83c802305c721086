using System.Reflection;
using System.Runtime.InteropServices;
using Repartir.Execution.Native;

namespace Repartir.Gpu.Native;

/// <summary>
/// Finds and loads the WebGPU library once per process: <c>REPARTIR_WEBGPU_LIBRARY</c> when set (another
/// implementation of the same C API), else <c>libwebgpu_wrapper.so</c> (Dawn) under <c>runtimes/linux-x64/native</c>
/// beside this assembly or the application, or beside them.
/// </summary>
internal static class WebGpuLibrary
{
    /// <summary>The variable that names another library file.</summary>
    public const string OverrideVariable = "REPARTIR_WEBGPU_LIBRARY";

    private const string FileName = "libwebgpu_wrapper.so";
    private static readonly Lazy<(WebGpuApi? Api, string Path, string? Error)> Loaded = new(() => Load(Environment.GetEnvironmentVariable(OverrideVariable)));

    /// <summary>The file that was (or would have been) loaded, for messages and <c>Get-RepartirGpu</c>.</summary>
    public static string Path => Loaded.Value.Path;

    /// <summary>The loaded API.</summary>
    /// <exception cref="GpuException">The library is missing or not a WebGPU implementation (<see cref="GpuProblem.LibraryMissing"/>).</exception>
    public static WebGpuApi Api => Loaded.Value.Api ?? throw new GpuException(GpuProblem.LibraryMissing, Loaded.Value.Error!);

    /// <summary>The API from <paramref name="chosen"/> (or the default places when null), for a runtime given a library of its own.</summary>
    /// <exception cref="GpuException">The library is missing or not a WebGPU implementation (<see cref="GpuProblem.LibraryMissing"/>).</exception>
    public static WebGpuApi From(string chosen)
    {
        (WebGpuApi? api, _, string? error) = Load(chosen);
        return api ?? throw new GpuException(GpuProblem.LibraryMissing, error!);
    }

    private static (WebGpuApi? Api, string Path, string? Error) Load(string? chosen)
    {
        string[] candidates = string.IsNullOrEmpty(chosen) ? Candidates().ToArray() : [chosen];
        string? path = candidates.FirstOrDefault(File.Exists);
        if (path is null)
        {
            string where = string.IsNullOrEmpty(chosen)
                ? $"{FileName} was not found in {string.Join(", ", candidates.Select(System.IO.Path.GetDirectoryName).Distinct())}"
                : chosen == Environment.GetEnvironmentVariable(OverrideVariable) ? $"{OverrideVariable} names {chosen}, which does not exist" : $"{chosen} does not exist";
            return (null, candidates[0], $"The WebGPU library is missing: {where}. Rebuild with npm available (it fetches bun-webgpu-linux-x64), or set {OverrideVariable} to a WebGPU implementation. CPU work is unaffected.");
        }

        PrepareDrivers();
        try
        {
            nint handle = NativeLibrary.Load(path);
            return (new WebGpuApi(handle), path, null);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException)
        {
            return (null, path, $"The WebGPU library {path} could not be loaded: {e.Message}");
        }
    }

    // In a single-file or native build the assembly has no location; the application's directory is looked in then.
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty location is skipped.")]
    private static IEnumerable<string> Candidates()
    {
        string native = System.IO.Path.Combine("runtimes", RuntimeInformation.RuntimeIdentifier.StartsWith("linux-arm64", StringComparison.Ordinal) ? "linux-arm64" : "linux-x64", "native");
        string? assemblyDirectory = System.IO.Path.GetDirectoryName(typeof(WebGpuLibrary).Assembly.Location);
        foreach (string directory in new[] { assemblyDirectory, AppContext.BaseDirectory }.Where(d => !string.IsNullOrEmpty(d)).Distinct()!)
        {
            yield return System.IO.Path.Combine(directory!, native, FileName);
            yield return System.IO.Path.Combine(directory!, FileName);
        }
    }

    /// <summary>
    /// Dawn's OpenGL ES backend reaches Mesa through EGL, which without a display needs the surfaceless platform;
    /// it reads the C environment, which <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not
    /// change on Unix. A value the user set is kept.
    /// </summary>
    private static void PrepareDrivers()
    {
        if (Environment.GetEnvironmentVariable("EGL_PLATFORM") is null && OperatingSystem.IsLinux())
        {
            _ = LibC.SetEnv("EGL_PLATFORM", "surfaceless", 0);
        }
    }
}
