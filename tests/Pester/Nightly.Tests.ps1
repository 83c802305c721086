BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:Nightly = Resolve-Path (Join-Path $PSScriptRoot '../../examples/nightly.ps1')
    $script:Units = Resolve-Path (Join-Path $PSScriptRoot '../../examples/systemd')
}

Describe 'The scheduled nightly run (examples/nightly.ps1)' -Tag 'Scheduled' {
    BeforeAll {
        $node = Start-RepartirWorker -Bind '127.0.0.1:0' -Name 'pester-nightly-node' -Slots 2
        $work = Join-Path ([IO.Path]::GetTempPath()) "repartir-nightly-$PID"
        $incoming = Join-Path $work 'incoming'
        New-Item -ItemType Directory -Path $incoming -Force | Out-Null
        1..4 | ForEach-Object { Set-Content -Path (Join-Path $incoming "good$_.txt") -Value "data $_" }
        # The program fails for files whose name says bad, until the fix file exists.
        $check = Join-Path $work 'check.sh'
        Set-Content -Path $check -Value "#!/bin/sh`ncase `"`$1`" in *bad*) [ -e '$work/fixed' ] || { echo `"cannot read `$1`" >&2; exit 3; };; esac`nsha256sum `"`$1`""
        chmod +x $check

        function Invoke-Nightly([string] $Results, [string] $Journal) {
            $output = & $Pwsh -NoProfile -NonInteractive -File $Nightly -ModulePath $RepartirManifest -InputDirectory $incoming -ResultsPath $Results `
                -Program $check -Worker $node.Endpoint -Journal $Journal -JournalPath (Join-Path $work 'store') 2>&1
            [pscustomobject]@{ Code = $LASTEXITCODE; Lines = @($output | ForEach-Object ToString) }
        }
    }

    AfterAll {
        $node | Stop-RepartirWorker -Force -Confirm:$false
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'runs every file on the worker, writes the results and logs searchable lines, exit 0' {
        $run = Invoke-Nightly (Join-Path $work 'all.parquet') 'pester-all'
        $run.Code | Should -Be 0 -Because ($run.Lines -join "`n")
        $run.Lines | Where-Object { $_ -like 'repartir-nightly: start: 4 files from *, journal pester-all, workers 127.0.0.1:*' } | Should -HaveCount 1
        $run.Lines | Where-Object { $_ -like 'repartir-nightly: done: 4 succeeded, 0 failed, 0 from the journal*' } | Should -HaveCount 1
        $rows = Import-RepartirResult -Path (Join-Path $work 'all.parquet')
        $rows | Should -HaveCount 4
        ($rows.Worker | ForEach-Object { ($_ -split '/')[0] } | Sort-Object -Unique) | Should -Be 'pester-nightly-node'
    }

    It 'exits 1 naming the failed file, and run again resumes: only what failed runs' {
        Set-Content -Path (Join-Path $incoming 'bad.txt') -Value 'unreadable'
        $first = Invoke-Nightly (Join-Path $work 'first.parquet') 'pester-resume'
        $first.Code | Should -Be 1
        $first.Lines | Where-Object { $_ -like 'repartir-nightly: failed: bad.txt: None exit 3 *cannot read*' } | Should -HaveCount 1
        $first.Lines | Where-Object { $_ -like 'repartir-nightly: done: 4 succeeded, 1 failed,*' } | Should -HaveCount 1

        Set-Content -Path (Join-Path $work 'fixed') -Value 1
        $again = Invoke-Nightly (Join-Path $work 'again.parquet') 'pester-resume'
        $again.Code | Should -Be 0 -Because ($again.Lines -join "`n")
        $again.Lines | Where-Object { $_ -like 'repartir-nightly: done: 5 succeeded, 0 failed, 4 from the journal of an earlier run*' } | Should -HaveCount 1
    }

    It 'exits 2 with a log line when the run cannot start' {
        $output = & $Pwsh -NoProfile -NonInteractive -File $Nightly -ModulePath (Join-Path $work 'no-such-module.psd1') -InputDirectory $incoming -ResultsPath (Join-Path $work 'x.parquet') 2>&1
        $LASTEXITCODE | Should -Be 2
        ($output -join "`n") | Should -Match 'repartir-nightly: error: the run could not start'
    }

    It 'ships systemd units that systemd-analyze accepts' -Skip:(-not (Get-Command systemd-analyze -ErrorAction Ignore)) {
        $copy = Join-Path $work 'units'
        New-Item -ItemType Directory -Path $copy -Force | Out-Null
        # The unit as shipped, with its program and script pointed at what exists here (verify checks both).
        (Get-Content (Join-Path $Units 'repartir-nightly.service') -Raw).Replace('/usr/bin/pwsh', $Pwsh).Replace('/opt/repartir/nightly.ps1', $Nightly).Replace('User=repartir', 'User=root') |
            Set-Content (Join-Path $copy 'repartir-nightly.service')
        Copy-Item (Join-Path $Units 'repartir-nightly.timer') $copy
        $verdict = & systemd-analyze verify (Join-Path $copy 'repartir-nightly.service') (Join-Path $copy 'repartir-nightly.timer') 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($verdict -join "`n")
        ($verdict | Where-Object { $_ -match 'repartir-nightly' }) | Should -BeNullOrEmpty -Because ($verdict -join "`n")
    }
}
