#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Empty script-block steps run by Invoke-Pipeline -Parallel beside ForEach-Object -Parallel on the same count.
.EXAMPLE
    dotnet build src/Pipeline.PowerShell; pwsh -NoProfile bench/powershell-parallel.ps1
#>
param([int] $Count = 10000, [int] $ThrottleLimit = 4)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../Pipeline.psd1')

$steps = 1..$Count | ForEach-Object { New-PipelineStep "s$_" -ScriptBlock {} }
# A small warm-up so that neither side pays for first-time JIT in its figure.
Invoke-Pipeline -Step $steps[0..9] -PipelineId bench-warmup -Parallel -ThrottleLimit $ThrottleLimit -NoHistory | Out-Null
1..10 | ForEach-Object -Parallel {} -ThrottleLimit $ThrottleLimit | Out-Null

$ours = Measure-Command { Invoke-Pipeline -Step $steps -PipelineId bench -Parallel -ThrottleLimit $ThrottleLimit -NoHistory | Out-Null }
$theirs = Measure-Command { 1..$Count | ForEach-Object -Parallel {} -ThrottleLimit $ThrottleLimit | Out-Null }

$rows = @(
    [pscustomobject]@{ Runner = "Invoke-Pipeline -Parallel -ThrottleLimit $ThrottleLimit ($Count empty script-block steps)"; Seconds = [math]::Round($ours.TotalSeconds, 2); MicrosecondsPerItem = [math]::Round($ours.TotalMilliseconds * 1000 / $Count) }
    [pscustomobject]@{ Runner = "1..$Count | ForEach-Object -Parallel {} -ThrottleLimit $ThrottleLimit"; Seconds = [math]::Round($theirs.TotalSeconds, 2); MicrosecondsPerItem = [math]::Round($theirs.TotalMilliseconds * 1000 / $Count) }
)
$rows | Format-Table -AutoSize | Out-String -Width 200
'Invoke-Pipeline costs {0:P0} of ForEach-Object -Parallel.' -f ($ours.TotalMilliseconds / $theirs.TotalMilliseconds)
