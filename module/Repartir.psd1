@{
    # The module script loads the cmdlets into the module's own AssemblyLoadContext. ModuleVersion is stamped at build time from VersionPrefix in Directory.Build.props.
    RootModule           = 'Repartir.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '8cd8fc20-20a1-4bf5-a866-b2cea3dfe1c4'
    Author               = 'Repartir contributors'
    CompanyName          = 'Repartir'
    Copyright            = '(c) Repartir contributors. MIT License.'
    Description          = 'Cluster scripting for PowerShell: run work across the cores of a machine and over worker daemons on other machines, as pipeline objects, with a work-stealing scheduler, timeouts that kill whole process trees, retries, progress, pools that survive a dead node, checkpoints and resumable runs. Linux only.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('Repartir.Format.ps1xml')
    TypesToProcess       = @('Repartir.Types.ps1xml')
    CmdletsToExport      = @(
        'New-RepartirPool'
        'Get-RepartirPool'
        'Remove-RepartirPool'
        'Submit-RepartirTask'
        'Wait-RepartirTask'
        'Start-RepartirWorker'
        'Get-RepartirWorker'
        'Stop-RepartirWorker'
        'Add-RepartirPoolWorker'
        'Get-RepartirPoolWorker'
        'Remove-RepartirPoolWorker'
        'New-RepartirCertificate'
        'Save-RepartirCheckpoint'
        'Restore-RepartirCheckpoint'
        'Get-RepartirCheckpoint'
        'Remove-RepartirCheckpoint'
        'Export-RepartirResult'
        'Import-RepartirResult'
        'Get-RepartirGpu'
        'Invoke-RepartirTensor'
        'Invoke-RepartirGpuKernel'
        'Watch-RepartirPool'
    )
    AliasesToExport      = @()
    FunctionsToExport    = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            # Linux only for now: the process executor needs posix_spawn, pidfd and eventfd.
            Tags         = @('parallel', 'cluster', 'scheduler', 'work-stealing', 'jobs', 'PSEdition_Core', 'Linux')
            ProjectUri   = 'https://github.com/repartir/Repartir.PowerShell'
            LicenseUri   = 'https://github.com/repartir/Repartir.PowerShell/blob/main/LICENSE'
            ReleaseNotes = 'Work-stealing pools on this machine and over worker daemons on others (Submit-RepartirTask, Wait-RepartirTask, *-RepartirPool, *-RepartirPoolWorker), worker daemons in the session (*-RepartirWorker), mutual TLS (New-RepartirCertificate), checkpoints (*-RepartirCheckpoint), resumable runs (Submit-RepartirTask -Journal), results as Parquet (Export-/Import-RepartirResult), full help (about_Repartir), and the repartir command-line tool. Linux only.'
        }
    }
}
