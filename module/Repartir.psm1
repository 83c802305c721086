# Repartir's assemblies live in their own AssemblyLoadContext, so that the versions of its dependencies never
# clash with those PowerShell or other modules load. Only the small loader assembly enters the default context.
$bin = [System.IO.Path]::Combine($PSScriptRoot, 'bin')
$isReload = [bool]('Repartir.Loader.ModuleLoadContext' -as [type])
if (-not $isReload) {
    Add-Type -Path ([System.IO.Path]::Combine($bin, 'Repartir.Loader.dll'))
}

$cmdlets = [Repartir.Loader.ModuleLoadContext]::LoadCmdlets([System.IO.Path]::Combine($bin, 'Repartir.Cmdlets.dll'))
$inner = Import-Module -Assembly $cmdlets -PassThru:$isReload

if ($inner) {
    # Imported again (Import-Module -Force, or after Remove-Module): PowerShell reuses its cached module for the
    # assembly and no longer exports its cmdlets through this one (PowerShell issue 20710). Modules with their own
    # load context add them back through PSModuleInfo's internal AddExportedCmdlet, as done here.
    $addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod('AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
    if ($null -eq $addExportedCmdlet) {
        Write-Warning 'Repartir was imported again but this PowerShell cannot re-export its cmdlets; start a new session to use them.'
    }
    else {
        foreach ($cmdlet in $inner.ExportedCmdlets.Values) {
            $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmdlet)) | Out-Null
        }
    }
}

# Remove-Module stops every pool and worker of the process. PowerShell calls the cmdlet assembly's
# IModuleAssemblyCleanup only while its module is not a cached one (the same issue 20710), so this module calls
# the same cleanup itself; running it twice is harmless.
$cleanup = [System.Activator]::CreateInstance($cmdlets.GetType('Repartir.Cmdlets.ModuleCleanup', $true))
$ExecutionContext.SessionState.Module.OnRemove = { $cleanup.OnRemove($null) }.GetNewClosure()
