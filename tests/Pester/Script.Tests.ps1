BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'Submit-RepartirTask -ScriptBlock' -Tag 'Script' {
    BeforeAll {
        $pool = New-RepartirPool -Name 'pester-scripts' -CpuWorkers 2
    }

    AfterAll {
        $pool | Remove-RepartirPool -Force -Confirm:$false
    }

    It 'runs a script block per item with $using: values, functions and arguments' {
        $offset = 10
        function Get-Square([int] $x) { $x * $x }
        $results = 1..4 | Submit-RepartirTask -Pool $pool -Ordered -ImportFunction Get-Square -ArgumentList 2 -ScriptBlock {
            param($times) (Get-Square $_) * $times + $using:offset
        }
        $results.Output | Should -Be @(12, 18, 28, 42)
        $results.Success | Should -Not -Contain $false
    }

    It 'fails the throwing task only, and -Stream attributes its error to its item' {
        $errors = $null
        $output = 1..5 | Submit-RepartirTask -Pool $pool -Stream -ScriptBlock { if ($_ -eq 3) { throw "item $_ is bad" }; $_ } -ErrorVariable errors -ErrorAction SilentlyContinue
        ($output | Sort-Object) | Should -Be @(1, 2, 4, 5)
        $errors | Should -HaveCount 1
        $errors[0].ToString() | Should -Be '{ if ($_ -eq 3) { throw "item $_ is bad... } 3: item 3 is bad' # the script cut at 40 characters, its item, the message
    }

    It 'stops a script at its timeout' {
        $result = 1 | Submit-RepartirTask -Pool $pool -TimeoutSeconds 0.3 -ScriptBlock { Start-Sleep -Seconds 30 }
        $result.Failure | Should -Be 'TimedOut'
        $result.Duration.TotalSeconds | Should -BeLessThan 20
    }

    It 'runs 10,000 tiny script blocks in a bounded number of runspaces without growing in memory' {
        $before = @(Get-Runspace).Count
        (1..10000 | Submit-RepartirTask -Pool $pool -Stream -ScriptBlock { $_ * 2 } | Measure-Object -Sum).Sum | Should -Be 100010000
        [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
        $afterFirst = [GC]::GetTotalMemory($true)
        (1..10000 | Submit-RepartirTask -Pool $pool -Stream -ScriptBlock { $_ * 2 } | Measure-Object).Count | Should -Be 10000
        [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
        $afterSecond = [GC]::GetTotalMemory($true)
        ($afterSecond - $afterFirst) / 1MB | Should -BeLessThan 16 -Because 'the second 10,000 leave nothing behind'
        @(Get-Runspace).Count - $before | Should -BeLessOrEqual 2 -Because 'a runspace per CPU worker at most'
    }

    It 'refuses -Backend Gpu for a script block with a clear reason' {
        { 1 | Submit-RepartirTask -Pool $pool -Backend Gpu -ScriptBlock { 1 } } | Should -Throw -ErrorId 'InvalidScriptTask*'
    }
}

Describe 'Submit-RepartirTask -AsJob' -Tag 'Script' {
    BeforeAll {
        $pool = New-RepartirPool -Name 'pester-jobs' -CpuWorkers 2
    }

    AfterAll {
        Get-Job | Where-Object PSJobTypeName -eq 'RepartirJob' | Remove-Job -Force
        $pool | Remove-RepartirPool -Force -Confirm:$false
    }

    It 'works with Get-Job, Wait-Job, Receive-Job -Keep and Remove-Job' {
        $job = 1..3 | Submit-RepartirTask -Pool $pool -AsJob -ScriptBlock { $_ + 100 }
        (Get-Job -Id $job.Id).PSJobTypeName | Should -Be 'RepartirJob'
        (Wait-Job $job -Timeout 60).State | Should -Be 'Completed'
        (Receive-Job $job -Keep | Sort-Object) | Should -Be @(101, 102, 103)
        (Receive-Job $job | Measure-Object).Count | Should -Be 3
        Remove-Job $job
        Get-Job -Id $job.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'ends Failed when a task failed, and Stop-Job stops the rest' {
        $failed = 1..2 | Submit-RepartirTask -Pool $pool -AsJob -ScriptBlock { if ($_ -eq 2) { throw 'no' }; $_ }
        (Wait-Job $failed -Timeout 60).State | Should -Be 'Failed'
        $slow = 1..4 | Submit-RepartirTask -Pool $pool -AsJob -ScriptBlock { Start-Sleep -Seconds 60 }
        Start-Sleep -Milliseconds 300
        Stop-Job $slow
        $slow.State | Should -Be 'Stopped'
        Remove-Job $failed, $slow
    }
}

Describe 'Submit-RepartirTask -ScriptBlock -Backend Remote on a worker inside PowerShell' -Tag 'Script', 'Remote' {
    BeforeAll {
        # The worker runs script blocks in pwsh from its PATH: this very pwsh.
        $env:PATH = "$PSHOME" + [IO.Path]::PathSeparator + $env:PATH
        $node = Start-RepartirWorker -Bind '127.0.0.1:0' -Name 'pester-remote-ps' -Slots 2
        $pool = New-RepartirPool -Name 'pester-remote-scripts' -CpuWorkers 0 -Worker $node.Endpoint
    }

    AfterAll {
        $pool | Remove-RepartirPool -Force -Confirm:$false
        $node | Stop-RepartirWorker -Force -Confirm:$false
    }

    It 'runs in pwsh on the worker with $using: copies, functions and arguments, and brings deserialized objects back' {
        $factor = 7
        $local = [System.Collections.Generic.List[int]]::new()
        function Add-Ten([int] $x) { $x + 10 }
        $results = 1..2 | Submit-RepartirTask -Pool $pool -Backend Remote -Ordered -ImportFunction Add-Ten -ArgumentList 'tag' -ScriptBlock {
            param($label)
            $copy = $using:local
            [void] $copy.Add(99)
            Write-Warning "seen $_"
            [pscustomobject]@{ Item = $_; Value = Add-Ten ($_ * $using:factor); Label = $label; ProcessId = $PID }
        }
        $results.Success | Should -Be @($true, $true)
        $results.Output.Value | Should -Be @(17, 24)
        $results.Output.Label | Should -Be @('tag', 'tag')
        $results[0].Output[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.System.Management.Automation.PSCustomObject'
        $results.Output.ProcessId | Should -Be @($PID, $PID) -Because 'a worker inside PowerShell runs them in runspaces of its own, not in a pwsh each'
        $results.Worker | ForEach-Object { ($_ -split '/')[0] } | Should -Be @('pester-remote-ps', 'pester-remote-ps')
        $results.Warnings.Message | Should -Be @('seen 1', 'seen 2')
        $local.Count | Should -Be 0 -Because '$using: values travel as copies, as with Invoke-Command'
    }

    It 'fails the throwing task with its message and line' {
        $result = 1 | Submit-RepartirTask -Pool $pool -Backend Remote -ScriptBlock { throw "remote bad $_" }
        $result.Failure | Should -Be 'WorkFailed'
        $result.FailureMessage | Should -Be 'remote bad 1 (line 1: throw "remote bad $_")'
    }
}

BeforeDiscovery {
    # The repartir executable the build made (the Test task builds it before this suite); without it the daemon test is skipped.
    $cliBuilt = @('Release', 'Debug') | ForEach-Object { Join-Path $PSScriptRoot "../../src/Repartir.Cli/bin/$_/net10.0/repartir" } | Where-Object { Test-Path $_ } | Select-Object -First 1
}

Describe 'Submit-RepartirTask -ScriptBlock -Backend Remote on a repartir worker daemon' -Tag 'Script', 'Remote' {
    BeforeAll {
        $cli = @('Release', 'Debug') | ForEach-Object { Join-Path $PSScriptRoot "../../src/Repartir.Cli/bin/$_/net10.0/repartir" } | Where-Object { Test-Path $_ } | Select-Object -First 1
        if ($cli) {
            # The daemon runs each script-block task in pwsh from its PATH: this very pwsh.
            $start = [Diagnostics.ProcessStartInfo]::new($cli, [string[]] @('worker', '--bind', '127.0.0.1:0', '--name', 'pester-cli-ps', '--slots', '2'))
            $start.RedirectStandardError = $true
            $start.Environment['PATH'] = "$PSHOME" + [IO.Path]::PathSeparator + $env:PATH
            $daemon = [Diagnostics.Process]::Start($start)
            $endpoint = $null
            while (-not $endpoint -and ($line = $daemon.StandardError.ReadLine()) -ne $null) {
                if ($line -match 'listening on (\S+) with') { $endpoint = $Matches[1] }
            }
            $pool = New-RepartirPool -Name 'pester-cli-scripts' -CpuWorkers 0 -Worker $endpoint
        }
    }

    AfterAll {
        if ($cli) {
            $pool | Remove-RepartirPool -Force -Confirm:$false
            $daemon.Kill($true)
        }
    }

    It 'says so when the daemon has no pwsh' -Skip:(-not $cliBuilt) {
        $empty = Join-Path ([IO.Path]::GetTempPath()) "repartir-no-pwsh-$PID"
        New-Item -ItemType Directory -Path $empty -Force | Out-Null
        $start = [Diagnostics.ProcessStartInfo]::new($cli, [string[]] @('worker', '--bind', '127.0.0.1:0', '--name', 'pester-no-pwsh', '--slots', '1'))
        $start.RedirectStandardError = $true
        $start.Environment['PATH'] = $empty # nothing to run there, pwsh least of all
        $bare = [Diagnostics.Process]::Start($start)
        try {
            $at = $null
            while (-not $at -and ($line = $bare.StandardError.ReadLine()) -ne $null) {
                if ($line -match 'listening on (\S+) with') { $at = $Matches[1] }
            }
            $without = New-RepartirPool -Name 'pester-no-pwsh' -CpuWorkers 0 -Worker $at
            $result = 1 | Submit-RepartirTask -Pool $without -Backend Remote -ScriptBlock { $_ }
            $result.Failure | Should -Be 'NotFound'
            $result.FailureMessage | Should -BeLike 'Worker pester-no-pwsh has no pwsh on its PATH: a script block on a remote worker runs in PowerShell 7 there.*'
        }
        finally {
            Remove-RepartirPool -Name 'pester-no-pwsh' -Force -Confirm:$false -ErrorAction SilentlyContinue
            $bare.Kill($true)
            Remove-Item $empty -Force -ErrorAction SilentlyContinue
        }
    }

    It 'runs each task in pwsh on the daemon and brings deserialized objects back' -Skip:(-not $cliBuilt) {
        $offset = 5
        $results = 1..2 | Submit-RepartirTask -Pool $pool -Backend Remote -Ordered -ScriptBlock { [pscustomobject]@{ Value = $_ + $using:offset; ProcessId = $PID } }
        $results.Success | Should -Be @($true, $true)
        $results.Output.Value | Should -Be @(6, 7)
        $results.Output.ProcessId | Should -Not -Contain $PID -Because 'the daemon started a pwsh for each'
        $results.Output.ProcessId | Should -Not -Contain $daemon.Id
        $results[0].Output[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.System.Management.Automation.PSCustomObject'
    }
}
