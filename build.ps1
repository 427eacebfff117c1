#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds the Pipeline module, runs its tests (xunit, and Pester in a pwsh of its own) and packages it.
.EXAMPLE
    ./build.ps1
    Builds, then runs every xunit and Pester test.
.EXAMPLE
    ./build.ps1 -Configuration Release -Package
    Builds in Release, tests, and lays the module out in artifacts/Pipeline/<version>/, ready to zip or publish.
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug',

    # Lay the module out in artifacts/Pipeline/<version>/.
    [switch] $Package,

    # Build (and package) without running the tests.
    [switch] $SkipTests
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot

function Invoke-Step([string] $Title, [scriptblock] $Command) {
    Write-Host "==> $Title" -ForegroundColor Cyan
    & $Command
    if ($LASTEXITCODE) { throw "$Title failed (exit code $LASTEXITCODE)." }
}

Invoke-Step 'Build' { dotnet build Pipeline.sln -c $Configuration }
# The module project may not be in the solution yet; building it again is a no-op when it is.
Invoke-Step 'Build the module' { dotnet build src/Pipeline.PowerShell -c $Configuration --no-restore }

if (-not $SkipTests) {
    Invoke-Step 'xunit' { dotnet test Pipeline.sln -c $Configuration --no-build }
    Invoke-Step 'xunit (module)' { dotnet test tests/Pipeline.PowerShell.Tests -c $Configuration }
    # A pwsh of its own: this session must not hold the module's assemblies loaded.
    Invoke-Step 'Pester' { & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -File tests/pester/Run-Pester.ps1 -Output Normal }
}

if ($Package) {
    $version = (Select-Xml -Path Directory.Build.props -XPath '//VersionPrefix').Node.InnerText
    $target = Join-Path $PSScriptRoot "artifacts/Pipeline/$version"
    Write-Host "==> Package $target" -ForegroundColor Cyan
    if (Test-Path $target) { Remove-Item $target -Recurse -Force }
    New-Item -ItemType Directory -Path (Join-Path $target 'module') -Force | Out-Null
    Copy-Item Pipeline.psd1 $target
    Copy-Item module/Pipeline.Format.ps1xml (Join-Path $target 'module')
    Copy-Item module/bin (Join-Path $target 'module/bin') -Recurse
    Copy-Item en-US (Join-Path $target 'en-US') -Recurse
    Get-ChildItem $target -Recurse -Include *.pdb | Remove-Item
    $manifest = Test-ModuleManifest (Join-Path $target 'Pipeline.psd1')
    if ($manifest.Version.ToString() -ne $version) { throw "The packaged manifest says $($manifest.Version), not $version." }
    Write-Host "Pipeline $version packaged in $target"
}
