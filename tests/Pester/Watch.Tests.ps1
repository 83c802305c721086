BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'Watch-RepartirPool and the figures of Get-RepartirPool and Get-RepartirPoolWorker' -Tag 'Remote' {
    BeforeAll {
        $node = Start-RepartirWorker -Bind '127.0.0.1:0' -Name 'pester-watch-node' -Slots 2
    }

    AfterAll {
        $node | Stop-RepartirWorker -Force -Confirm:$false
    }

    AfterEach {
        Get-RepartirPool -Name 'pester-watch*' -ErrorAction SilentlyContinue | Remove-RepartirPool -Force -Confirm:$false
    }

    It 'writes a snapshot per interval when piped on, with a row per place and the tasks running longest' {
        $pool = New-RepartirPool -Name 'pester-watch' -CpuWorkers 1 -Worker $node.Endpoint
        Wait-Until { (Get-RepartirPoolWorker $pool).State -eq 'Online' } -What 'the worker to be Online'
        1..3 | Submit-RepartirTask -Pool $pool -FilePath sleep -ArgumentList 30 -NoWait | Out-Null
        Wait-Until { (Get-RepartirPool $pool.Name).Running -eq 3 } -What 'three tasks running'

        $snapshots = Watch-RepartirPool $pool -IntervalSeconds 0.1 -Count 2 | Select-Object *
        $snapshots | Should -HaveCount 2
        $snapshots[-1].Source | Should -Be "pool 'pester-watch'"
        $snapshots[-1].Running | Should -Be 3
        $snapshots[-1].Workers.Address | Should -Be @('local', $node.Endpoint)
        $snapshots[-1].LongestRunning | Should -HaveCount 3
        $snapshots[-1].LongestRunning[0].Name | Should -Match '^sleep 30 [1-3]$' # the piped item is appended
    }

    It 'gives Get-RepartirPool the throughput and Get-RepartirPoolWorker the worker''s load and slots in use' {
        $pool = New-RepartirPool -Name 'pester-watch-figures' -CpuWorkers 0 -Worker $node.Endpoint
        1..4 | Submit-RepartirTask -Pool $pool -FilePath true | Out-Null
        $info = Get-RepartirPool 'pester-watch-figures'
        $info.Completed | Should -Be 4
        $info.Throughput | Should -BeGreaterThan 0
        $info.EstimatedTimeLeft | Should -BeNullOrEmpty
        Wait-Until { $null -ne (Get-RepartirPoolWorker $pool).SlotsUsed } -What 'the worker''s first heartbeat'
        (Get-RepartirPoolWorker $pool).Slots | Should -Be 2
        (Get-RepartirWorker 'pester-watch-node').Coordinators | Should -Be 1
    }

    It 'says which pools there are when none is named and none is the default, and watches the default when there is one' {
        # Earlier suites may have made the default pool (any Submit without -Pool does): start from none, and from
        # more than one other, so the refusal is always exercised.
        Get-RepartirPool -Name default -ErrorAction SilentlyContinue | Remove-RepartirPool -Force -Confirm:$false
        New-RepartirPool -Name 'pester-watch-a' -CpuWorkers 1 | Out-Null
        New-RepartirPool -Name 'pester-watch-b' -CpuWorkers 1 | Out-Null
        $refusal = { Watch-RepartirPool -Count 1 } | Should -Throw -ErrorId 'PoolNotFound*' -PassThru
        $refusal.Exception.Message | Should -BeLike "*Name the pool to watch with -Pool*pester-watch-a*pester-watch-b*none is named 'default'*"
        { Watch-RepartirPool 'pester-watch-none' -Count 1 } | Should -Throw -ErrorId 'PoolNotFound*'

        New-RepartirPool -Name default -CpuWorkers 1 | Out-Null
        try {
            (Watch-RepartirPool -Count 1).Source | Should -Be "pool 'default'"
        }
        finally {
            Remove-RepartirPool -Name default -Force -Confirm:$false
        }
    }
}

Describe 'Watch-RepartirPool in a real terminal' -Tag 'Remote' {
    It 'draws the live view in PowerShell''s console and q gives the prompt back' -Skip:(-not (Get-Command tmux -ErrorAction Ignore)) {
        $socket = "repartir-watch-$PID"
        $script = Join-Path ([IO.Path]::GetTempPath()) "repartir-watch-$PID.ps1"
        Set-Content -Path $script -Value @"
Import-Module '$RepartirManifest'
`$pool = New-RepartirPool -Name tmux-watch -CpuWorkers 2
1..4 | Submit-RepartirTask -Pool `$pool -FilePath sleep -ArgumentList 30 -NoWait | Out-Null
Watch-RepartirPool `$pool -IntervalSeconds 0.25
'watch ended'
Remove-RepartirPool `$pool -Force -Confirm:`$false
Start-Sleep 60
"@
        try {
            & tmux -L $socket new-session -d -s watch -x 160 -y 40 "env TERM=xterm-256color '$Pwsh' -NoProfile -NoLogo -File '$script'"
            Wait-Until -Seconds 60 -What 'the live view' {
                $screen = (& tmux -L $socket capture-pane -p -t watch) -join "`n"
                $screen -match "pool 'tmux-watch'" -and $screen -match 'Longest running' -and $screen -match 'sleep 30' -and $screen -match 'running 2'
            }
            $screen = (& tmux -L $socket capture-pane -p -t watch) -join "`n"
            $screen | Should -Match 'local\s+\S+\s+Online'
            $screen | Should -Match 'q or Ctrl\+C quits'
            & tmux -L $socket send-keys -t watch q
            Wait-Until -Seconds 30 -What 'the view to end and the script to go on' {
                ((& tmux -L $socket capture-pane -p -t watch) -join "`n") -match 'watch ended'
            }
            ((& tmux -L $socket capture-pane -p -t watch) -join "`n") | Should -Not -Match 'Longest running' # the alternate screen is gone
        }
        finally {
            & tmux -L $socket kill-server 2>$null
            Remove-Item $script -ErrorAction SilentlyContinue
        }
    }
}
