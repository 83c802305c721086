BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'Pools over worker daemons: New-RepartirPool -Worker, Add-, Get- and Remove-RepartirPoolWorker' -Tag 'Remote' {
    BeforeAll {
        $nodes = 1..2 | ForEach-Object { Start-RepartirWorker -Bind '127.0.0.1:0' -Name "pester-node$_" -Slots 2 }
    }

    AfterAll {
        $nodes | Stop-RepartirWorker -Force -Confirm:$false
    }

    AfterEach {
        Get-RepartirPool -Name 'pester-farm*' -ErrorAction SilentlyContinue | Remove-RepartirPool -Force -Confirm:$false
    }

    It 'runs tasks on the workers of a pool created with -Worker' {
        $pool = New-RepartirPool -Name 'pester-farm' -Worker $nodes.Endpoint
        $pool.CpuWorkers | Should -Be 0
        $pool.PoolWorkers | Should -Be 2
        $results = 1..20 | Submit-RepartirTask -Pool $pool -FilePath 'echo' -ArgumentList 'item', '{}'
        $results.Count | Should -Be 20
        $results | ForEach-Object { $_.Success | Should -BeTrue }
        ($results.Worker | ForEach-Object { ($_ -split '/')[0] } | Sort-Object -Unique) | Should -Be @('pester-node1', 'pester-node2')
    }

    It 'lists the workers with their state and figures, and several endpoints enumerate as strings' {
        New-RepartirPool -Name 'pester-farm-get' -Worker $nodes.Endpoint | Out-Null
        $workers = Get-RepartirPoolWorker -Pool 'pester-farm-get'
        $workers[0].PSObject.TypeNames[0] | Should -Be 'Repartir.Cmdlets.Workers.PoolWorkerInfo'
        $workers.State | Should -Be @('Online', 'Online')
        $workers.Endpoint | Sort-Object | Should -Be ($nodes.Endpoint | Sort-Object)
        Get-RepartirPoolWorker 'pester-farm-get' 'pester-node1' | Should -HaveCount 1
    }

    It 'adds the session''s workers from Get-RepartirWorker by Endpoint and removes them by endpoint' {
        $pool = New-RepartirPool -Name 'pester-farm-grow' -CpuWorkers 1
        $added = Get-RepartirWorker -Name 'pester-node*' | Add-RepartirPoolWorker -Pool $pool
        $added | Should -HaveCount 2
        Remove-RepartirPoolWorker -Pool $pool -Endpoint $nodes[1].Endpoint -Confirm:$false
        (Get-RepartirPoolWorker -Pool $pool).Name | Should -Be 'pester-node1'
    }

    It 'warns about a worker that cannot be reached yet and still creates the pool' {
        $pool = New-RepartirPool -Name 'pester-farm-warn' -CpuWorkers 1 -Worker '127.0.0.1:1' -WarningVariable warnings -WarningAction SilentlyContinue
        $pool | Should -Not -BeNullOrEmpty
        $warnings[0] | Should -Match 'cannot be reached yet'
    }

    It 'ends the tasks of a pool whose only worker is unreachable as NoWorker instead of hanging' {
        $pool = New-RepartirPool -Name 'pester-farm-dead' -Worker '127.0.0.1:1' -PlacementTimeoutSeconds 1 -WarningAction SilentlyContinue
        $results = 1..3 | Submit-RepartirTask -Pool $pool -FilePath true -TimeoutSeconds 600
        $results.Failure | Should -Be @('NoWorker', 'NoWorker', 'NoWorker')
        $results[0].FailureMessage | Should -Match '127\.0\.0\.1:1 is Offline'
    }

    It 'refuses to remove the last place a pool can run tasks' {
        $pool = New-RepartirPool -Name 'pester-farm-last' -Worker $nodes[0].Endpoint
        Remove-RepartirPoolWorker -Pool $pool -Endpoint $nodes[0].Endpoint -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'LastWorker,Repartir.Cmdlets.Commands.RemoveRepartirPoolWorkerCommand'
    }

    It 'reports a malformed address with InvalidWorkerAddress and the address as target' {
        $pool = New-RepartirPool -Name 'pester-farm-bad' -CpuWorkers 1
        Add-RepartirPoolWorker -Pool $pool -Endpoint 'not-an-address' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'InvalidWorkerAddress,Repartir.Cmdlets.Commands.AddRepartirPoolWorkerCommand'
        $err[0].TargetObject | Should -Be 'not-an-address'
    }
}

Describe 'Stop-RepartirWorker -Force on a worker a pool is using' -Tag 'Remote' {
    It 'runs the worker''s tasks again on the pool''s other worker' {
        $doomed = Start-RepartirWorker -Bind '127.0.0.1:0' -Name 'pester-doomed' -Slots 1
        $spare = Start-RepartirWorker -Bind '127.0.0.1:0' -Name 'pester-spare' -Slots 1
        try {
            $pool = New-RepartirPool -Name 'pester-farm-force' -Worker $doomed.Endpoint, $spare.Endpoint
            # The tasks wait for a release file, so the doomed worker's task cannot finish before it is stopped, however slow the machine.
            $release = Join-Path $TestDrive 'release'
            $handles = 1..2 | Submit-RepartirTask -Pool $pool -FilePath sh -ArgumentList '-c', 'while [ ! -e "$1" ]; do sleep 0.05; done; echo $0', '{}', $release -NoWait
            Wait-Until { (Get-RepartirPoolWorker -Pool $pool 'pester-doomed').Running -eq 1 } -What 'a task on the doomed worker'
            $doomed | Stop-RepartirWorker -Force -Confirm:$false
            Set-Content -Path $release -Value ''
            $results = $handles | Wait-RepartirTask -TimeoutSeconds 60
            $results.Count | Should -Be 2
            $results | ForEach-Object { $_.Success | Should -BeTrue -Because "$($_.Failure) on $($_.Worker): $($_.FailureMessage)" }
            $summary = ($results | ForEach-Object { "$($_.Name) on $($_.Worker): $($_.Losses) lost, attempt $($_.Attempt)" }) -join '; '
            ($results | Where-Object Losses -EQ 1).Worker | Should -Match '^pester-spare/' -Because $summary
        }
        finally {
            Get-RepartirPool -Name 'pester-farm-force' | Remove-RepartirPool -Force -Confirm:$false
            Get-RepartirWorker -Name 'pester-spare', 'pester-doomed' -ErrorAction SilentlyContinue | Stop-RepartirWorker -Force -Confirm:$false
        }
    }
}
