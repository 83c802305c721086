BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:Doubler = @'
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) i: vec3<u32>) { if (i.x < arrayLength(&o)) { o[i.x] = a[i.x] * 2.0; } }
'@
}

Describe 'GPU and tensor cmdlets on this machine''s adapter' -Tag 'Integration' {
    It 'loads the WebGPU library from the module''s own folder and chooses a usable adapter' {
        $adapters = @(Get-RepartirGpu)
        $chosen = @($adapters | Where-Object Chosen)
        $chosen.Count | Should -Be 1
        $chosen[0].Usable | Should -BeTrue
        $chosen[0].Backend | Should -Not -Be 'Null'
        $native = @(Get-Content "/proc/$PID/maps" | Where-Object { $_ -match 'libwebgpu_wrapper' } | ForEach-Object { ($_ -split '\s+')[-1] } | Select-Object -Unique)
        $native.Count | Should -Be 1
        $native[0] | Should -BeLike "$(Split-Path $script:RepartirManifest)*runtimes/linux-x64/native/libwebgpu_wrapper.so"
    }

    It 'computes the same matrix product on the GPU as on the CPU' {
        $random = [System.Random]::new(4)
        $a = 1..37 | ForEach-Object { , [float[]](1..23 | ForEach-Object { $random.NextDouble() }) }
        $b = 1..23 | ForEach-Object { , [float[]](1..41 | ForEach-Object { $random.NextDouble() }) }
        $gpu = Invoke-RepartirTensor MatMul $a $b -Backend Gpu
        $cpu = Invoke-RepartirTensor MatMul $a $b -Backend Cpu
        $gpu.Tensor.Shape | Should -Be @(37, 41)
        $gpu.Decision.Backend | Should -Be 'Gpu'
        $cpu.Decision.Backend | Should -Be 'Cpu'
        for ($i = 0; $i -lt $cpu.Tensor.Length; $i++) {
            [math]::Abs($gpu.Tensor.Data[$i] - $cpu.Tensor.Data[$i]) | Should -BeLessThan 1e-4
        }
    }

    It 'shows the Auto decision on the result and runs nothing with -WhatIf' {
        Invoke-RepartirTensor Multiply (1..10) (1..10) -WhatIf | Should -BeNullOrEmpty
        $result = Invoke-RepartirTensor Multiply (1..10) (1..10)
        $result.Tensor.Data[9] | Should -Be 100
        $result.Decision.Reason | Should -BeLike '*never pays*'
        ($result | Out-String) | Should -BeLike '*Multiply*Cpu*Scalar*'
    }

    It 'runs a WGSL kernel and names a compile error''s line' {
        (Invoke-RepartirGpuKernel $script:Doubler -Input (1..300) -OutputSize 300 -Workgroups 5).Output[299] | Should -Be 600
        { Invoke-RepartirGpuKernel -Shader "@compute @workgroup_size(1)`nfn main() {`n  let x = missing;`n}" -OutputSize 1 } |
            Should -Throw -ErrorId 'InvalidShader,Repartir.Cmdlets.Commands.InvokeRepartirGpuKernelCommand' -ExpectedMessage '*:3:*missing*'
    }

    It 'names the limit a request exceeds' {
        { Invoke-RepartirGpuKernel $script:Doubler -Input (1..3) -OutputSize 3 -Workgroups 100000 } |
            Should -Throw -ErrorId 'GpuLimitExceeded,Repartir.Cmdlets.Commands.InvokeRepartirGpuKernelCommand' -ExpectedMessage '*maxComputeWorkgroupsPerDimension*'
    }

    It 'says the library is missing in a session that points elsewhere, and CPU work still runs' {
        $script = {
            param($manifest)
            $env:REPARTIR_WEBGPU_LIBRARY = '/nonexistent/libwebgpu.so'
            Import-Module $manifest
            $cpu = (Invoke-RepartirTensor Sum (1..4) -Backend Cpu).Scalar
            try { Get-RepartirGpu; 'no error' } catch { "$($_.FullyQualifiedErrorId)|$($_.Exception.Message)|$cpu" }
        }
        $out = & $script:Pwsh -NoProfile -NonInteractive -Command $script -args $script:RepartirManifest
        $id, $message, $cpu = "$out" -split '\|'
        $id | Should -Be 'GpuLibraryMissing,Repartir.Cmdlets.Commands.GetRepartirGpuCommand'
        $message | Should -BeLike '*REPARTIR_WEBGPU_LIBRARY names /nonexistent/libwebgpu.so*CPU work is unaffected*'
        $cpu | Should -Be 10
    }

    It 'places Gpu process tasks on the pool''s GPUs, one device a task, and rejects them where there is none' {
        $name = "pester-gpu-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        try {
            New-RepartirPool -Name $name -CpuWorkers 2 -Gpu 0, 1 | Out-Null
            $results = 1..4 | Submit-RepartirTask -Pool $name -Backend Gpu -FilePath sh -ArgumentList '-c', 'echo $CUDA_VISIBLE_DEVICES'
            $results.Count | Should -Be 4
            $results.Backend | Sort-Object -Unique | Should -Be 'Gpu'
            $results.Stdout.Trim() | Sort-Object -Unique | ForEach-Object { $_ | Should -BeIn '0', '1' }

            New-RepartirPool -Name "$name-none" -CpuWorkers 1 -Gpu @() | Out-Null
            $rejected = Submit-RepartirTask -Pool "$name-none" -Backend Gpu -FilePath true
            $rejected.Failure | Should -Be 'Rejected'
            $rejected.FailureMessage | Should -BeLike '*has no GPU*'
        }
        finally {
            Get-RepartirPool -Name "$name*" | Remove-RepartirPool -Force -Confirm:$false
        }
    }

    It 'names a malformed REPARTIR_GPUS when the default pool is made (in a session of its own)' {
        $script = {
            param($manifest)
            $env:REPARTIR_GPUS = '0,0'
            Import-Module $manifest
            try { Submit-RepartirTask -FilePath true; 'no error' } catch { "$($_.FullyQualifiedErrorId)|$($_.Exception.Message)" }
        }
        $out = & $script:Pwsh -NoProfile -NonInteractive -Command $script -args $script:RepartirManifest
        $id, $message = "$out" -split '\|'
        $id | Should -Be 'InvalidPoolSettings,Repartir.Cmdlets.Commands.SubmitRepartirTaskCommand'
        $message | Should -BeLike "*REPARTIR_GPUS: '0,0' names a GPU device twice*"
    }
}
