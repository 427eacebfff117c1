BeforeAll { . (Join-Path $PSScriptRoot 'Common.ps1') }

Describe 'New-PipelineStep' {
    It 'builds a step of a type with its options, dependencies and trigger' {
        $step = New-PipelineStep copy -Type file.copy -With @{ source = 'a'; destination = 'b'; overwrite = $true } -DependsOn list -Trigger AllDone -When "variables.mode == 'full'"

        $step.Id | Should -Be 'copy'
        $step.Type | Should -Be 'file.copy'
        $step.With['source'] | Should -Be 'a'
        $step.With['overwrite'] | Should -BeTrue
        $step.DependsOn | Should -Be @('list')
        "$($step.Trigger)" | Should -Be 'AllDone'
        $step.When | Should -Be "variables.mode == 'full'"
    }

    It 'takes durations as written in YAML' {
        $step = New-PipelineStep slow -Type noop -Timeout 1m30s -ExpectedDuration 250ms

        $step.Timeout | Should -Be ([timespan]::FromSeconds(90))
        $step.ExpectedDuration | Should -Be ([timespan]::FromMilliseconds(250))
    }

    It 'builds a retry policy from a hashtable, overridden by parameters' {
        $step = New-PipelineStep r -Type noop -Retry @{ max_attempts = 5; backoff = 'linear'; delay = '2s'; retry_on = 'timeout', 'transient' } -MaxAttempts 3

        $step.Retry.MaxAttempts | Should -Be 3
        "$($step.Retry.Backoff)" | Should -Be 'Linear'
        $step.Retry.Delay | Should -Be ([timespan]::FromSeconds(2))
        @($step.Retry.RetryOn | ForEach-Object { "$_" }) | Should -Be @('Timeout', 'Transient')
    }

    It 'refuses a bad retry setting with a suggestion' {
        $err = { New-PipelineStep r -Type noop -Retry @{ max_attempt = 3 } } | Should -Throw -PassThru

        $err.FullyQualifiedErrorId | Should -BeLike 'NewPipelineStepInvalidRetry,*'
        $err.Exception.Message | Should -Match "did you mean 'max_attempts'"
    }

    It 'refuses an invalid id' {
        $err = { New-PipelineStep 'bad id' -Type noop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'NewPipelineStepInvalidId,*'
    }

    It 'makes a powershell step from a script block' {
        $step = New-PipelineStep s -ScriptBlock { $_ }

        $step.Type | Should -Be 'powershell'
        $step.Handler | Should -Not -BeNullOrEmpty
    }

    It 'retries a failing step as its policy says' {
        $count = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid().ToString('n'))
        $step = New-PipelineStep flaky -ScriptBlock { Add-Content $using:count 'x'; if (@(Get-Content $using:count).Count -lt 3) { throw 'transient' } } -MaxAttempts 3 -RetryDelay 10ms -RetryOn Script

        $result = Invoke-Pipeline -Step $step -NoHistory -PassThru -WarningAction SilentlyContinue

        $result.Status | Should -Be 'Succeeded'
        $result.Steps[0].Attempts | Should -Be 3
        Remove-Item $count
    }
}
