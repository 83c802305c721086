<#
.SYNOPSIS
    The cmdlet suite (BENCHMARKS.md): N × /bin/true in one pwsh, interleaved, through Submit-RepartirTask on a pool of
    <workers>, ForEach-Object -Parallel -ThrottleLimit <workers>, Start-ThreadJob -ThrottleLimit <workers>, and
    `repartir run -j <workers>` started from this pwsh (start-up included). Writes the seconds of every run as JSON.
    Run by `dotnet run --project bench/Repartir.Bench -- cmdlet`.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Repartir,
    [Parameter(Mandatory)] [string] $Json,
    [int] $Tasks = 2000,
    [int] $Pairs = 3,
    [int] $Workers = [Environment]::ProcessorCount
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$pool = New-RepartirPool -Name cmdlet-bench -CpuWorkers $Workers
$sides = [ordered]@{
    Submit    = { param($items) $items | Submit-RepartirTask -Pool $pool -FilePath /bin/true | Out-Null }
    Parallel  = { param($items) $items | ForEach-Object -Parallel { & /bin/true } -ThrottleLimit $Workers | Out-Null }
    ThreadJob = { param($items) $items | ForEach-Object { Start-ThreadJob { & /bin/true } -ThrottleLimit $Workers } | Wait-Job | Remove-Job }
    Cli       = { param($items) $items | & $Repartir run -j $Workers -- /bin/true | Out-Null; if ($LASTEXITCODE) { throw "repartir run exited with $LASTEXITCODE" } }
}

# Warm-up: every side once on a small batch (JIT, runspace pools, the page cache for the CLI).
foreach ($side in $sides.Values) { & $side (1..100) }

$seconds = [ordered]@{}
foreach ($name in $sides.Keys) { $seconds[$name] = [Collections.Generic.List[double]]::new() }
$items = 1..$Tasks
for ($pair = 0; $pair -lt $Pairs; $pair++) {
    foreach ($name in $sides.Keys) {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        & $sides[$name] $items
        $seconds[$name].Add($clock.Elapsed.TotalSeconds)
    }
}

$pool | Remove-RepartirPool -Confirm:$false
[ordered]@{ tasks = $Tasks; pairs = $Pairs; workers = $Workers; seconds = $seconds; pwsh = $PSVersionTable.PSVersion.ToString() } |
    ConvertTo-Json -Depth 4 | Set-Content -Path $Json
