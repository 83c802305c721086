BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'New-RepartirCertificate and mutual TLS between a pool and a worker' -Tag 'Remote' {
    BeforeAll {
        $pki = Join-Path ([System.IO.Path]::GetTempPath()) ("repartir-pester-pki-" + [guid]::NewGuid().ToString('N'))
        $ca = New-RepartirCertificate Authority -Path $pki
        $server = New-RepartirCertificate Server localhost -AlternativeName 127.0.0.1 -Path $pki
        $client = New-RepartirCertificate Client pester-coordinator -Path $pki
        $workerTls = @{ CertificatePath = $server.CertificatePath; KeyPath = $server.KeyPath; CaPath = $ca.CertificatePath }
        $poolTls = @{ CertificatePath = $client.CertificatePath; KeyPath = $client.KeyPath; CaPath = $ca.CertificatePath }
    }

    AfterAll {
        Get-RepartirPool -Name 'pester-tls*' | Remove-RepartirPool -Force -Confirm:$false
        Stop-RepartirWorker -Name 'pester-tls*' -Force -Confirm:$false -ErrorAction SilentlyContinue
        Remove-Item -Recurse -Force $pki
    }

    It 'writes PEM files with keys readable by their owner only' {
        $ca.Kind | Should -Be 'Authority'
        $server.AlternativeNames | Should -Be @('localhost', '127.0.0.1')
        (Get-Item $server.KeyPath).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite')
        Get-Content $server.CertificatePath -First 1 | Should -Be '-----BEGIN CERTIFICATE-----'
        Get-Help New-RepartirCertificate -Parameter AlternativeName | Should -Not -BeNullOrEmpty
    }

    It 'runs a fan-out over mutual TLS' {
        $worker = Start-RepartirWorker -Bind '127.0.0.1:0' -Name 'pester-tls-worker' -Slots 2 @workerTls
        $worker.Transport | Should -Be 'MutualTls'
        $pool = New-RepartirPool -Name 'pester-tls-pool' -Worker $worker.Endpoint @poolTls
        $results = 1..4 | Submit-RepartirTask -Pool $pool -FilePath echo -ArgumentList 'item-{}'
        ($results.Stdout | ForEach-Object Trim | Sort-Object) | Should -Be @('item-1', 'item-2', 'item-3', 'item-4')
        $results.Worker | ForEach-Object { $_ | Should -Match '^pester-tls-worker/' }
    }

    It 'shows why a pool without a certificate is refused' {
        $worker = Get-RepartirWorker -Name 'pester-tls-worker'
        $pool = New-RepartirPool -Name 'pester-tls-plain' -Worker $worker.Endpoint -PlacementTimeoutSeconds 1 -WarningAction SilentlyContinue
        $result = Submit-RepartirTask -Pool $pool -FilePath echo -ArgumentList never
        $result.Failure | Should -Be 'NoWorker'
        (Get-RepartirPoolWorker -Pool $pool).LastError | Should -Match 'If the worker requires TLS'
    }

    It 'refuses a key that is not the certificate''s with CertificateUnusable naming the file' {
        { New-RepartirPool -Name 'pester-tls-bad' -Worker 127.0.0.1:9 -CertificatePath $client.CertificatePath -KeyPath $server.KeyPath -CaPath $ca.CertificatePath } |
            Should -Throw -ErrorId 'CertificateUnusable,Repartir.Cmdlets.Commands.NewRepartirPoolCommand'
        Get-RepartirPool -Name 'pester-tls-bad' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'refuses a worker on every interface without TLS unless -AllowInsecure, and then warns' {
        { Start-RepartirWorker -Bind '0.0.0.0:0' -Name 'pester-tls-open' } |
            Should -Throw -ErrorId 'InvalidWorkerSettings,Repartir.Cmdlets.Commands.StartRepartirWorkerCommand'
        $open = Start-RepartirWorker -Bind '0.0.0.0:0' -Name 'pester-tls-open' -AllowInsecure -WarningVariable warned -WarningAction SilentlyContinue
        $open.Transport | Should -Be 'PlainTcp'
        $warned | Should -Match 'anyone who connects'
    }

    It 'will not overwrite a key without -Force' {
        { New-RepartirCertificate Authority -Path $pki } |
            Should -Throw -ErrorId 'CertificateNotIssued,Repartir.Cmdlets.Commands.NewRepartirCertificateCommand'
    }
}

Describe 'A worker''s task policy' -Tag 'Remote' {
    AfterAll {
        Get-RepartirPool -Name 'pester-policy*' | Remove-RepartirPool -Force -Confirm:$false
        Stop-RepartirWorker -Name 'pester-policy*' -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'runs allowed programs, and rejects others and loader variables by name without running them' {
        $echo = (Get-Command echo -CommandType Application | Select-Object -First 1).Source
        $worker = Start-RepartirWorker -Bind '127.0.0.1:0' -Name 'pester-policy' -Slots 1 -AllowExecutable $echo
        $pool = New-RepartirPool -Name 'pester-policy-pool' -Worker $worker.Endpoint
        $marker = Join-Path ([System.IO.Path]::GetTempPath()) ("repartir-pester-" + [guid]::NewGuid().ToString('N'))

        (Submit-RepartirTask -Pool $pool -FilePath echo -ArgumentList allowed).Stdout | Should -Be "allowed`n"
        $outside = Submit-RepartirTask -Pool $pool -FilePath touch -ArgumentList $marker
        $preload = Submit-RepartirTask -Pool $pool -FilePath echo -ArgumentList x -Environment @{ LD_PRELOAD = '/nonexistent.so' }

        $outside.Failure | Should -Be 'Rejected'
        $outside.FailureMessage | Should -Match 'outside the worker''s --allow rules'
        $preload.Failure | Should -Be 'Rejected'
        $preload.FailureMessage | Should -Match 'does not let a task set LD_PRELOAD'
        Test-Path $marker | Should -BeFalse
    }
}
