<#
.SYNOPSIS
    The scripts suite (BENCHMARKS.md): script blocks in one pwsh, interleaved, through Submit-RepartirTask -ScriptBlock
    on a pool of <workers>, ForEach-Object -Parallel -ThrottleLimit <workers>, and a hand-written RunspacePool of
    <workers> with one reused PowerShell instance each. Two workloads: <Tiny> tiny blocks ({ $_ * 2 }) and <Work>
    blocks of ~1 ms of CPU each, twice: a PowerShell loop (it allocates, so many threads share the garbage collector's
    pauses) and one .NET call that spins (it allocates nothing). Writes the seconds of every run as JSON. Run by `dotnet run --project
    bench/Repartir.Bench -- scripts`.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Json,
    [int] $Tiny = 10000,
    [int] $Work = 2000,
    [int] $Pairs = 3,
    [int] $Workers = [Environment]::ProcessorCount
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$pool = New-RepartirPool -Name scripts-bench -CpuWorkers $Workers

# SpinWait iterations for ~1 ms on this machine, measured here over ~100 ms (after a first call, which compiles it).
[Threading.Thread]::SpinWait(1000)
$probe = 100000
do {
    $probe *= 2
    $clock = [Diagnostics.Stopwatch]::StartNew()
    [Threading.Thread]::SpinWait($probe)
} while ($clock.Elapsed.TotalMilliseconds -lt 100)
$spins = [int]($probe / $clock.Elapsed.TotalMilliseconds)

# The same work three ways: $_ for Repartir and -Parallel, a parameter for the hand-written pool.
$workloads = [ordered]@{
    tiny = @{ Count = $Tiny; Block = { $_ * 2 }; Text = 'param($x) $x * 2' }
    work = @{ Count = $Work; Block = { $end = [DateTime]::UtcNow.AddTicks(10000); while ([DateTime]::UtcNow -lt $end) { }; $_ }; Text = 'param($x) $end = [DateTime]::UtcNow.AddTicks(10000); while ([DateTime]::UtcNow -lt $end) { }; $x' }
    spin = @{ Count = $Work; Block = [scriptblock]::Create("[Threading.Thread]::SpinWait($spins); `$_"); Text = "param(`$x) [Threading.Thread]::SpinWait($spins); `$x" }
}

$runspaces = [runspacefactory]::CreateRunspacePool(1, $Workers)
$runspaces.Open()
$shells = @(foreach ($k in 1..$Workers) { $shell = [powershell]::Create(); $shell.RunspacePool = $runspaces; $shell })

function Invoke-HandWritten([object[]] $Items, [string] $Text) {
    # What people write: one PowerShell instance per runspace, reused, items dealt in turn.
    $handles = [object[]]::new($shells.Count)
    $count = 0
    $i = 0
    foreach ($item in $Items) {
        $k = $i % $shells.Count
        $i++
        if ($handles[$k]) { $count += $shells[$k].EndInvoke($handles[$k]).Count }
        $shells[$k].Commands.Clear()
        [void]$shells[$k].AddScript($Text, $true).AddArgument($item)
        $handles[$k] = $shells[$k].BeginInvoke()
    }

    for ($k = 0; $k -lt $shells.Count; $k++) {
        if ($handles[$k]) { $count += $shells[$k].EndInvoke($handles[$k]).Count }
    }

    $count
}

$sides = [ordered]@{
    Repartir    = { param($w, $items) ($items | Submit-RepartirTask -Pool $pool -Stream -ScriptBlock $w.Block | Measure-Object).Count }
    Parallel    = { param($w, $items) ($items | ForEach-Object -Parallel $w.Block -ThrottleLimit $Workers | Measure-Object).Count }
    HandWritten = { param($w, $items) Invoke-HandWritten $items $w.Text }
}

$seconds = [ordered]@{}
foreach ($name in $workloads.Keys) {
    $w = $workloads[$name]
    $items = 1..$w.Count
    # Warm-up: every side once on a small batch (JIT, runspaces).
    foreach ($side in $sides.Values) { [void](& $side $w (1..200)) }
    $seconds[$name] = [ordered]@{}
    foreach ($side in $sides.Keys) { $seconds[$name][$side] = [Collections.Generic.List[double]]::new() }
    for ($pair = 0; $pair -lt $Pairs; $pair++) {
        foreach ($side in $sides.Keys) {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $done = & $sides[$side] $w $items
            $seconds[$name][$side].Add($clock.Elapsed.TotalSeconds)
            if ($done -ne $w.Count) { throw "$side ran $done of $($w.Count) $name blocks" }
        }
    }
}

foreach ($shell in $shells) { $shell.Dispose() }
$runspaces.Dispose()
$pool | Remove-RepartirPool -Confirm:$false
[ordered]@{ tiny = $Tiny; work = $Work; spins = $spins; pairs = $Pairs; workers = $Workers; seconds = $seconds; pwsh = $PSVersionTable.PSVersion.ToString() } |
    ConvertTo-Json -Depth 5 | Set-Content -Path $Json
