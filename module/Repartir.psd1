@{
    # The cmdlet assembly. ModuleVersion is stamped at build time from VersionPrefix in Directory.Build.props.
    RootModule           = 'Repartir.Cmdlets.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '8cd8fc20-20a1-4bf5-a866-b2cea3dfe1c4'
    Author               = 'Repartir contributors'
    CompanyName          = 'Repartir'
    Copyright            = '(c) Repartir contributors. MIT License.'
    Description          = 'Cluster scripting for PowerShell: run work across the cores of a machine as pipeline objects, with a work-stealing scheduler, timeouts that kill whole process trees, retries and progress.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('Repartir.Format.ps1xml')
    CmdletsToExport      = @(
        'New-RepartirPool'
        'Get-RepartirPool'
        'Remove-RepartirPool'
        'Submit-RepartirTask'
        'Wait-RepartirTask'
        'Start-RepartirWorker'
        'Stop-RepartirWorker'
        'Add-RepartirWorker'
        'Get-RepartirWorker'
        'Remove-RepartirWorker'
    )
    AliasesToExport      = @()
    FunctionsToExport    = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('parallel', 'cluster', 'scheduler', 'work-stealing', 'jobs', 'PSEdition_Core', 'Linux', 'Windows', 'MacOS')
            ProjectUri   = 'https://github.com/repartir/Repartir.PowerShell'
            LicenseUri   = 'https://github.com/repartir/Repartir.PowerShell/blob/main/LICENSE'
            ReleaseNotes = 'First release: local work-stealing pool, Submit-RepartirTask / Wait-RepartirTask, pool cmdlets, the repartir run command.'
        }
    }
}
