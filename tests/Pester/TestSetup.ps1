# Imports the built module. build.ps1 sets REPARTIR_MODULE to the manifest it built; otherwise the
# Release build output, then the Debug one, is used.
$candidates = @(
    $env:REPARTIR_MODULE
    (Join-Path $PSScriptRoot '../../src/Repartir.Cmdlets/bin/Release/net8.0/Repartir.psd1')
    (Join-Path $PSScriptRoot '../../src/Repartir.Cmdlets/bin/Debug/net8.0/Repartir.psd1')
) | Where-Object { $_ -and (Test-Path $_) }
if (-not $candidates) {
    throw 'The Repartir module is not built: run ./build.ps1 -Task Build (or dotnet build) first.'
}
Import-Module ($candidates | Select-Object -First 1) -Force -ErrorAction Stop
