#!/usr/bin/env pwsh
# Runs the module's Pester tests against the built module (dotnet build first); exits non-zero on any failure.
param([string] $Output = 'Detailed')
$ErrorActionPreference = 'Stop'
Import-Module Pester -MinimumVersion 5.0
$configuration = New-PesterConfiguration
$configuration.Run.Path = $PSScriptRoot
$configuration.Run.Exit = $false
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = $Output
$result = Invoke-Pester -Configuration $configuration
"$($result.PassedCount) passed, $($result.FailedCount) failed, $($result.SkippedCount) skipped"
if ($result.FailedCount -gt 0 -or $result.Result -ne 'Passed') { exit 1 }
exit 0
