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

# Wall time and the process's processor time (all threads): on a busy machine wall time stretches with other
# people's load, processor time much less.
function Measure-Runner([scriptblock] $Runner) {
    $process = [System.Diagnostics.Process]::GetCurrentProcess()
    [GC]::Collect()
    $cpu = $process.TotalProcessorTime
    $wall = Measure-Command $Runner
    $process.Refresh()
    [pscustomobject]@{ Wall = $wall; Cpu = $process.TotalProcessorTime - $cpu }
}
$ours = Measure-Runner { Invoke-Pipeline -Step $steps -PipelineId bench -Parallel -ThrottleLimit $ThrottleLimit -NoHistory | Out-Null }
$theirs = Measure-Runner { 1..$Count | ForEach-Object -Parallel {} -ThrottleLimit $ThrottleLimit | Out-Null }

$rows = @(
    [pscustomobject]@{ Runner = "Invoke-Pipeline -Parallel -ThrottleLimit $ThrottleLimit ($Count empty script-block steps)"; Seconds = [math]::Round($ours.Wall.TotalSeconds, 2); MicrosecondsPerItem = [math]::Round($ours.Wall.TotalMilliseconds * 1000 / $Count); CpuMicrosecondsPerItem = [math]::Round($ours.Cpu.TotalMilliseconds * 1000 / $Count) }
    [pscustomobject]@{ Runner = "1..$Count | ForEach-Object -Parallel {} -ThrottleLimit $ThrottleLimit"; Seconds = [math]::Round($theirs.Wall.TotalSeconds, 2); MicrosecondsPerItem = [math]::Round($theirs.Wall.TotalMilliseconds * 1000 / $Count); CpuMicrosecondsPerItem = [math]::Round($theirs.Cpu.TotalMilliseconds * 1000 / $Count) }
)
$rows | Format-Table -AutoSize | Out-String -Width 200
'Machine: {0} cores, load average {1}' -f [Environment]::ProcessorCount, (((Get-Content /proc/loadavg -ErrorAction Ignore) -split ' ' | Select-Object -First 3) -join ' ')
'Invoke-Pipeline costs {0:P0} of ForEach-Object -Parallel in wall time, {1:P0} in processor time.' -f ($ours.Wall.TotalMilliseconds / $theirs.Wall.TotalMilliseconds), ($ours.Cpu.TotalMilliseconds / $theirs.Cpu.TotalMilliseconds)
