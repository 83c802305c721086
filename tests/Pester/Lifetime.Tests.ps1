BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # Starts a pwsh that runs a task writing its pid, then waits (or exits); returns the pwsh and the task's pid once
    # the pwsh has seen the task start and is about to run $Then (a signal sent earlier would race its start-up).
    function Start-Owner([string] $Then) {
        $pidFile = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $ready = "$pidFile.ready"
        $script = "Import-Module '$RepartirManifest'; Submit-RepartirTask -FilePath sh -ArgumentList '-c', 'echo `$`$ > $pidFile; exec sleep 300' -NoWait | Out-Null; " +
            "while (-not (Test-Path '$pidFile') -or -not (Get-Content '$pidFile')) { Start-Sleep -Milliseconds 20 }; New-Item '$ready' | Out-Null; $Then"
        # env --default-signal: a suite run under nohup, or in a script's background, ignores SIGHUP or SIGINT, and a
        # child inherits that; the owner gets the signals of a shell's foreground job.
        $start = [System.Diagnostics.ProcessStartInfo]::new('env', [string[]]@('--default-signal=HUP,INT,QUIT,TERM', $Pwsh, '-NoProfile', '-NonInteractive', '-Command', $script))
        $start.RedirectStandardOutput = $true
        $owner = [System.Diagnostics.Process]::Start($start)
        Wait-Until { Test-Path $ready } -Seconds 60 -What 'the task to start'
        return $owner, [int](Get-Content $pidFile)
    }
}

Describe 'When PowerShell exits, no task it started keeps running' -Tag 'Integration' {
    It 'after exit' {
        $owner, $task = Start-Owner -Then 'exit 0'
        $owner.WaitForExit(30000) | Should -BeTrue
        Wait-Until { -not (Test-ProcessAlive $task) } -Seconds 15 -What "task $task to end with its owner"
    }

    It 'after <signal>' -ForEach @(@{ signal = 'TERM' }, @{ signal = 'HUP' }, @{ signal = 'KILL' }) {
        $owner, $task = Start-Owner -Then 'Start-Sleep -Seconds 300'
        Test-ProcessAlive $task | Should -BeTrue
        & kill "-$signal" $owner.Id
        $owner.WaitForExit(30000) | Should -BeTrue -Because "pwsh should end on SIG$signal"
        Wait-Until { -not (Test-ProcessAlive $task) } -Seconds 15 -What "task $task to end with its owner"
    }
}
