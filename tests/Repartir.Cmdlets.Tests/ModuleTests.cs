using System.Management.Automation;
using System.Net.Sockets;
using Repartir.Testing;

namespace Repartir.Cmdlets.Tests;

/// <summary>The module as PowerShell loads it: its exports, its manifest and its own load context.</summary>
public sealed class ModuleTests : IDisposable
{
    internal static readonly string[] Cmdlets =
    [
        "Add-RepartirPoolWorker", "Export-RepartirResult", "Get-RepartirCheckpoint", "Get-RepartirGpu", "Get-RepartirPool", "Get-RepartirPoolWorker", "Get-RepartirWorker", "Import-RepartirResult", "Invoke-RepartirGpuKernel", "Invoke-RepartirTensor", "New-RepartirCertificate", "New-RepartirPool",
        "Remove-RepartirCheckpoint", "Remove-RepartirPool", "Remove-RepartirPoolWorker", "Restore-RepartirCheckpoint", "Save-RepartirCheckpoint", "Start-RepartirWorker",
        "Stop-RepartirWorker", "Submit-RepartirTask", "Wait-RepartirTask", "Watch-RepartirPool",
    ];

    private readonly PowerShellSession _session = new();

    public void Dispose() => _session.Dispose();

    [Fact]
    public void The_module_exports_exactly_its_cmdlets()
    {
        Assert.Equal(Cmdlets, _session.Run("(Get-Command -Module Repartir).Name | Sort-Object").Succeeded().Output.Select(o => (string)o.BaseObject));
        Assert.Empty(_session.Run("Get-Command -Module Repartir -CommandType Function, Alias").Output);
    }

    [Fact]
    public void The_manifest_says_what_is_true_today()
    {
        PSObject manifest = _session.Run("Test-ModuleManifest $path", ("path", PowerShellSession.ModuleManifest)).Succeeded().Single();

        Assert.Equal("Repartir.psm1", manifest.Get<string>("RootModule"));
        Assert.Equal(new Version(7, 4), manifest.Get<Version>("PowerShellVersion"));
        Assert.Equal(["Core"], manifest.Get<string[]>("CompatiblePSEditions"));
        string[] tags = manifest.Get<string[]>("Tags");
        Assert.Contains("Linux", tags);
        Assert.Contains("PSEdition_Core", tags);
        Assert.DoesNotContain("Windows", tags);
        Assert.DoesNotContain("MacOS", tags);
        Assert.Equal(typeof(ModuleTests).Assembly.GetName().Version!.ToString(3), manifest.Get<Version>("Version").ToString(3));
    }

    [Fact]
    public void The_cmdlets_the_engine_and_its_dependencies_load_in_the_modules_own_context()
    {
        Invocation run = _session.Run(
            "[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -in 'Repartir.Cmdlets', 'Repartir.Engine', 'Microsoft.Extensions.Logging.Abstractions', 'Repartir.Loader' -and $_.Location -like \"$base*\" } | " +
            "ForEach-Object { '{0}={1}' -f $_.GetName().Name, [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name }",
            ("base", Path.GetDirectoryName(PowerShellSession.ModuleManifest))).Succeeded();

        string[] contexts = [.. run.Output.Select(o => (string)o.BaseObject).Distinct().Order()];
        Assert.Contains("Repartir.Loader=Default", contexts);
        Assert.Contains(contexts, c => c.StartsWith("Repartir.Cmdlets=Repartir (", StringComparison.Ordinal));
        Assert.Contains(contexts, c => c.StartsWith("Repartir.Engine=Repartir (", StringComparison.Ordinal));
    }
}

/// <summary>Remove-Module stops what the module started; it ends every pool of the process, so it runs alone.</summary>
[Collection(ModuleRemovalCollection.Name)]
public sealed class ModuleRemovalTests : IDisposable
{
    private readonly PowerShellSession _session = new();
    private readonly TempDirectory _directory = new();

    public void Dispose()
    {
        _session.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void Remove_Module_stops_pools_workers_and_their_processes_and_threads()
    {
        string pidFile = _directory.File("pid");
        Invocation started = _session.Run(
            $"Import-Module '{PowerShellSession.ModuleManifest}' -Force; Import-Module '{PowerShellSession.ModuleManifest}' -Force; " + // a reloaded module cleans up too
            "$p = New-RepartirPool -Name modrm -CpuWorkers 2; (Start-RepartirWorker -Bind 127.0.0.1:0 -Name modrm-w).Endpoint; " +
            $"Submit-RepartirTask -Pool $p -FilePath sh -ArgumentList '-c', 'echo $$ > {pidFile}; exec sleep 300' -NoWait | Out-Null").Succeeded();
        string endpoint = (string)started.Single().BaseObject;
        Eventually.True(() => File.Exists(pidFile) && File.ReadAllText(pidFile).Length > 0, TimeSpan.FromSeconds(20), "the task to start");
        int pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEmpty(PoolThreads());

        _session.Run("Remove-Module Repartir").Succeeded();

        Eventually.True(() => !Processes.IsAlive(pid), TimeSpan.FromSeconds(10), "the task process to be killed");
        Eventually.True(() => PoolThreads().Length == 0, TimeSpan.FromSeconds(10), "the pool's threads to end");
        using var probe = new TcpClient();
        Assert.ThrowsAny<SocketException>(() => probe.Connect(System.Net.IPEndPoint.Parse(endpoint)));

        // A fresh import starts clean.
        Assert.Equal(0, _session.Run($"Import-Module '{PowerShellSession.ModuleManifest}'; @(Get-RepartirPool).Count + @(Get-RepartirWorker).Count").Succeeded().Single().BaseObject);
    }

    private static string[] PoolThreads() =>
        [.. Directory.GetDirectories("/proc/self/task").Select(ThreadName).Where(name => name.StartsWith("repartir modrm", StringComparison.Ordinal))];

    /// <summary>A thread's name; empty for one that ended between the listing and the read (any thread of the process may).</summary>
    private static string ThreadName(string task)
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, "comm")).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ModuleRemovalCollection
{
    public const string Name = "Module removal (alone)";
}
