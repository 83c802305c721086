BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'The checkpoint store inside PowerShell' -Tag 'Integration' {
    It 'loads SQLite and its native library in the module''s own context, from the module folder' {
        # In a fresh pwsh: what it loads stays out of this session.
        $path = Join-Path ([System.IO.Path]::GetTempPath()) ("repartir-pester-store-" + [guid]::NewGuid().ToString('N'))
        $script = {
            param($manifest, $path)
            Import-Module $manifest
            Get-RepartirPool | Out-Null # the engine is loaded with the first cmdlet
            # Types in the module's own context are not visible to [TypeName] lookups, by design: reach them through their assembly.
            $engine = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Repartir.Engine' })
            $store = $engine[0].GetType('Repartir.Checkpoints.CheckpointStore', $true)::new($path, $null)
            try {
                $saved = $store.Save('pester', @{ epoch = 7; weights = @(1.5, 2.5) }, 7)
                $restored = $store.Restore('pester')
            }
            finally { $store.Dispose() }
            $sqlite = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Microsoft.Data.Sqlite' })
            [pscustomobject]@{
                Engines = $engine.Count
                Version = $saved.Version
                Epoch = $restored.Item2['epoch']
                Weight = $restored.Item2['weights'][1]
                SqliteCopies = $sqlite.Count
                SqliteContext = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($sqlite[0]).Name
                Native = @(Get-Content "/proc/$PID/maps" | Where-Object { $_ -match 'libe_sqlite3' } | ForEach-Object { ($_ -split '\s+')[-1] } | Select-Object -Unique)
            } | ConvertTo-Json -Compress
        }
        $json = & $Pwsh -NoProfile -NonInteractive -Command $script -args $RepartirManifest, $path
        Remove-Item -Recurse -Force $path -ErrorAction SilentlyContinue
        $seen = $json | ConvertFrom-Json

        $seen.Engines | Should -Be 1
        $seen.Version | Should -Be 1
        $seen.Epoch | Should -Be 7
        $seen.Weight | Should -Be 2.5
        $seen.SqliteCopies | Should -Be 1
        $seen.SqliteContext | Should -BeLike 'Repartir (*'
        $seen.Native | Should -Be (Join-Path (Split-Path $RepartirManifest) 'bin/runtimes/linux-x64/native/libe_sqlite3.so')
    }
}
