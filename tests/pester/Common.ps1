# Shared by every test file: imports the module from the repository and gives each test file its own run store.
$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $script:RepoRoot 'Pipeline.psd1') -Force
function New-TestDirectory {
    $path = Join-Path ([IO.Path]::GetTempPath()) ('pipeline-pester-' + [guid]::NewGuid().ToString('n'))
    New-Item -ItemType Directory -Path $path | Out-Null
    $path
}
