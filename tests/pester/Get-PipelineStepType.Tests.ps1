BeforeAll { . (Join-Path $PSScriptRoot 'Common.ps1') }

Describe 'Get-PipelineStepType' {
    It 'lists the built-in types and powershell' {
        $names = (Get-PipelineStepType).Name

        $names | Should -Contain 'file.copy'
        $names | Should -Contain 'process.run'
        $names | Should -Contain 'powershell'
    }

    It 'describes the options of a type' {
        $type = Get-PipelineStepType file.copy

        ($type.Options | Where-Object Name -eq 'source').Required | Should -BeTrue
        ($type | Out-String) | Should -Match 'source\*'
    }

    It 'filters with wildcards' {
        (Get-PipelineStepType 'file.*').Name | ForEach-Object { $_ | Should -BeLike 'file.*' }
    }

    It 'writes an error with a suggestion for an unknown name' {
        Get-PipelineStepType file.cpy -ErrorVariable missing -ErrorAction SilentlyContinue
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'GetPipelineStepTypeNotFound,*'
        "$($missing[0])" | Should -Match "did you mean 'file.copy'"
    }
}
