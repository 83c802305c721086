using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Repartir.Loader;

/// <summary>
/// The module's own <see cref="AssemblyLoadContext"/>. PowerShell has already loaded its own copies of many
/// common assemblies, and other modules load theirs; Repartir's cmdlets, engine and dependencies load here
/// instead, from the module's <c>bin</c> folder, so no version of theirs can clash with another's. Whatever
/// the folder does not hold (PowerShell itself, the framework) comes from the default context as usual.
/// </summary>
public sealed class ModuleLoadContext : AssemblyLoadContext
{
    // One context per module folder for the whole process: every runspace that imports the module shares its
    // pools and workers, as it shares the machine, and a second import must not load a second copy.
    private static readonly ConcurrentDictionary<string, ModuleLoadContext> Contexts = new(StringComparer.Ordinal);

    private readonly string _directory;

    private ModuleLoadContext(string directory)
        : base("Repartir (" + directory + ")", isCollectible: false)
    {
        _directory = directory;
    }

    /// <summary>Loads the module's cmdlet assembly, and with it everything it needs, into the context of its folder.</summary>
    /// <param name="cmdletAssemblyPath">The full path of the cmdlet assembly in the module's <c>bin</c> folder.</param>
    /// <returns>The cmdlet assembly, for <c>Import-Module -Assembly</c>.</returns>
    public static Assembly LoadCmdlets(string cmdletAssemblyPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(cmdletAssemblyPath);
        string fullPath = Path.GetFullPath(cmdletAssemblyPath);
        string directory = Path.GetDirectoryName(fullPath)!;
        ModuleLoadContext context = Contexts.GetOrAdd(directory, static d => new ModuleLoadContext(d));
        return context.LoadFromAssemblyName(AssemblyName.GetAssemblyName(fullPath));
    }

    /// <inheritdoc />
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // The loader itself stays shared with the default context (null falls back to it), as does anything
        // the module does not ship: PowerShell's own assemblies above all.
        if (assemblyName.Name is null || string.Equals(assemblyName.Name, typeof(ModuleLoadContext).Assembly.GetName().Name, StringComparison.Ordinal))
        {
            return null;
        }

        string candidate = Path.Combine(_directory, assemblyName.Name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }

    /// <inheritdoc />
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        // A dependency's native library (SQLite's e_sqlite3) ships in bin/runtimes/<rid>/native/, as NuGet lays it
        // out; the default probing would not look inside the module. Not found here: the default probing goes on.
        foreach (string rid in RuntimeIdentifiers())
        {
            foreach (string file in new[] { unmanagedDllName, "lib" + unmanagedDllName + ".so", unmanagedDllName + ".so", "lib" + unmanagedDllName + ".dylib", unmanagedDllName + ".dll" })
            {
                string candidate = Path.Combine(_directory, "runtimes", rid, "native", file);
                if (File.Exists(candidate))
                {
                    return LoadUnmanagedDllFromPath(candidate);
                }
            }
        }

        return IntPtr.Zero;
    }

    private static IEnumerable<string> RuntimeIdentifiers()
    {
        string architecture = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant();
        yield return RuntimeInformation.RuntimeIdentifier;
        if (OperatingSystem.IsLinux())
        {
            yield return "linux-" + architecture;
            yield return "linux-musl-" + architecture;
        }
        else if (OperatingSystem.IsMacOS())
        {
            yield return "osx-" + architecture;
        }
        else if (OperatingSystem.IsWindows())
        {
            yield return "win-" + architecture;
        }
    }
}
