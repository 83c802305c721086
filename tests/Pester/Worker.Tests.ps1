BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'Start-RepartirWorker and Stop-RepartirWorker' -Tag 'Remote' {
    AfterEach {
        Stop-RepartirWorker -Name 'pester-*' -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'starts a worker on a free port and returns it' {
        $worker = Start-RepartirWorker -Bind '127.0.0.1:0' -Name 'pester-worker' -Slots 2
        $worker.PSObject.TypeNames[0] | Should -Be 'Repartir.Cmdlets.Workers.LocalWorkerInfo'
        $worker.State | Should -Be 'Serving'
        $worker.Slots | Should -Be 2
        $worker.Endpoint | Should -Match '^127\.0\.0\.1:\d+$'
        $probe = [System.Net.Sockets.TcpClient]::new()
        $probe.Connect([System.Net.IPEndPoint]::Parse($worker.Endpoint))
        $probe.Connected | Should -BeTrue
        $probe.Dispose()
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

    It 'stops workers from the pipeline' {
        $worker = Start-RepartirWorker -Bind '127.0.0.1:0' -Name 'pester-piped'
        $worker | Stop-RepartirWorker -Confirm:$false
        $worker.State | Should -Be 'Stopped'
    }

    It 'writes WorkerNotFound for a literal name that matches nothing' {
        Stop-RepartirWorker -Name 'pester-none' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'WorkerNotFound,Repartir.Cmdlets.Commands.StopRepartirWorkerCommand'
    }
}
