BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'Export-RepartirResult and Import-RepartirResult' -Tag 'Unit' {
    It 'writes a Parquet table that reads back as results' {
        $path = Join-Path $TestDrive 'results.parquet'
        $results = 1..4 | Submit-RepartirTask -FilePath sh -ArgumentList '-c', 'echo "n=$1"; [ $1 -ne 3 ]', sh, '{}' -Ordered
        $results | Export-RepartirResult -Path $path

        $path | Should -Exist
        [System.IO.File]::ReadAllBytes($path)[0..3] | Should -Be ([byte[]][char[]]'PAR1')
        $back = Import-RepartirResult -Path $path
        $back.Count | Should -Be 4
        $back.InputObject | Should -Be @('1', '2', '3', '4')
        $back.Success | Should -Be @($true, $true, $false, $true)
        $back.Stdout | Should -Be @("n=1`n", "n=2`n", "n=3`n", "n=4`n")
        $back.ExitCode | Should -Be @(0, 0, 1, 0)
        ($back | Where-Object { -not $_.Success }).Failure | Should -Be 'None'
    }

    It 'refuses to replace a file with -NoClobber and says why' {
        $path = Join-Path $TestDrive 'kept.parquet'
        Set-Content -Path $path -Value 'kept'
        { Submit-RepartirTask -FilePath true | Export-RepartirResult -Path $path -NoClobber } |
            Should -Throw -ErrorId 'ResultsNotWritten,Repartir.Cmdlets.Commands.ExportRepartirResultCommand'
        Get-Content $path | Should -Be 'kept'
    }

    It 'names a file that is not a results table' {
        $path = Join-Path $TestDrive 'not.parquet'
        Set-Content -Path $path -Value 'a,b'
        Import-RepartirResult -Path $path -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -Be 'ResultsNotReadable,Repartir.Cmdlets.Commands.ImportRepartirResultCommand'
        $problems[0].Exception.Message | Should -BeLike '*not.parquet is not a Parquet file*'
    }
}
