# Imports the module under test: the package build.ps1 made (it sets REPARTIR_MODULE), otherwise the module the
# Release build laid out, then the Debug one. Also defines the helpers the test files share.
$candidates = @(
    $env:REPARTIR_MODULE
    (Join-Path $PSScriptRoot '../../src/Repartir.Cmdlets/bin/Release/Repartir/Repartir.psd1')
    (Join-Path $PSScriptRoot '../../src/Repartir.Cmdlets/bin/Debug/Repartir/Repartir.psd1')
) | Where-Object { $_ -and (Test-Path $_) }
if (-not $candidates) {
    throw 'The Repartir module is not built: run ./build.sh -Task Package (or dotnet build) first.'
}

$script:RepartirManifest = (Resolve-Path ($candidates | Select-Object -First 1)).Path
Import-Module $script:RepartirManifest -Force -ErrorAction Stop

# The pwsh of this session, started directly ($PSHOME's executable, not a launcher that would take the signals).
$script:Pwsh = Join-Path $PSHOME 'pwsh'

# True while the process exists and is not a zombie.
function Test-ProcessAlive([int] $ProcessId) {
    $stat = "/proc/$ProcessId/stat"
    if (-not (Test-Path $stat)) { return $false }
    try { $text = Get-Content $stat -Raw -ErrorAction Stop } catch { return $false }
    $state = $text[$text.LastIndexOf(')') + 2]
    return $state -ne 'Z' -and $state -ne 'X'
}

# Polls a condition until it holds; throws with what was awaited after the limit.
function Wait-Until([scriptblock] $Condition, [double] $Seconds = 20, [string] $What = 'the condition') {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Waited $Seconds s for $What." }
        Start-Sleep -Milliseconds 20
    }
}
