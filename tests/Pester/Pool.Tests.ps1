BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'New-RepartirPool' -Tag 'Unit' {
    AfterEach {
        Get-RepartirPool -Name 'pester-*' | Remove-RepartirPool -Force -Confirm:$false
    }

    It 'creates a pool with the given workers and returns it' {
        $pool = New-RepartirPool -Name 'pester-new' -CpuWorkers 3
        $pool.Name | Should -Be 'pester-new'
        $pool.CpuWorkers | Should -Be 3
        $pool.State | Should -Be 'Running'
        $pool.PSObject.TypeNames[0] | Should -Be 'Repartir.Cmdlets.Pools.PoolInfo'
        $pool.PlacementTimeout | Should -Be ([TimeSpan]::FromSeconds(60))
    }

    It 'refuses a name that is taken with PoolExists' {
        New-RepartirPool -Name 'pester-dup' -CpuWorkers 1 | Out-Null
        { New-RepartirPool -Name 'pester-dup' -CpuWorkers 1 } | Should -Throw -ErrorId 'PoolExists,Repartir.Cmdlets.Commands.NewRepartirPoolCommand'
    }

    It 'refuses -CpuWorkers 0 without workers with InvalidPoolSettings and a message that says why' {
        { New-RepartirPool -Name 'pester-bad' -CpuWorkers 0 } | Should -Throw -ErrorId 'InvalidPoolSettings,Repartir.Cmdlets.Commands.NewRepartirPoolCommand'
        try { New-RepartirPool -Name 'pester-bad' -CpuWorkers 0 } catch { $caught = $_ }
        $caught.TargetObject | Should -Be 'pester-bad'
        $caught.Exception.Message | Should -Be 'CpuWorkers must be between 1 and 4096, not 0 (0 is allowed only when the pool has remote workers).'
    }

    It 'validates -CpuWorkers against its range' {
        { New-RepartirPool -Name 'pester-bad' -CpuWorkers 5000 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Repartir.Cmdlets.Commands.NewRepartirPoolCommand'
    }

    It 'creates nothing under -WhatIf' {
        New-RepartirPool -Name 'pester-whatif' -WhatIf
        Get-RepartirPool -Name 'pester-whatif' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Get-RepartirPool' -Tag 'Unit' {
    BeforeAll {
        New-RepartirPool -Name 'pester-get-a' -CpuWorkers 1 | Out-Null
        New-RepartirPool -Name 'pester-get-b' -CpuWorkers 1 | Out-Null
    }
    AfterAll {
        Get-RepartirPool -Name 'pester-*' | Remove-RepartirPool -Force -Confirm:$false
    }

    It 'matches wildcards' {
        (Get-RepartirPool -Name 'pester-get-*').Name | Should -Be @('pester-get-a', 'pester-get-b')
    }

    It 'writes PoolNotFound for a literal name that matches nothing' {
        Get-RepartirPool -Name 'pester-none' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'PoolNotFound,Repartir.Cmdlets.Commands.GetRepartirPoolCommand'
        $err[0].TargetObject | Should -Be 'pester-none'
    }

    It 'binds -Name by property name from the pipeline' {
        ([pscustomobject]@{ Name = 'pester-get-a' } | Get-RepartirPool).Name | Should -Be 'pester-get-a'
    }
}

Describe 'Remove-RepartirPool' -Tag 'Unit' {
    It 'waits for running work by default' {
        $pool = New-RepartirPool -Name 'pester-graceful' -CpuWorkers 1
        $handle = Submit-RepartirTask -Pool $pool -FilePath sleep -ArgumentList '0.5' -NoWait
        Remove-RepartirPool -Name 'pester-graceful' -Confirm:$false
        ($handle | Wait-RepartirTask).Success | Should -BeTrue
        $pool.State | Should -Be 'Stopped'
    }

    It 'cancels running work with -Force' {
        $pool = New-RepartirPool -Name 'pester-forced' -CpuWorkers 1
        $handle = Submit-RepartirTask -Pool $pool -FilePath sleep -ArgumentList '30' -NoWait
        Start-Sleep -Milliseconds 200
        $pool | Remove-RepartirPool -Force -Confirm:$false
        ($handle | Wait-RepartirTask).Failure | Should -Be 'Cancelled'
    }
}
