BeforeDiscovery {
    $script:cmdlets = @(
        'New-RepartirPool', 'Get-RepartirPool', 'Remove-RepartirPool', 'Submit-RepartirTask', 'Wait-RepartirTask',
        'Start-RepartirWorker', 'Get-RepartirWorker', 'Stop-RepartirWorker', 'Add-RepartirPoolWorker', 'Get-RepartirPoolWorker', 'Remove-RepartirPoolWorker',
        'New-RepartirCertificate', 'Save-RepartirCheckpoint', 'Restore-RepartirCheckpoint', 'Get-RepartirCheckpoint', 'Remove-RepartirCheckpoint',
        'Export-RepartirResult', 'Import-RepartirResult', 'Get-RepartirGpu', 'Invoke-RepartirTensor', 'Invoke-RepartirGpuKernel', 'Watch-RepartirPool')
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'Help for <_>' -Tag 'Unit' -ForEach $cmdlets {
    BeforeAll {
        $name = $_
        $help = Get-Help $name -Full
        $command = Get-Command $name
    }

    It 'has a synopsis and a description, not just the generated syntax' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeLike "$name *"
        ($help.description.Text -join ' ').Length | Should -BeGreaterThan 40
    }

    It 'describes every parameter' {
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        foreach ($parameter in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $documented = $help.parameters.parameter | Where-Object name -EQ $parameter
            $documented | Should -Not -BeNullOrEmpty -Because "-$parameter needs help"
            ($documented.description.Text -join ' ').Length | Should -BeGreaterThan 10 -Because "-$parameter needs a description"
        }
    }

    It 'shows its examples as clean code' {
        $help.examples.example | Should -Not -BeNullOrEmpty
        foreach ($example in $help.examples.example) {
            $example.code | Should -Match ([regex]::Escape($name))
            $example.code | Should -Not -Match '```'
        }
    }

    It 'reads without Markdown leftovers or stray characters' {
        $text = Get-Help $name -Full | Out-String -Width 200
        $text | Should -Not -Match '`'
        $text | Should -Not -Match '\]\('
        $text | Should -Not -Match '\u0080'
    }

    It 'opens its page online (HelpUri)' {
        $uri = "https://github.com/repartir/Repartir.PowerShell/blob/main/docs/cmdlets/$name.md"
        $command.HelpUri | Should -Be $uri
        $help.relatedLinks.navigationLink[0].uri | Should -Be $uri
    }
}

Describe 'about_Repartir' -Tag 'Unit' {
    It 'explains pools, tasks, placeholders, workers, failures and retries' {
        $about = Get-Help about_Repartir | Out-String
        foreach ($topic in 'POOLS', 'TASKS', 'PLACEHOLDERS', 'WORKERS', 'FAILURES', 'RETRIES') {
            $about | Should -Match "(?m)^$topic"
        }
        $about | Should -Match 'the item is appended as the last\s+argument'
    }
}
