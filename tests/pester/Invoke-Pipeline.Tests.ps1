BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Work = New-TestDirectory
    $script:State = Join-Path $Work 'state'
}
AfterAll { Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Invoke-Pipeline' {
    It 'runs a YAML pipeline of file steps and records it in the SQLite run store' {
        $dir = Join-Path $Work 'yaml'
        New-Item -ItemType Directory -Path (Join-Path $dir 'in') -Force | Out-Null
        'a,b' | Set-Content (Join-Path $dir 'in/data.csv')
        @'
pipeline_id: copy-files
steps:
  - id: copy
    type: file.copy
    with: { source: ./in/data.csv, destination: "./out/{label}.csv", create_directories: true }
  - id: sum
    type: file.checksum
    depends_on: [copy]
    with: { path: "./out/{label}.csv" }
'@ | Set-Content (Join-Path $dir 'copy.yml')

        $result = Invoke-Pipeline (Join-Path $dir 'copy.yml') -Variable @{ label = 'today' } -StateDirectory $State -PassThru

        $result.Status | Should -Be 'Succeeded'
        $result.Steps.StepId | Should -Be @('copy', 'sum')
        Get-Content (Join-Path $dir 'out/today.csv') | Should -Be 'a,b'
        (Get-PipelineRun -RunId $result.RunId -StateDirectory $State).Status | Should -Be 'Succeeded'
        Test-Path (Join-Path $State 'runs.db') | Should -BeTrue
    }

    It 'writes the plan and runs nothing with -WhatIf' {
        $marker = Join-Path $Work 'whatif.txt'
        # What-if messages go to the host, not to a stream: read them from a pwsh of its own.
        $command = "Import-Module '$RepoRoot/Pipeline.psd1'; Invoke-Pipeline -WhatIf -NoHistory -Step @((New-PipelineStep first -ScriptBlock { Set-Content '$marker' 'ran' }), (New-PipelineStep second -Type noop -DependsOn first))"
        $text = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $command | Out-String

        $text | Should -Match "Run the pipeline 'adhoc' \(2 steps in 2 levels\)"
        $text | Should -Match 'level 1: first \(powershell\)'
        $text | Should -Match 'level 2: second \(noop\)'
        Test-Path $marker | Should -BeFalse
    }

    It 'refuses an invalid definition with every problem and a stable error id' {
        $path = Join-Path $Work 'bad.yml'
        @'
pipeline_id: bad
steps:
  - id: a
    type: file.cpy
  - id: b
    type: noop
    depends_on: [c]
'@ | Set-Content $path

        $err = { Invoke-Pipeline $path -StateDirectory $State } | Should -Throw -PassThru

        $err.FullyQualifiedErrorId | Should -BeLike 'InvokePipelineDefinitionInvalid,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -Match "did you mean 'file.copy'"
        $err.Exception.Message | Should -Match "bad.yml:7:"
    }

    It 'turns a failed step into a non-terminating error and records the run as failed' {
        $result = Invoke-Pipeline -Step (New-PipelineStep boom -ScriptBlock { throw 'it broke' }) -PipelineId fails -StateDirectory $State -PassThru -ErrorVariable errors -ErrorAction SilentlyContinue -WarningAction SilentlyContinue

        $result.Status | Should -Be 'Failed'
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'InvokePipelineStepFailed,*'
        $errors[0].TargetObject | Should -Be 'boom'
        $errors[0].Exception.Message | Should -Match 'it broke \(at .*line \d+, column \d+\)'
        (Get-PipelineRun fails -StateDirectory $State -First 1).Status | Should -Be 'Failed'
    }

    It 'resumes a failed run, rerunning only what did not succeed' {
        $flag = Join-Path $Work 'resume-flag'
        $steps = @(
            New-PipelineStep first -Type log -With @{ message = 'first' }
            New-PipelineStep second -ScriptBlock { if (-not (Test-Path $using:flag)) { throw 'not yet' } } -DependsOn first
        )
        $failed = Invoke-Pipeline -Step $steps -PipelineId resumable -StateDirectory $State -PassThru -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        New-Item $flag -ItemType File | Out-Null

        $resumed = Invoke-Pipeline -Step $steps -PipelineId resumable -Resume $failed.RunId -StateDirectory $State -PassThru

        $failed.Status | Should -Be 'Failed'
        $resumed.Status | Should -Be 'Succeeded'
        $resumed.ResumedFrom | Should -Be $failed.RunId
        ($resumed.Steps | Where-Object StepId -eq 'first').Resumed | Should -BeTrue
        ($resumed.Steps | Where-Object StepId -eq 'second').Resumed | Should -BeFalse
    }

    It 'refuses a second run of a pipeline that is already running, naming the holder' {
        $gate = Join-Path $Work 'lock-gate'
        $job = Start-Job -ArgumentList $RepoRoot, $State, $gate {
            param($root, $state, $gate)
            Import-Module (Join-Path $root 'Pipeline.psd1')
            Invoke-Pipeline -PipelineId locked -StateDirectory $state -Step (New-PipelineStep wait -ScriptBlock { while (-not (Test-Path $using:gate)) { Start-Sleep -Milliseconds 50 } })
        }
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not (Get-PipelineRun locked -Status Running -StateDirectory $State) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }

            $err = { Invoke-Pipeline -PipelineId locked -StateDirectory $State -Step (New-PipelineStep x -Type noop) } | Should -Throw -PassThru

            $err.FullyQualifiedErrorId | Should -BeLike 'InvokePipelineAlreadyRunning,*'
            $err.CategoryInfo.Category | Should -Be 'ResourceBusy'
            $err.Exception.Message | Should -Match 'already running'
        }
        finally {
            New-Item $gate -ItemType File -Force | Out-Null
            $job | Wait-Job -Timeout 30 | Remove-Job -Force
        }
    }

    It 'masks secrets given as SecureString or PSCredential in events and the JSON log' {
        $log = Join-Path $Work 'secret.jsonl'
        $secure = ConvertTo-SecureString 'hunter2-very-secret' -AsPlainText -Force
        $credential = [pscredential]::new('etl', (ConvertTo-SecureString 'p@ss-word-42' -AsPlainText -Force))
        $steps = @(
            New-PipelineStep one -Type log -With @{ message = 'token {secret:TOKEN}' }
            New-PipelineStep two -Type log -With @{ message = 'password {secret:DB}' } -DependsOn one
        )

        $messages = Invoke-Pipeline -Step $steps -Secret @{ TOKEN = $secure; DB = $credential } -LogPath $log -NoHistory 6>&1 | ForEach-Object { "$_" }

        $messages | Should -Contain 'token ***'
        $messages | Should -Contain 'password ***'
        Get-Content $log -Raw | Should -Not -Match 'hunter2|p@ss-word'
        Get-Content $log -Raw | Should -Match '"kind":"run_finished"'
    }

    It 'writes the run result with -PassThru, with a summary' {
        $result = Invoke-Pipeline -Step (New-PipelineStep one -Type noop) -NoHistory -PassThru

        $result.GetType().Name | Should -Be 'RunResult'
        $result.Succeeded | Should -BeTrue
        $result.Summary.Counts['Succeeded'] | Should -Be 1
    }

    It 'reports progress and verbose decisions' {
        $verbose = Invoke-Pipeline -Step (New-PipelineStep one -Type noop) -NoHistory -Verbose 4>&1 | ForEach-Object { "$_" }

        $verbose | Should -Contain "Step 'one' (noop) started."
    }
}
