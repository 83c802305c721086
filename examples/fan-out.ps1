<#
.SYNOPSIS
    The README's main job: a real fan-out in PowerShell with the packaged Repartir module.
.DESCRIPTION
    Checksums every source file of this repository in parallel on a pool of this machine's cores, one task per
    file from Get-ChildItem, and shows the results as a table, then a summary. Run it through ./build.sh -Task Demo.
#>
[CmdletBinding()]
param(
    # The packaged module's manifest (build.ps1 passes out/Repartir/<version>/Repartir.psd1).
    [Parameter(Mandatory)]
    [string] $ModulePath
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

$root = Split-Path $PSScriptRoot
$pool = New-RepartirPool -Name demo -CpuWorkers ([Environment]::ProcessorCount)
try {
    $files = Get-ChildItem -Path (Join-Path $root 'src') -Recurse -Filter *.cs
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $results = $files | Submit-RepartirTask -Pool $pool -FilePath sha256sum -ArgumentList '{FullName}' -TimeoutSeconds 30 -ErrorOnFailure
    $clock.Stop()

    $results |
        Sort-Object { $_.InputObject.Name } |
        Select-Object -First 15 |
        Format-Table -Property Id, Success, Worker, @{ Name = 'Duration'; Expression = { '{0:N1} ms' -f $_.Duration.TotalMilliseconds } },
            @{ Name = 'File'; Expression = { $_.InputObject.Name } }, @{ Name = 'SHA-256'; Expression = { $_.Stdout.Substring(0, 16) + '…' } }

    $workers = ($results.Worker | Sort-Object -Unique) -join ', '
    Write-Host ('{0} files checksummed in {1:N0} ms on pool ''{2}'' ({3} CPU workers: {4}); {5} failed. (The first 15 by name are shown.)' -f
        $results.Count, $clock.Elapsed.TotalMilliseconds, $pool.Name, $pool.CpuWorkers, $workers, ($files.Count - $results.Count))
}
finally {
    $pool | Remove-RepartirPool -Confirm:$false
}
