BeforeAll { . (Join-Path $PSScriptRoot 'Common.ps1') }

Describe 'The module' {
    It 'exports the pipeline and remote file system cmdlets with help and examples' {
        $commands = Get-Command -Module Pipeline
        $commands.Name | Sort-Object | Should -Be @('Connect-RemoteFs', 'Copy-RemoteItem', 'Disconnect-RemoteFs', 'Get-PipelineRun', 'Get-PipelineStepType',
            'Get-RemoteChildItem', 'Get-RemoteFileHash', 'Get-RemoteFsSession', 'Import-PipelineDefinition', 'Invoke-Pipeline', 'Move-RemoteItem',
            'New-PipelineStep', 'New-RemoteItem', 'Remove-RemoteItem', 'Sync-RemoteItem', 'Test-PipelineDefinition', 'Test-RemotePath')
        foreach ($command in $commands) {
            $help = Get-Help $command.Name
            $help.Synopsis | Should -Not -BeNullOrEmpty -Because $command.Name
            @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2 -Because $command.Name
        }
        (Get-Help about_Pipeline | Out-String) | Should -Match 'TRIGGER RULES'
    }

    It 'loads the engine and its dependencies into a load context of its own' {
        Import-PipelineDefinition (Join-Path $RepoRoot 'tests/pester/data/minimal.yml') | Out-Null
        $context = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'Pipeline'

        $names = $context.Assemblies.GetName().Name
        $names | Should -Contain 'Pipeline.Core'
        $names | Should -Contain 'YamlDotNet'
        [System.Runtime.Loader.AssemblyLoadContext]::Default.Assemblies.GetName().Name | Should -Not -Contain 'YamlDotNet'
    }

    It 'imports in a process that already loaded another YamlDotNet and still runs on SQLite' {
        $state = Join-Path ([IO.Path]::GetTempPath()) ('pipeline-iso-' + [guid]::NewGuid().ToString('n'))
        New-Item -ItemType Directory $state | Out-Null
        # Another module's YamlDotNet: an assembly of that name and another version, loaded before ours.
        $script = @"
`$ErrorActionPreference = 'Stop'
Add-Type -OutputAssembly '$state/YamlDotNet.dll' -OutputType Library -TypeDefinition '[assembly: System.Reflection.AssemblyVersion("1.2.3.0")] namespace YamlDotNet.Serialization { public class Deserializer { } }'
Add-Type -Path '$state/YamlDotNet.dll'
`$theirs = [YamlDotNet.Serialization.Deserializer].Assembly.GetName().Version.ToString()
Import-Module '$RepoRoot/Pipeline.psd1'
"pipeline_id: iso`nsteps:`n  - id: a`n    type: noop`n" | Set-Content '$state/p.yml'
`$r = Invoke-Pipeline '$state/p.yml' -StateDirectory '$state' -PassThru
`$ours = ([System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'Pipeline').Assemblies | Where-Object { `$_.GetName().Name -eq 'YamlDotNet' } | ForEach-Object { `$_.GetName().Version.ToString() }
"`$theirs|`$ours|`$(`$r.Status)|`$(@(Get-PipelineRun iso -StateDirectory '$state').Count)"
"@
        $output = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $script
        Remove-Item $state -Recurse -Force -ErrorAction SilentlyContinue

        $theirs, $ours, $status, $count = "$output".Split('|')
        $theirs | Should -Be '1.2.3.0'
        $ours | Should -Be '16.0.0.0'
        $status | Should -Be 'Succeeded'
        $count | Should -Be '1'
    }
}
