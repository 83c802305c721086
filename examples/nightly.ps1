<#
.SYNOPSIS
    A nightly run as a scheduled job: one task per file of a directory, on a pool over worker daemons, resumable.
.DESCRIPTION
    What a systemd timer or cron starts every night (README, "Scheduled operations"):
    - a pool over the worker daemons given (mutual TLS when a certificate is given), else this machine's cores;
    - one task per file of -InputDirectory: -Program with the file's full path as its argument, retried twice, ten
      minutes at most each;
    - a run journal named for the day (-Journal): when a run crashed, or was killed with the machine, running it
      again the same day runs only what had not succeeded;
    - every result in a Parquet file (-ResultsPath), written beside it and moved into place when complete;
    - plain log lines on standard output, each led by "repartir-nightly:", for journalctl or cron's mail;
    - exit code 0 when every task succeeded, 1 when any failed, 2 when the run itself could not be done.
.EXAMPLE
    pwsh -NoProfile -NonInteractive -File nightly.ps1 -InputDirectory /srv/incoming -ResultsPath /srv/results/nightly.parquet -Worker node1:9443, node2:9443 -CertificatePath coordinator.pem -KeyPath coordinator.key -CaPath ca.pem
#>
[CmdletBinding()]
param(
    # The files to process: one task each.
    [Parameter(Mandatory)] [string] $InputDirectory,
    # Where the results table goes (Parquet).
    [Parameter(Mandatory)] [string] $ResultsPath,
    # The program run per file, given the file's full path.
    [string] $Program = 'sha256sum',
    # Worker daemons, HOST:PORT; none runs everything on this machine.
    [string[]] $Worker = @(),
    # The run journal: the same name resumes. One a day by default.
    [string] $Journal = "nightly-$((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd'))",
    # The checkpoint store holding the journal (default: REPARTIR_HOME, else ~/.local/share/repartir).
    [string] $JournalPath,
    # The Repartir module: a name on PSModulePath or a manifest's path.
    [string] $ModulePath = 'Repartir',
    # Mutual TLS to the workers: the coordinator's certificate, its key and the CA the workers' chain to.
    [string] $CertificatePath,
    [string] $KeyPath,
    [string] $CaPath
)

$ErrorActionPreference = 'Stop'

# One line per event, on standard output: journald keeps it with the unit's identifier, cron mails it.
function Write-Log([string] $Message) { [Console]::Out.WriteLine("repartir-nightly: $Message") }

try {
    Import-Module $ModulePath
    $poolSettings = @{ Name = "nightly-$PID" }
    if ($Worker) {
        $poolSettings.Worker = $Worker
        if ($CertificatePath) { $poolSettings += @{ CertificatePath = $CertificatePath; KeyPath = $KeyPath; CaPath = $CaPath } }
    }
    $pool = New-RepartirPool @poolSettings
}
catch {
    Write-Log "error: the run could not start: $($_.Exception.Message)"
    exit 2
}

try {
    $files = @(Get-ChildItem -Path $InputDirectory -File)
    Write-Log "start: $($files.Count) files from $InputDirectory, journal $Journal, $(if ($Worker) { "workers $($Worker -join ', ')" } else { "$($pool.CpuWorkers) local CPU workers" })"
    $journalSettings = @{ Journal = $Journal }
    if ($JournalPath) { $journalSettings.JournalPath = $JournalPath }
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $results = @($files | Submit-RepartirTask -Pool $pool -FilePath $Program -ArgumentList '{FullName}' -RetryCount 2 -TimeoutSeconds 600 @journalSettings)
    $results | Export-RepartirResult -Path $ResultsPath

    $failed = @($results | Where-Object { -not $_.Success })
    foreach ($result in $failed) {
        Write-Log "failed: $($result.InputObject.Name): $($result.Failure) exit $($result.ExitCode) $($result.FailureMessage) $($result.Stderr.Trim())"
    }

    $fromJournal = @($results | Where-Object FromJournal).Count
    Write-Log ("done: {0} succeeded, {1} failed, {2} from the journal of an earlier run, in {3:N1} s; results in {4}" -f ($results.Count - $failed.Count), $failed.Count, $fromJournal, $clock.Elapsed.TotalSeconds, $ResultsPath)
    $code = if ($failed.Count -gt 0) { 1 } else { 0 }
}
catch {
    Write-Log "error: the run stopped: $($_.Exception.Message)"
    $code = 2
}
finally {
    $pool | Remove-RepartirPool -Force -Confirm:$false
}

exit $code
