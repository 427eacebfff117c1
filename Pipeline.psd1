@{
    # The version is written here from Directory.Build.props (VersionPrefix) by the build: change it there.
    ModuleVersion        = '0.1.0'
    RootModule           = 'module/bin/Pipeline.PowerShell.dll'
    GUID                 = '5b0e7f4e-3c1d-4a8e-9d57-8f1f2b6c9a41'
    Author               = 'Pipeline developers'
    CompanyName          = 'Pipeline developers'
    Copyright            = 'Copyright (c) 2026 Pipeline developers'
    Description          = 'Runs data and file pipelines defined in YAML or built from steps and script blocks: parallel steps, retries, timeouts, history and resume.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    CmdletsToExport      = @(
        'Get-PipelineRun'
        'Get-PipelineStepType'
        'Import-PipelineDefinition'
        'Invoke-Pipeline'
        'New-PipelineStep'
        'Test-PipelineDefinition'
        'Connect-RemoteFs'
        'Disconnect-RemoteFs'
        'Get-RemoteFsSession'
        'Get-RemoteChildItem'
        'Copy-RemoteItem'
        'Move-RemoteItem'
        'Remove-RemoteItem'
        'New-RemoteItem'
        'Test-RemotePath'
        'Get-RemoteFileHash'
        'Sync-RemoteItem'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    FormatsToProcess     = @('module/Pipeline.Format.ps1xml')
    PrivateData          = @{
        PSData = @{
            Tags = @('Pipeline', 'ETL', 'Automation', 'Workflow', 'YAML')
        }
    }
}
