BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:pool = New-RepartirPool -Name 'pester-submit' -CpuWorkers 2
}

AfterAll {
    $script:pool | Remove-RepartirPool -Force -Confirm:$false
}

Describe 'Submit-RepartirTask' -Tag 'Integration' {
    It 'runs one task per file from Get-ChildItem and carries the file on its result' {
        1..5 | ForEach-Object { Set-Content -Path (Join-Path $TestDrive "f$_.csv") -Value "row$_" }
        $results = Get-ChildItem -Path $TestDrive -Filter *.csv |
            Submit-RepartirTask -Pool $script:pool -FilePath cat -ArgumentList '{FullName}'
        $results | Should -HaveCount 5
        foreach ($result in $results) {
            $result.Success | Should -BeTrue
            $result.Stdout.Trim() | Should -Be (Get-Content $result.InputObject.FullName)
            $result.InputObject | Should -BeOfType System.IO.FileInfo
        }
    }

    It 'returns result objects with provenance' {
        $result = Submit-RepartirTask -Pool $script:pool -FilePath sh -ArgumentList '-c', 'echo out; echo err >&2; exit 3'
        $result.PSObject.TypeNames[0] | Should -Be 'Repartir.Cmdlets.Tasks.TaskResultInfo'
        $result.Id | Should -BeOfType long
        $result.Failure | Should -Be 'None'
        $result.ExitCode | Should -Be 3
        $result.Success | Should -BeFalse
        $result.Stdout | Should -Be "out`n"
        $result.Stderr | Should -Be "err`n"
        $result.Attempt | Should -Be 1
        $result.Worker | Should -Match '^cpu-\d+$'
        $result.Duration | Should -BeOfType TimeSpan
    }

    It 'keeps input order with -Ordered' {
        $results = '0.3', '0.0', '0.2', '0.1' | Submit-RepartirTask -Pool $script:pool -FilePath sleep -Ordered
        $results.InputObject | Should -Be @('0.3', '0.0', '0.2', '0.1')
    }

    It 'kills a task that runs past -TimeoutSeconds' {
        $result = Submit-RepartirTask -Pool $script:pool -FilePath sleep -ArgumentList '30' -TimeoutSeconds 0.5
        $result.Failure | Should -Be 'TimedOut'
        $result.Duration.TotalSeconds | Should -BeLessThan 10
    }

    It 'reports a missing program as a NotFound result' {
        $result = Submit-RepartirTask -Pool $script:pool -FilePath 'repartir-no-such-program'
        $result.Failure | Should -Be 'NotFound'
        $result.FailureMessage | Should -Match 'not found on PATH'
    }

    It 'retries and reports the attempt' {
        $counter = Join-Path $TestDrive 'count'
        $result = Submit-RepartirTask -Pool $script:pool -FilePath sh -ArgumentList '-c', "echo x >> $counter; test `$(wc -l < $counter) -ge 2" -RetryCount 3
        $result.Success | Should -BeTrue
        $result.Attempt | Should -Be 2
    }

    It 'fills {} {#} and script blocks per item' {
        $results = 'a', 'b' | Submit-RepartirTask -Pool $script:pool -FilePath echo -ArgumentList '{}-{#}', { $_.ToUpper() } -Ordered
        $results.Stdout | Should -Be @("a-1 A`n", "b-2 B`n")
    }

    It 'writes ArgumentExpansionFailed for an item without the property' {
        'text' | Submit-RepartirTask -Pool $script:pool -FilePath echo -ArgumentList '{FullName}' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'ArgumentExpansionFailed,Repartir.Cmdlets.Commands.SubmitRepartirTaskCommand'
        $err[0].TargetObject | Should -Be 'text'
        $err[0].Exception.Message | Should -Not -Match '\(Parameter'
    }

    It 'fails only the item whose script-block argument throws' {
        $results = 1..3 | Submit-RepartirTask -Pool $script:pool -FilePath echo -ArgumentList { if ($_ -eq 2) { throw 'no two' } $_ } -ErrorVariable err -ErrorAction SilentlyContinue
        $results.Stdout | Sort-Object | Should -Be @("1`n", "3`n")
        $err | Should -HaveCount 1
        $err[0].TargetObject | Should -Be 2
        $err[0].Exception.Message | Should -Match 'no two'
    }

    It 'takes -ArgumentList $null as no arguments' {
        (Submit-RepartirTask -Pool $script:pool -FilePath echo -ArgumentList $null).Stdout | Should -Be "`n"
    }

    It 'names the unknown pool it was given as the error''s target' {
        { Submit-RepartirTask -Pool 'pester-no-such-pool' -FilePath true } | Should -Throw -ErrorId 'PoolNotFound,Repartir.Cmdlets.Commands.SubmitRepartirTaskCommand'
        try { Submit-RepartirTask -Pool 'pester-no-such-pool' -FilePath true } catch { $_.TargetObject | Should -Be 'pester-no-such-pool' }
    }

    It 'writes a TaskFailed error per failed task with -ErrorOnFailure, and -ErrorAction Stop ends the call' {
        $results = 'ok', 'bad' | Submit-RepartirTask -Pool $script:pool -FilePath sh -ArgumentList '-c', 'test $0 = ok' -ErrorOnFailure -ErrorVariable err -ErrorAction SilentlyContinue
        $results | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'TaskFailed,Repartir.Cmdlets.Commands.SubmitRepartirTaskCommand'
        $err[0].TargetObject | Should -Be 'bad'
        $err[0].Exception.Result.ExitCode | Should -Be 1
        { 1..20 | Submit-RepartirTask -Pool $script:pool -FilePath ./no-such-program -ErrorOnFailure -ErrorAction Stop } |
            Should -Throw -ErrorId 'TaskFailed,Repartir.Cmdlets.Commands.SubmitRepartirTaskCommand'
    }

    It 'applies -Environment and -WorkingDirectory, relative to the current location' {
        Push-Location $TestDrive
        try {
            New-Item -ItemType Directory -Path 'work' | Out-Null
            $result = Submit-RepartirTask -Pool $script:pool -FilePath sh -ArgumentList '-c', 'echo "$GREETING $(pwd)"' -Environment @{ GREETING = 'hi' } -WorkingDirectory 'work'
            $result.Stdout.Trim() | Should -Be "hi $(Join-Path $TestDrive 'work')"
        }
        finally {
            Pop-Location
        }
    }

    It 'writes progress, and none when $ProgressPreference is SilentlyContinue' {
        $module = Join-Path (Get-Module Repartir).ModuleBase 'Repartir.psd1'
        $run = {
            param($module, $preference)
            Import-Module $module
            $ProgressPreference = $preference
            1..3 | Submit-RepartirTask -FilePath true | Out-Null
        }
        $loud = Start-ThreadJob $run -ArgumentList $module, 'Continue' | Wait-Job
        $loud.Progress.Activity | Should -Contain 'Repartir tasks'
        $loud.Progress.StatusDescription | Should -Contain '3/3 completed, 0 failed'
        $quiet = Start-ThreadJob $run -ArgumentList $module, 'SilentlyContinue' | Wait-Job
        $quiet.Progress | Should -BeNullOrEmpty
        $loud, $quiet | Remove-Job
    }

    It 'binds the pool by name' {
        (Submit-RepartirTask -Pool 'pester-submit' -FilePath true).Success | Should -BeTrue
    }
}

Describe 'Wait-RepartirTask' -Tag 'Integration' {
    It 'writes the results of -NoWait handles' {
        $handles = 1..3 | Submit-RepartirTask -Pool $script:pool -FilePath echo -NoWait
        $handles | Should -HaveCount 3
        $handles[0].PSObject.TypeNames[0] | Should -Be 'Repartir.Cmdlets.Tasks.TaskHandle'
        $handles[0].Id | Should -BeOfType long
        ($handles | Wait-RepartirTask).Stdout | Sort-Object | Should -Be @("1`n", "2`n", "3`n")
    }

    It 'writes WaitTimedOut for tasks still running at its timeout' {
        $handle = Submit-RepartirTask -Pool $script:pool -FilePath sleep -ArgumentList '5' -NoWait
        $handle | Wait-RepartirTask -TimeoutSeconds 0.2 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'WaitTimedOut,Repartir.Cmdlets.Commands.WaitRepartirTaskCommand'
        $err[0].TargetObject | Should -Be $handle
    }
}
