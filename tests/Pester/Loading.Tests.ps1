BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:conflict = @(
        (Join-Path $PSScriptRoot '../LoadConflict/bin/Release/net8.0/LoadConflict.psd1')
        (Join-Path $PSScriptRoot '../LoadConflict/bin/Debug/net8.0/LoadConflict.psd1')
    ) | Where-Object { Test-Path $_ } | Select-Object -First 1
}

Describe 'Loading next to a module with another version of a dependency' -Tag 'Integration' {
    # LoadConflict needs Microsoft.Extensions.Logging.Abstractions 6.0 in PowerShell's default context; Repartir
    # ships 8.0 in its own. Each order runs in a fresh pwsh, since an assembly once loaded stays loaded.
    It 'works with <first> imported first' -ForEach @(
        @{ first = 'the other module'; script = 'Import-Module $conflict; Get-ConflictingLogger; Import-Module $repartir; (Submit-RepartirTask -FilePath true).Success' }
        @{ first = 'Repartir'; script = 'Import-Module $repartir; (Submit-RepartirTask -FilePath true).Success; Import-Module $conflict; Get-ConflictingLogger' }
    ) {
        $conflict | Should -Not -BeNullOrEmpty -Because 'the solution build makes tests/LoadConflict'
        $command = "`$ErrorActionPreference = 'Stop'; `$conflict = '$conflict'; `$repartir = '$RepartirManifest'; $script"
        $output = & $Pwsh -NoProfile -NonInteractive -Command $command 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output | Should -Contain '6.0.0.0'
        $output | Should -Contain 'True'
    }
}

Describe 'Import-Module -Force' -Tag 'Integration' {
    It 'keeps every cmdlet when the module is imported again' {
        Import-Module $RepartirManifest -Force
        Import-Module $RepartirManifest -Force
        (Get-Command -Module Repartir).Count | Should -Be 22
        (Submit-RepartirTask -FilePath true).Success | Should -BeTrue
        (Get-Help New-RepartirPool).description.Text -join ' ' | Should -Match 'work-stealing' # help survives the re-import too
    }
}

Describe 'Remove-Module Repartir' -Tag 'Integration' {
    It 'stops every pool and worker, their threads, listeners and processes' {
        $pidFile = Join-Path $TestDrive 'pid'
        $pool = New-RepartirPool -Name 'pester-removed' -CpuWorkers 2
        $worker = Start-RepartirWorker -Bind '127.0.0.1:0' -Name 'pester-removed'
        Submit-RepartirTask -Pool $pool -FilePath sh -ArgumentList '-c', "echo `$`$ > $pidFile; exec sleep 300" -NoWait | Out-Null
        Wait-Until { (Test-Path $pidFile) -and (Get-Content $pidFile) } -What 'the task to start'
        $task = [int](Get-Content $pidFile)

        try {
            Remove-Module Repartir
            Wait-Until { -not (Test-ProcessAlive $task) } -Seconds 10 -What 'the task to be killed'
            Wait-Until { -not (Get-ChildItem /proc/self/task | Where-Object { (Get-Content "$($_.FullName)/comm") -like 'repartir pester-*' }) } -Seconds 10 -What "the pool's threads to end"
            $probe = [System.Net.Sockets.TcpClient]::new()
            { $probe.Connect([System.Net.IPEndPoint]::Parse($worker.Endpoint)) } | Should -Throw
            $probe.Dispose()
        }
        finally {
            Import-Module $RepartirManifest -Force
        }

        Get-RepartirPool -Name 'pester-removed' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Results that come back from another process' -Tag 'Integration' {
    It 'keep their Id, kinds and table view after Start-Job' {
        $results = Start-Job { Import-Module $using:RepartirManifest; 1..2 | Submit-RepartirTask -FilePath echo -Ordered } | Receive-Job -Wait -AutoRemoveJob
        $results[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.Repartir.Cmdlets.Tasks.TaskResultInfo'
        $results.Id | Should -Be @(1, 2)
        $results.Failure | Should -Be @('None', 'None')
        ($results | Format-Table | Out-String) | Should -Match '(?m)^\s+1 True\s+0 None'
    }

    It 'export to csv and json without bytes or engine objects' {
        $result = Get-Item $PSCommandPath | Submit-RepartirTask -FilePath true
        $columns = ($result | ConvertTo-Csv)[0] -split ','
        $columns | Should -Not -Contain '"StdoutBytes"'
        $columns | Should -Not -Contain '"Spec"'
        $json = $result | ConvertTo-Json -WarningAction SilentlyContinue
        $json | Should -Match '"Failure": "None"'
        $json.Length | Should -BeLessThan 8KB
    }
}
