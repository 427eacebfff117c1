BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Work = New-TestDirectory
    $script:Good = Join-Path $Work 'good.yml'
    $script:Bad = Join-Path $Work 'bad.yml'
    "pipeline_id: good`nsteps:`n  - id: a`n    type: noop`n" | Set-Content $Good
    "pipeline_id: bad`nsteps:`n  - id: a`n    type: noop`n    with: { colour: red }`n  - id: a`n    type: lgo`n" | Set-Content $Bad
}
AfterAll { Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Test-PipelineDefinition' {
    It 'returns $true for a valid definition' {
        Test-PipelineDefinition $Good | Should -BeTrue
    }

    It 'returns $false and writes each problem as an error' {
        $result = Test-PipelineDefinition $Bad -ErrorVariable problems -ErrorAction SilentlyContinue

        $result | Should -BeFalse
        $problems.Count | Should -Be 3
        $problems | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'TestPipelineDefinitionProblem,*' }
        "$($problems[0])" | Should -Match 'bad.yml:\d+:\d+'
    }

    It 'returns DefinitionError objects with -Detailed' {
        $errors = Test-PipelineDefinition $Bad -Detailed

        $errors.Code | Should -Be @('unknown-option', 'duplicate-id', 'unknown-type')
        $errors[2].Message | Should -Match "did you mean 'log'"
        $errors[2].Location.Line | Should -Be 7
        @(Test-PipelineDefinition $Good -Detailed).Count | Should -Be 0
    }

    It 'checks a definition object' {
        $definition = Import-PipelineDefinition $Good
        $definition | Test-PipelineDefinition | Should -BeTrue
    }
}
