BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'The checkpoint store inside PowerShell' -Tag 'Integration' {
    It 'loads SQLite and its native library in the module''s own context, from the module folder' {
        # In a fresh pwsh: what it loads stays out of this session.
        $path = Join-Path ([System.IO.Path]::GetTempPath()) ("repartir-pester-store-" + [guid]::NewGuid().ToString('N'))
        $script = {
            param($manifest, $path)
            Import-Module $manifest
            Get-RepartirPool | Out-Null # the engine is loaded with the first cmdlet
            # Types in the module's own context are not visible to [TypeName] lookups, by design: reach them through their assembly.
            $engine = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Repartir.Engine' })
            $store = $engine[0].GetType('Repartir.Checkpoints.CheckpointStore', $true)::new($path, $null)
            try {
                $saved = $store.Save('pester', @{ epoch = 7; weights = @(1.5, 2.5) }, 7)
                $restored = $store.Restore('pester')
            }
            finally { $store.Dispose() }
            $sqlite = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Microsoft.Data.Sqlite' })
            [pscustomobject]@{
                Engines = $engine.Count
                Version = $saved.Version
                Epoch = $restored.Item2['epoch']
                Weight = $restored.Item2['weights'][1]
                SqliteCopies = $sqlite.Count
                SqliteContext = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($sqlite[0]).Name
                Native = @(Get-Content "/proc/$PID/maps" | Where-Object { $_ -match 'libe_sqlite3' } | ForEach-Object { ($_ -split '\s+')[-1] } | Select-Object -Unique)
            } | ConvertTo-Json -Compress
        }
        $json = & $Pwsh -NoProfile -NonInteractive -Command $script -args $RepartirManifest, $path
        Remove-Item -Recurse -Force $path -ErrorAction SilentlyContinue
        $seen = $json | ConvertFrom-Json

        $seen.Engines | Should -Be 1
        $seen.Version | Should -Be 1
        $seen.Epoch | Should -Be 7
        $seen.Weight | Should -Be 2.5
        $seen.SqliteCopies | Should -Be 1
        $seen.SqliteContext | Should -BeLike 'Repartir (*'
        $seen.Native | Should -Be (Join-Path (Split-Path $RepartirManifest) 'bin/runtimes/linux-x64/native/libe_sqlite3.so')
    }
}

Describe 'Save-, Restore-, Get- and Remove-RepartirCheckpoint' -Tag 'Unit' {
    BeforeAll {
        $store = Join-Path $TestDrive 'store'
    }

    It 'round-trips a nested state and its versions' {
        $state = [ordered]@{ epoch = 2; weights = @(0.5, 1.5); model = [pscustomobject]@{ name = 'm'; when = [datetime]'2026-03-04T05:06:07Z' }; raw = [byte[]](9, 8) }
        $first = Save-RepartirCheckpoint -Name train -InputObject $state -Iteration 2 -Path $store
        $state.epoch = 3
        Save-RepartirCheckpoint -Name train -InputObject $state -Iteration 3 -Path $store | Out-Null

        $first.Version | Should -Be 1
        $first.Sha256 | Should -Match '^[0-9a-f]{64}$'
        $latest = Restore-RepartirCheckpoint -Name train -Path $store
        $latest.epoch | Should -Be 3
        $latest.weights | Should -Be @(0.5, 1.5)
        $latest.model.name | Should -Be 'm'
        $latest.model.when | Should -Be ([datetime]'2026-03-04T05:06:07Z').ToUniversalTime()
        $latest.raw | Should -Be @(9, 8)
        (Restore-RepartirCheckpoint -Name train -Iteration 2 -Path $store).epoch | Should -Be 2
        (Restore-RepartirCheckpoint -Name train -Version 2 -Path $store -AsHashtable)['epoch'] | Should -Be 3
        (Get-RepartirCheckpoint -Path $store).Version | Should -Be @(1, 2)
    }

    It 'refuses a value it cannot hold with the path of the value' {
        { Save-RepartirCheckpoint -Name bad -InputObject @{ list = @(1, { 'a script block' }) } -Path $store } |
            Should -Throw -ErrorId 'StateNotStorable,Repartir.Cmdlets.Commands.SaveRepartirCheckpointCommand' -ExpectedMessage '$state.list`[1`] is a System.Management.Automation.ScriptBlock*'
        Get-RepartirCheckpoint -Name bad -Path $store -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'says which checkpoint is missing' {
        { Restore-RepartirCheckpoint -Name missing -Path $store } | Should -Throw -ErrorId 'CheckpointNotFound,Repartir.Cmdlets.Commands.RestoreRepartirCheckpointCommand'
    }

    It 'keeps the last versions, asking first' {
        1..4 | ForEach-Object { Save-RepartirCheckpoint -Name keep -InputObject $_ -Path $store } | Out-Null
        Remove-RepartirCheckpoint -Name keep -KeepLast 1 -WhatIf -Path $store
        (Get-RepartirCheckpoint -Name keep -Path $store).Count | Should -Be 4
        Remove-RepartirCheckpoint -Name keep -KeepLast 1 -Confirm:$false -Path $store
        (Get-RepartirCheckpoint -Name keep -Path $store).Version | Should -Be 4
        Restore-RepartirCheckpoint -Name keep -Path $store | Should -Be 4
    }

    It 'formats checkpoints as a table' {
        $text = Get-RepartirCheckpoint -Name train -Path $store | Out-String -Width 120
        $text | Should -Match 'Name\s+Version\s+Iteration\s+Created\s+Size\s+Sha256'
        $text | Should -Match 'train\s+2\s+3\s'
    }

    It 'uses REPARTIR_HOME as the default store in a fresh PowerShell' {
        $storeHome = Join-Path $TestDrive 'home'
        $script = {
            param($manifest, $storeHome)
            $env:REPARTIR_HOME = $storeHome
            Import-Module $manifest
            Save-RepartirCheckpoint -Name nightly -InputObject @{ done = 'a', 'b' } | Out-Null
            (Restore-RepartirCheckpoint -Name nightly).done -join ','
        }
        & $Pwsh -NoProfile -NonInteractive -Command $script -args $RepartirManifest, $storeHome | Should -Be 'a,b'
        Join-Path $storeHome 'repartir.db' | Should -Exist
    }
}

Describe 'Submit-RepartirTask -Journal in a real pwsh killed with SIGKILL' -Tag 'Integration' {
    It 'runs again only what was not recorded, and gives back every task once' {
        $store = Join-Path $TestDrive 'journal-store'
        $runs = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'runs')
        $script = Join-Path $TestDrive 'fanout.ps1'
        # Each execution of task N appends a line to runs/N first; results are printed as "N FromJournal".
        Set-Content -Path $script -Value @'
param($manifest, $store, $runs)
Import-Module $manifest
1..60 | Submit-RepartirTask -FilePath sh -ArgumentList '-c', 'echo x >> "$0/$1"; sleep 0.05', $runs, '{}' -Journal crash -JournalPath $store -Pool (New-RepartirPool -Name jp -CpuWorkers 4) |
    ForEach-Object { '{0} {1} {2}' -f $_.InputObject, $_.Success, $_.FromJournal }
'@
        function Get-Executions { 1..60 | ForEach-Object { $f = Join-Path $runs $_; if (Test-Path $f) { @(Get-Content $f).Count } else { 0 } } }

        $first = Start-Process -FilePath $Pwsh -ArgumentList '-NoProfile', '-NonInteractive', '-File', $script, $RepartirManifest, $store, $runs -PassThru -RedirectStandardOutput (Join-Path $TestDrive 'first.txt')
        Wait-Until { ((Get-Executions) | Measure-Object -Sum).Sum -ge 24 } -Seconds 60 -What 'the first run to get going'
        Start-Sleep -Milliseconds 200 # some of what finished is committed; the rest is in flight
        Stop-Process -Id $first.Id -Force # SIGKILL
        $first.WaitForExit()
        # The watchdog ends the killed run's tasks; one just started could still write its line.
        Wait-Until { -not (Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | Where-Object { (Get-Content (Join-Path $_.FullName 'cmdline') -Raw -ErrorAction SilentlyContinue) -like "*$runs*" }) } -Seconds 30 -What 'the killed run''s tasks to end'
        $before = Get-Executions

        $lines = & $Pwsh -NoProfile -NonInteractive -File $script $RepartirManifest $store $runs
        $after = Get-Executions

        $LASTEXITCODE | Should -Be 0
        $lines.Count | Should -Be 60
        $results = $lines | ForEach-Object { $n, $ok, $journal = $_ -split ' '; [pscustomobject]@{ Task = [int]$n; Success = $ok -eq 'True'; FromJournal = $journal -eq 'True' } }
        ($results.Task | Sort-Object) | Should -Be (1..60)
        $results.Success | Should -Not -Contain $false
        $recorded = @($results | Where-Object FromJournal)
        $recorded.Count | Should -BeGreaterThan 0 -Because 'the killed run recorded successes before it died'
        foreach ($result in $results) {
            $ranAgain = $after[$result.Task - 1] - $before[$result.Task - 1]
            $ranAgain | Should -Be ([int](-not $result.FromJournal)) -Because "task $($result.Task) runs again exactly when it was not recorded"
            $after[$result.Task - 1] | Should -BeGreaterOrEqual 1
        }
    }
}
