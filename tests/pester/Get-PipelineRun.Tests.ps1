BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Work = New-TestDirectory
    $script:State = Join-Path $Work 'state'
    $script:First = Invoke-Pipeline -Step (New-PipelineStep a -Type noop) -PipelineId history -StateDirectory $State -PassThru
    $script:Second = Invoke-Pipeline -Step (New-PipelineStep b -ScriptBlock { throw 'no' }) -PipelineId history -StateDirectory $State -PassThru -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
}
AfterAll { Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Get-PipelineRun' {
    It 'lists runs newest first' {
        $runs = Get-PipelineRun history -StateDirectory $State

        $runs.RunId | Should -Be @($Second.RunId, $First.RunId)
        $runs[0].GetType().Name | Should -Be 'RunRecord'
    }

    It 'filters by status and count' {
        (Get-PipelineRun -Status Failed -StateDirectory $State).RunId | Should -Be $Second.RunId
        @(Get-PipelineRun -First 1 -StateDirectory $State).Count | Should -Be 1
    }

    It 'shows a run with its step attempts, also by pipeline input' {
        $detail = Get-PipelineRun -Status Failed -StateDirectory $State | Get-PipelineRun -StateDirectory $State

        $detail.PSObject.TypeNames[0] | Should -Be 'Pipeline.Core.State.RunRecord#Detail'
        $detail.Attempts.StepId | Should -Be 'b'
        $detail.Attempts[0].ErrorKind | Should -Be 'script'
        ($detail | Out-String) | Should -Match 'Attempts'
    }

    It 'reads the store named by PIPELINE_STATE_DIR' {
        $saved = $env:PIPELINE_STATE_DIR
        try {
            $env:PIPELINE_STATE_DIR = $State
            (Get-PipelineRun history).Count | Should -Be 2
        }
        finally { $env:PIPELINE_STATE_DIR = $saved }
    }

    It 'writes a not-found error for an unknown run' {
        Get-PipelineRun -RunId 'nope' -StateDirectory $State -ErrorVariable missing -ErrorAction SilentlyContinue
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'GetPipelineRunNotFound,*'
    }
}
