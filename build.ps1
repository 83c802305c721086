#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, documents, packages, tests and benchmarks Repartir (a thin wrapper over dotnet).
.DESCRIPTION
    On a machine with only the .NET SDK run it through ./build.sh, which installs the pinned PowerShell first.
    This script installs Pester itself (into .tools/Modules) and uses PlatyPS where it finds it: installed, or the
    build in ../shared/tools/Modules. In CI ($env:CI set) a tool that cannot be found is an error, never a skip.
.PARAMETER Task
    Build:   the solution; building the cmdlet project also lays out the module in src/Repartir.Cmdlets/bin/<Configuration>/Repartir.
    Docs:    docs/cmdlets (PlatyPS markdown) -> module/en-US/Repartir.Cmdlets.dll-Help.xml, the MAML help Get-Help reads.
    Package: out/Repartir/<version>/ with its help (a package without help is an error).
    Cli:     the repartir executable, compiled ahead of time (native code, no JIT at start-up), in out/bin/repartir.
    Test:    Build, the help check, Package, the xunit suites, then the Pester suite against the package; one closing line.
    Pester:  only the Pester suite, against the package (Package first).
    Demo:    Package, then a real fan-out in a fresh pwsh: Import-Module, a pipeline into Submit-RepartirTask, a table.
    Bench:   the benchmark suites (all, then the cmdlet suite in this pwsh against the package).
.EXAMPLE
    ./build.sh -Task Test
#>
[CmdletBinding()]
param(
    [string[]] $Task = @('Build'),
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$tools = Join-Path $root '.tools'
$pesterVersion = '5.7.1'
$inCI = -not [string]::IsNullOrEmpty($env:CI) -and $env:CI -notin 'false', '0'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$layout = Join-Path $root "src/Repartir.Cmdlets/bin/$Configuration/Repartir"
$committedHelp = Join-Path $root 'module/en-US/Repartir.Cmdlets.dll-Help.xml'
$tasks = @($Task | ForEach-Object { $_ -split ',' } | ForEach-Object Trim | Where-Object { $_ })
$known = 'Build', 'Docs', 'Package', 'Cli', 'Test', 'Pester', 'Demo', 'Bench'
foreach ($name in $tasks) {
    if ($name -notin $known) { throw "Unknown task '$name'. Tasks: $($known -join ', ')." }
}

function Invoke-Native {
    param([string] $File, [string[]] $Arguments)
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Get-ModuleVersion {
    ([xml](Get-Content (Join-Path $root 'Directory.Build.props') -Raw)).Project.PropertyGroup.VersionPrefix | Where-Object { $_ } | Select-Object -First 1
}

function Get-PackagePath { Join-Path $root "out/Repartir/$(Get-ModuleVersion)" }

# A tool that is missing fails CI; on a user's machine it is a warning that names the install command.
function Write-MissingTool {
    param([string] $Message)
    if ($inCI) { throw $Message }
    Write-Warning $Message
}

# A fresh pwsh for the suites and the demo: $PSHOME's own executable, never the dotnet-tool launcher in .tools.
function Get-Pwsh { Join-Path $PSHOME 'pwsh' }

function Install-Pester {
    $target = Join-Path $tools "Modules/Pester/$pesterVersion"
    if (Test-Path (Join-Path $target 'Pester.psd1')) { return $true }
    Write-Host "Installing Pester $pesterVersion into $target"
    # The NuGet package keeps the module under tools/, so it is restored with a PackageDownload in a throw-away
    # project outside the repository (whose Directory.Packages.props would otherwise apply) and copied.
    $restore = Join-Path ([IO.Path]::GetTempPath()) "repartir-pester-$PID"
    New-Item -ItemType Directory -Path $restore -Force | Out-Null
    try {
        Set-Content -Path (Join-Path $restore 'restore.csproj') -Value @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$pesterVersion]" /></ItemGroup>
</Project>
"@
        & dotnet restore (Join-Path $restore 'restore.csproj') --packages (Join-Path $tools 'packages') | Out-Host
        if ($LASTEXITCODE -ne 0) {
            Write-MissingTool "Pester $pesterVersion could not be installed (dotnet restore failed): the Pester suite cannot run. Install it with: Install-PSResource Pester -Version $pesterVersion"
            return $false
        }

        New-Item -ItemType Directory -Path (Split-Path $target) -Force | Out-Null
        Copy-Item -Path (Join-Path $tools "packages/pester/$pesterVersion/tools") -Destination $target -Recurse
        return $true
    }
    finally {
        Remove-Item $restore -Recurse -Force -ErrorAction SilentlyContinue
    }
}

function Import-PlatyPS {
    $shared = Join-Path $root '../shared/tools/Modules/Microsoft.PowerShell.PlatyPS'
    $module = Get-Module -ListAvailable Microsoft.PowerShell.PlatyPS | Sort-Object Version -Descending | Select-Object -First 1 -ExpandProperty Path
    if (-not $module -and (Test-Path $shared)) {
        $module = Get-ChildItem $shared -Filter 'Microsoft.PowerShell.PlatyPS.psd1' -Recurse | Select-Object -First 1 -ExpandProperty FullName
    }

    if (-not $module) {
        Write-MissingTool 'Microsoft.PowerShell.PlatyPS is not installed, so the MAML help could not be compiled or checked against docs/cmdlets. Install it with: Install-PSResource Microsoft.PowerShell.PlatyPS'
        return $false
    }

    Import-Module $module -ErrorAction Stop
    return $true
}

# docs/cmdlets -> MAML, written to $Destination. PlatyPS compiles the pages; ConvertTo-CleanMaml then turns its
# Markdown leftovers (fenced example code, inline backticks, links to .md files) into help Get-Help shows cleanly.
function Export-Help {
    param([string] $Destination)
    $staging = Join-Path ([IO.Path]::GetTempPath()) "repartir-maml-$PID"
    try {
        $pages = Get-ChildItem (Join-Path $root 'docs/cmdlets') -Filter '*-*.md' | Sort-Object Name | ForEach-Object { Import-MarkdownCommandHelp -Path $_.FullName }
        # PlatyPS writes into <OutputFolder>/<ModuleName>/, not into the folder it is given.
        $maml = $pages | Export-MamlCommandHelp -OutputFolder $staging -Force | Select-Object -First 1
        ConvertTo-CleanMaml -Path $maml.FullName -CommandHelp $pages -Destination $Destination
    }
    finally {
        Remove-Item $staging -Recurse -Force -ErrorAction SilentlyContinue
    }
}

# Markdown as Get-Help should show it: `code`, **bold** and [text](link) become their plain text.
function ConvertTo-PlainText {
    param([string] $Markdown)
    $text = $Markdown -replace '\[([^\]]+)\]\([^)]*\)', '$1' -replace '\*\*([^*]+)\*\*', '$1' -replace '`([^`]+)`', '$1'
    return $text.Trim()
}

# PlatyPS 1.0.3 keeps each example whole (fences included) in <maml:introduction>, leaves <dev:code> empty, writes
# a stray U+0080 where it meant a blank line, keeps inline Markdown and links to .md files, and drops default values.
function ConvertTo-CleanMaml {
    param([string] $Path, [object[]] $CommandHelp, [string] $Destination)
    $xml = [xml](Get-Content $Path -Raw)
    $ns = [Xml.XmlNamespaceManager]::new($xml.NameTable)
    $ns.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')
    $ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
    $ns.AddNamespace('dev', 'http://schemas.microsoft.com/maml/dev/2004/10')
    $mamlNs = $ns.LookupNamespace('maml')

    foreach ($example in $xml.SelectNodes('//command:example', $ns)) {
        $introduction = $example.SelectSingleNode('maml:introduction', $ns)
        $text = (@($introduction.SelectNodes('maml:para', $ns) | ForEach-Object InnerText | Where-Object { $_ -notmatch '^[\s\u0080]*$' }) -join "`n`n")
        $code = [Collections.Generic.List[string]]::new()
        $remarks = [Collections.Generic.List[string]]::new()
        foreach ($block in [regex]::Split($text, '(```[a-z]*\n[\s\S]*?\n```)')) {
            if ($block -match '^```powershell\n([\s\S]*?)\n```$') { $code.Add($Matches[1]) }
            elseif ($block -match '^```[a-z]*\n([\s\S]*?)\n```$') { $remarks.Add($Matches[1]) }
            else { $block -split '\n{2,}' | ForEach-Object { ConvertTo-PlainText ($_ -replace '\n', ' ') } | Where-Object { $_ } | ForEach-Object { $remarks.Add($_) } }
        }

        $introduction.RemoveAll()
        $example.SelectSingleNode('dev:code', $ns).InnerText = $code -join "`n`n"
        $remarksNode = $example.SelectSingleNode('dev:remarks', $ns)
        foreach ($remark in $remarks) {
            $para = $xml.CreateElement('maml', 'para', $mamlNs)
            $para.InnerText = $remark
            $remarksNode.AppendChild($para) | Out-Null
        }
    }

    # Prose everywhere else: one <maml:para> per Markdown paragraph, soft line breaks joined, inline Markdown removed.
    foreach ($para in @($xml.SelectNodes('//maml:para[not(ancestor::dev:remarks)]', $ns))) {
        $paragraphs = @($para.InnerText -split '\n{2,}' | ForEach-Object { ConvertTo-PlainText ($_ -replace '\n', ' ') } | Where-Object { $_ })
        $para.InnerText = if ($paragraphs) { $paragraphs[0] } else { '' }
        $after = $para
        foreach ($paragraph in $paragraphs | Select-Object -Skip 1) {
            $next = $xml.CreateElement('maml', 'para', $mamlNs)
            $next.InnerText = $paragraph
            $after = $para.ParentNode.InsertAfter($next, $after)
        }
    }

    # Links to sibling pages name a command: Get-Help shows the name; the online version keeps its address.
    foreach ($uri in $xml.SelectNodes('//maml:navigationLink/maml:uri', $ns)) {
        if ($uri.InnerText -notmatch '^https?://') { $uri.InnerText = '' }
    }

    foreach ($help in $CommandHelp) {
        foreach ($parameter in $help.Parameters) {
            if ([string]::IsNullOrWhiteSpace($parameter.DefaultValue)) { continue }
            $node = $xml.SelectSingleNode("//command:command[command:details/command:name='$($help.Title)']/command:parameters/command:parameter[maml:name='$($parameter.Name)']", $ns)
            $default = $xml.CreateElement('dev', 'defaultValue', $ns.LookupNamespace('dev'))
            $default.InnerText = $parameter.DefaultValue
            $node.AppendChild($default) | Out-Null
        }
    }

    $settings = [Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [Text.UTF8Encoding]::new($false); NewLineChars = "`n" }
    $writer = [Xml.XmlWriter]::Create($Destination, $settings)
    try { $xml.Save($writer) } finally { $writer.Dispose() }
}

function Test-HelpIsCurrent {
    if (-not (Import-PlatyPS)) { return }
    $fresh = Join-Path ([IO.Path]::GetTempPath()) "repartir-help-$PID.xml"
    try {
        Export-Help -Destination $fresh
        if ((Get-Content $fresh -Raw) -cne (Get-Content $committedHelp -Raw)) {
            throw "module/en-US/Repartir.Cmdlets.dll-Help.xml does not match docs/cmdlets: run ./build.sh -Task Docs and commit the result."
        }

        Write-Host 'The MAML help matches docs/cmdlets.'
    }
    finally {
        Remove-Item $fresh -Force -ErrorAction SilentlyContinue
    }
}

function Invoke-Package {
    Invoke-Native dotnet @('build', (Join-Path $root 'src/Repartir.Cmdlets/Repartir.Cmdlets.csproj'), '-c', $Configuration, '--nologo', '-v', 'quiet')
    $target = Get-PackagePath
    if (Test-Path $target) { Remove-Item $target -Recurse -Force }
    New-Item -ItemType Directory -Path (Split-Path $target) -Force | Out-Null
    Copy-Item -Path $layout -Destination $target -Recurse
    foreach ($help in 'bin/en-US/Repartir.Cmdlets.dll-Help.xml', 'en-US/about_Repartir.help.txt') {
        if (-not (Test-Path (Join-Path $target $help))) { throw "The package has no $help : a module without help is not shipped." }
    }

    Test-ModuleManifest (Join-Path $target 'Repartir.psd1') | Out-Null
    Write-Host "Module packaged in $target"
}

# The Pester suite in a fresh pwsh against the package; returns its counts.
function Invoke-PesterSuite {
    if (-not (Install-Pester)) { return $null }
    $counts = Join-Path ([IO.Path]::GetTempPath()) "repartir-pester-counts-$PID.json"
    $script = @"
`$env:PSModulePath = '$(Join-Path $tools 'Modules')' + [IO.Path]::PathSeparator + `$env:PSModulePath
`$env:REPARTIR_MODULE = '$(Join-Path (Get-PackagePath) 'Repartir.psd1')'
Import-Module Pester -RequiredVersion $pesterVersion
`$config = New-PesterConfiguration
`$config.Run.Path = '$(Join-Path $root 'tests/Pester')'
`$config.Run.PassThru = `$true
`$config.Output.Verbosity = 'Normal'
`$result = Invoke-Pester -Configuration `$config
@{ Passed = `$result.PassedCount; Failed = `$result.FailedCount + `$result.FailedBlocksCount + `$result.FailedContainersCount; Skipped = `$result.SkippedCount + `$result.NotRunCount } | ConvertTo-Json | Set-Content '$counts'
"@
    try {
        & (Get-Pwsh) -NoProfile -NonInteractive -Command $script | Out-Host
        if (-not (Test-Path $counts)) { throw "The Pester run ended (exit code $LASTEXITCODE) without reporting its results." }
        return Get-Content $counts -Raw | ConvertFrom-Json
    }
    finally {
        Remove-Item $counts -Force -ErrorAction SilentlyContinue
    }
}

function Invoke-XunitSuites {
    & dotnet test (Join-Path $root 'Repartir.PowerShell.sln') -c $Configuration --no-build | Tee-Object -Variable lines | Out-Host
    $exitCode = $LASTEXITCODE
    $totals = [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0 }
    foreach ($line in $lines) {
        if ("$line" -match '(Passed|Failed)!\s+-\s+Failed:\s+(\d+),\s+Passed:\s+(\d+),\s+Skipped:\s+(\d+)') {
            $totals.Failed += [int]$Matches[2]
            $totals.Passed += [int]$Matches[3]
            $totals.Skipped += [int]$Matches[4]
        }
    }

    if ($exitCode -ne 0 -and $totals.Failed -eq 0) { $totals.Failed = 1 } # a run that broke before reporting is a failure
    return $totals
}

foreach ($step in $tasks) {
    switch ($step) {
        'Build' {
            Invoke-Native dotnet @('build', (Join-Path $root 'Repartir.PowerShell.sln'), '-c', $Configuration)
        }
        'Docs' {
            if (Import-PlatyPS) {
                Export-Help -Destination $committedHelp
                Write-Host "MAML help written to $committedHelp"
            }
        }
        'Package' {
            Invoke-Package
        }
        'Cli' {
            # Native AOT: one task end to end in ~15 ms instead of ~250 ms of JIT start-up.
            $out = Join-Path $root 'out/bin'
            Invoke-Native dotnet @('publish', (Join-Path $root 'src/Repartir.Cli/Repartir.Cli.csproj'), '-c', $Configuration, '-r', 'linux-x64', '-p:PublishAot=true', '-o', $out, '--nologo')
            Write-Host "repartir published in $(Join-Path $out 'repartir')"
        }
        'Test' {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            Invoke-Native dotnet @('build', (Join-Path $root 'Repartir.PowerShell.sln'), '-c', $Configuration)
            Test-HelpIsCurrent
            Invoke-Package
            $xunit = Invoke-XunitSuites
            $pester = Invoke-PesterSuite
            if (-not $pester) { $pester = [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0 } }
            $passed = $xunit.Passed + $pester.Passed
            $failed = $xunit.Failed + $pester.Failed
            $skipped = $xunit.Skipped + $pester.Skipped
            Write-Host ('{0} passed, {1} failed, {2} skipped (xunit {3}/{4}/{5}, Pester {6}/{7}/{8} passed/failed/skipped) in {9:mm\:ss}' -f
                $passed, $failed, $skipped, $xunit.Passed, $xunit.Failed, $xunit.Skipped, $pester.Passed, $pester.Failed, $pester.Skipped, $clock.Elapsed)
            if ($failed -gt 0) { exit 1 }
        }
        'Pester' {
            Invoke-Package
            $pester = Invoke-PesterSuite
            if ($pester -and $pester.Failed -gt 0) { exit 1 }
        }
        'Demo' {
            Invoke-Package
            & (Get-Pwsh) -NoProfile -NonInteractive -File (Join-Path $root 'examples/fan-out.ps1') -ModulePath (Join-Path (Get-PackagePath) 'Repartir.psd1')
            if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
        }
        'Bench' {
            Invoke-Package
            $bench = @('run', '-c', 'Release', '--project', (Join-Path $root 'bench/Repartir.Bench'), '--')
            Invoke-Native dotnet ($bench + 'all')
            Invoke-Native dotnet ($bench + @('cmdlet', '--pwsh', (Get-Pwsh), '--module', (Join-Path (Get-PackagePath) 'Repartir.psd1')))
        }
    }
}
