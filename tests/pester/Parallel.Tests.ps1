BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
}

Describe 'Script blocks with -Parallel' {
    It 'runs script blocks in pooled runspaces, reading caller variables with $using:' {
        $factor = 7
        $caller = [runspace]::DefaultRunspace.Id
        $steps = @(
            New-PipelineStep a -ScriptBlock { [pscustomobject]@{ v = $using:factor; rs = [runspace]::DefaultRunspace.Id } }
            New-PipelineStep b -ScriptBlock { [pscustomobject]@{ v = $_.v * $using:factor; rs = [runspace]::DefaultRunspace.Id } } -Input a
        )

        $out = Invoke-Pipeline -Step $steps -Parallel -ThrottleLimit 2 -NoHistory

        $out.v | Should -Be 49
        $out.rs | Should -Not -Be $caller
    }

    It 'runs independent steps at once up to the throttle' {
        # Four steps meet at a barrier: they all pass it only if all four run at the same time.
        $barrier = [System.Threading.Barrier]::new(4)
        $steps = 1..4 | ForEach-Object {
            New-PipelineStep "s$_" -ScriptBlock { [pscustomobject]@{ met = ($using:barrier).SignalAndWait(60000) } }
        }

        $result = Invoke-Pipeline -Step $steps -Parallel -ThrottleLimit 4 -NoHistory -PassThru

        ($result | Where-Object { $_.PSObject.Properties['Steps'] }).Steps.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
        $barrier.ParticipantsRemaining | Should -Be 4 -Because 'all four reached the barrier together, which then reset'
        $barrier.CurrentPhaseNumber | Should -Be 1
    }

    It 'sees caller variables directly without -Parallel, and $using: there too' {
        $name = 'caller'

        $out = Invoke-Pipeline -Step (New-PipelineStep a -ScriptBlock { "$name/$using:name" }) -NoHistory

        $out.Value | Should -Be 'caller/caller'
    }

    It 'forwards warnings from pooled runspaces and fails the step with the script position' {
        $warnings = $null
        $result = Invoke-Pipeline -Parallel -NoHistory -PassThru -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction SilentlyContinue -Step (
            New-PipelineStep w -ScriptBlock {
                Write-Warning 'careful'
                throw 'parallel failure'
            })

        $result.Status | Should -Be 'Failed'
        $result.Steps[0].ErrorKind | Should -Be 'Script'
        $result.Steps[0].Error | Should -Match 'parallel failure \(at .*line \d+'
        "$warnings" | Should -Match 'careful'
    }

    It 'stops a script that runs past its timeout and keeps running the steps after it' {
        $result = Invoke-Pipeline -Parallel -ThrottleLimit 1 -NoHistory -PassThru -ErrorAction SilentlyContinue -Step @(
            New-PipelineStep spin -ScriptBlock { while ($true) { } } -Timeout '1s'
            New-PipelineStep after -ScriptBlock { 'still here' } -DependsOn spin -Trigger AllDone -Input input
        )

        $run = $result | Where-Object { $_.PSObject.Properties['Steps'] }
        $run.Steps[0].Status | Should -Be 'Failed'
        $run.Steps[0].ErrorKind | Should -Be 'Timeout'
        $run.Steps[1].Status | Should -Be 'Succeeded'
        ($result | Where-Object { -not $_.PSObject.Properties['Steps'] }).Value | Should -Be 'still here'
    }

    It 'keeps what a script wrote before it failed and does not leak its variables into the next script' {
        $out = Invoke-Pipeline -Parallel -ThrottleLimit 1 -NoHistory -ErrorAction SilentlyContinue -ErrorVariable errors -Step @(
            New-PipelineStep first -ScriptBlock { $leak = 'set'; Write-Error 'non-terminating'; throw 'stop' }
            New-PipelineStep second -ScriptBlock { [pscustomobject]@{ leaked = $null -ne $leak } } -DependsOn first -Trigger AllDone -Input input
        )

        "$errors" | Should -Match 'non-terminating'
        $out.leaked | Should -Be $false
    }
}
