BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'Pools over remote workers: New-RepartirPool -Worker, Add-, Get- and Remove-RepartirWorker' -Tag 'Remote' {
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
        $pool.RemoteWorkers | Should -Be 2
        $results = 1..20 | Submit-RepartirTask -Pool $pool -FilePath 'echo' -ArgumentList 'item', '{_}'
        $results.Count | Should -Be 20
        $results | ForEach-Object { $_.Success | Should -BeTrue }
        ($results.Worker | ForEach-Object { ($_ -split '/')[0] } | Sort-Object -Unique) | Should -Be @('pester-node1', 'pester-node2')
    }

    It 'lists the workers with their state and figures' {
        New-RepartirPool -Name 'pester-farm-get' -Worker $nodes[0].Endpoint | Out-Null
        $worker = Get-RepartirWorker -Pool 'pester-farm-get'
        $worker.PSObject.TypeNames[0] | Should -Be 'Repartir.Cmdlets.Workers.RemoteWorkerInfo'
        $worker.State | Should -Be 'Online'
        $worker.Name | Should -Be 'pester-node1'
        $worker.Slots | Should -Be 2
        Get-RepartirWorker -Pool 'pester-farm-get' 'pester-node*' | Should -HaveCount 1
    }

    It 'adds workers from the pipeline by their Endpoint and removes them by address' {
        $pool = New-RepartirPool -Name 'pester-farm-grow' -CpuWorkers 1
        $added = $nodes | Add-RepartirWorker -Pool $pool
        $added | Should -HaveCount 2
        Remove-RepartirWorker -Pool $pool -Address $nodes[1].Endpoint -Confirm:$false
        (Get-RepartirWorker -Pool $pool).Name | Should -Be 'pester-node1'
    }

    It 'warns about a worker that cannot be reached yet and still creates the pool' {
        $pool = New-RepartirPool -Name 'pester-farm-warn' -CpuWorkers 1 -Worker '127.0.0.1:1' -WarningVariable warnings -WarningAction SilentlyContinue
        $pool | Should -Not -BeNullOrEmpty
        $warnings[0] | Should -Match 'cannot be reached yet'
    }

    It 'refuses to remove the last place a pool can run tasks' {
        $pool = New-RepartirPool -Name 'pester-farm-last' -Worker $nodes[0].Endpoint
        Remove-RepartirWorker -Pool $pool -Address $nodes[0].Endpoint -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'LastWorker,Repartir.Cmdlets.Commands.RemoveRepartirWorkerCommand'
    }

    It 'reports a malformed address with InvalidWorkerAddress' {
        $pool = New-RepartirPool -Name 'pester-farm-bad' -CpuWorkers 1
        Add-RepartirWorker -Pool $pool -Address 'not-an-address' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'InvalidWorkerAddress,Repartir.Cmdlets.Commands.AddRepartirWorkerCommand'
    }
}
