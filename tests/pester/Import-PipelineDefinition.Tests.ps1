BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Work = New-TestDirectory
}
AfterAll { Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Import-PipelineDefinition' {
    It 'reads a definition with its steps and positions' {
        $path = Join-Path $Work 'ok.yml'
        @'
pipeline_id: ok
steps:
  - id: hello
    type: log
    with: { message: "hello {who}" }
'@ | Set-Content $path

        $definition = Import-PipelineDefinition $path -Variable @{ who = '' }

        $definition.PipelineId | Should -Be 'ok'
        $definition.Steps[0].Id | Should -Be 'hello'
        $definition.SourcePath | Should -Be $path
    }

    It 'throws one terminating error listing every problem with its line and column' {
        $path = Join-Path $Work 'broken.yml'
        @'
pipeline_id: broken
stepz: []
steps:
  - id: a
    type: noop
    depends_on: [b]
  - id: b
    type: noop
    depends_on: [a]
'@ | Set-Content $path

        $err = { Import-PipelineDefinition $path } | Should -Throw -PassThru

        $err.FullyQualifiedErrorId | Should -BeLike 'ImportPipelineDefinitionInvalid,*'
        $err.Exception.Errors.Code | Should -Contain 'unknown-key'
        $err.Exception.Errors.Code | Should -Contain 'cycle'
        $err.Exception.Message | Should -Match 'broken.yml:2:1'
        $err.TargetObject | Should -Be $path
    }

    It 'runs the imported definition with Invoke-Pipeline -Definition, also a powershell step from YAML' {
        $path = Join-Path $Work 'ps.yml'
        @'
pipeline_id: ps-yaml
steps:
  - id: double
    type: powershell
    with:
      script: "[pscustomobject]@{ n = $_.n * 2 }"
'@ | Set-Content $path
        $definition = Import-PipelineDefinition $path

        $out = 1..3 | ForEach-Object { [pscustomobject]@{ n = $_ } } | Invoke-Pipeline -Definition $definition -NoHistory

        $out.n | Should -Be @(2, 4, 6)
    }

    It 'accepts paths from the pipeline' {
        $path = Join-Path $Work 'ok.yml'
        (Get-Item $path | Import-PipelineDefinition -Variable @{ who = '' }).PipelineId | Should -Be 'ok'
    }
}
