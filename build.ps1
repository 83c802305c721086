#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests, documents, packages and benchmarks Repartir (a thin wrapper over dotnet).
.PARAMETER Task
    Build: the solution. Test: dotnet test, then the Pester suite in a fresh pwsh against the built module.
    Pester: only the Pester suite (the module must be built).
    Docs: PlatyPS markdown -> MAML help. Package: out/Repartir/<version>/. Bench: the benchmark suites.
.EXAMPLE
    ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pester', 'Docs', 'Package', 'Bench')]
    [string[]] $Task = @('Build'),
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$moduleOutput = Join-Path $root "src/Repartir.Cmdlets/bin/$Configuration/net8.0"

function Invoke-Native {
    param([string] $File, [string[]] $Arguments)
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Get-ModuleVersion {
    ([xml](Get-Content (Join-Path $root 'Directory.Build.props') -Raw)).Project.PropertyGroup.VersionPrefix | Where-Object { $_ } | Select-Object -First 1
}

foreach ($step in $Task) {
    switch ($step) {
        'Build' {
            Invoke-Native dotnet @('build', (Join-Path $root 'Repartir.PowerShell.sln'), '-c', $Configuration)
        }
        { $_ -in 'Test', 'Pester' } {
            if ($step -eq 'Test') {
                Invoke-Native dotnet @('test', (Join-Path $root 'Repartir.PowerShell.sln'), '-c', $Configuration)
            }

            if (-not (Get-Module -ListAvailable Pester | Where-Object Version -GE '5.0.0')) {
                Write-Warning 'Pester 5 is not installed (Install-Module Pester -MinimumVersion 5.0): the Pester suite was not run.'
                continue
            }
            $pester = @"
`$env:REPARTIR_MODULE = '$(Join-Path $moduleOutput 'Repartir.psd1')'
Import-Module Pester -MinimumVersion 5.0
`$config = New-PesterConfiguration
`$config.Run.Path = '$(Join-Path $root 'tests/Pester')'
`$config.Run.Exit = `$true
`$config.Output.Verbosity = 'Detailed'
Invoke-Pester -Configuration `$config
"@
            Invoke-Native pwsh @('-NoProfile', '-NonInteractive', '-Command', $pester)
        }
        'Docs' {
            if (-not (Get-Module -ListAvailable Microsoft.PowerShell.PlatyPS)) {
                Write-Warning 'Microsoft.PowerShell.PlatyPS is not installed (Install-PSResource Microsoft.PowerShell.PlatyPS): MAML help was not generated. The markdown in docs/cmdlets is the source.'
                continue
            }
            Import-Module Microsoft.PowerShell.PlatyPS
            $pages = Get-ChildItem (Join-Path $root 'docs/cmdlets') -Filter '*-*.md' | ForEach-Object { Import-MarkdownCommandHelp -Path $_.FullName }
            $pages | Export-MamlCommandHelp -OutputFolder (Join-Path $moduleOutput 'en-US') -Force | Out-Null
            Write-Host "MAML help written to $(Join-Path $moduleOutput 'en-US')"
        }
        'Package' {
            Invoke-Native dotnet @('build', (Join-Path $root 'src/Repartir.Cmdlets/Repartir.Cmdlets.csproj'), '-c', $Configuration)
            $version = Get-ModuleVersion
            $target = Join-Path $root "out/Repartir/$version"
            if (Test-Path $target) { Remove-Item $target -Recurse -Force }
            New-Item -ItemType Directory -Path $target | Out-Null
            Get-ChildItem $moduleOutput -File | Where-Object Extension -In '.dll', '.psd1', '.ps1xml', '.json' | Copy-Item -Destination $target
            if (Test-Path (Join-Path $moduleOutput 'en-US')) { Copy-Item (Join-Path $moduleOutput 'en-US') -Destination $target -Recurse }
            Test-ModuleManifest (Join-Path $target 'Repartir.psd1') | Out-Null
            Write-Host "Module packaged in $target"
        }
        'Bench' {
            Invoke-Native dotnet @('run', '-c', 'Release', '--project', (Join-Path $root 'bench/Repartir.Bench'), '--', 'all')
        }
    }
}
