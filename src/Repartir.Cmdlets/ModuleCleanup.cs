using System.Management.Automation;
using Repartir.Cmdlets.Pools;
using Repartir.Cmdlets.Workers;

namespace Repartir.Cmdlets;

/// <summary>
/// Remove-Module Repartir: stops what the module started in this process — every pool (queued tasks cancelled,
/// running process trees killed) and every worker started with Start-RepartirWorker — so that no thread, listener
/// or child process outlives the module. Pools and workers are the process's, so this holds for every runspace.
/// </summary>
public sealed class ModuleCleanup : IModuleAssemblyCleanup
{
    /// <inheritdoc />
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        WorkerRegistry.Process.StopAll();
        PoolRegistry.Process.RemoveAll();
    }
}
