BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'Start-, Get- and Stop-RepartirWorker' -Tag 'Remote' {
    AfterEach {
        Stop-RepartirWorker -Name 'pester-*' -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'starts a worker on a free port, returns it and lists it' {
        $worker = Start-RepartirWorker -Bind '127.0.0.1:0' -Name 'pester-worker' -Slots 2
        $worker.PSObject.TypeNames[0] | Should -Be 'Repartir.Cmdlets.Workers.WorkerInfo'
        $worker.State | Should -Be 'Serving'
        $worker.Slots | Should -Be 2
        $worker.Endpoint | Should -Match '^127\.0\.0\.1:\d+$'
        $probe = [System.Net.Sockets.TcpClient]::new()
        $probe.Connect([System.Net.IPEndPoint]::Parse($worker.Endpoint))
        $probe.Connected | Should -BeTrue
        $probe.Dispose()
        (Get-RepartirWorker -Name 'pester-w*').Endpoint | Should -Be $worker.Endpoint
    }

    It 'refuses an address that is in use with WorkerBindFailed' {
        $first = Start-RepartirWorker -Bind '127.0.0.1:0' -Name 'pester-first'
        { Start-RepartirWorker -Bind $first.Endpoint -Name 'pester-second' } |
            Should -Throw -ErrorId 'WorkerBindFailed,Repartir.Cmdlets.Commands.StartRepartirWorkerCommand'
    }

    It 'refuses a malformed -Bind with InvalidWorkerSettings' {
        { Start-RepartirWorker -Bind 'not-an-address' } |
            Should -Throw -ErrorId 'InvalidWorkerSettings,Repartir.Cmdlets.Commands.StartRepartirWorkerCommand'
    }

    It 'stops workers from Get-RepartirWorker' {
        $worker = Start-RepartirWorker -Bind '127.0.0.1:0' -Name 'pester-piped'
        Get-RepartirWorker -Name 'pester-piped' | Stop-RepartirWorker -Confirm:$false
        $worker.State | Should -Be 'Stopped'
        Get-RepartirWorker -Name 'pester-piped*' | Should -BeNullOrEmpty
    }

    It 'writes WorkerNotFound for a literal name that matches nothing' {
        Stop-RepartirWorker -Name 'pester-none' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'WorkerNotFound,Repartir.Cmdlets.Commands.StopRepartirWorkerCommand'
        $err[0].TargetObject | Should -Be 'pester-none'
    }
}
