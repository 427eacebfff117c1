BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Work = New-TestDirectory
}
AfterAll { Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Records between PowerShell and the pipeline' {
    It 'round-trips Import-Csv | Invoke-Pipeline | Export-Csv, transforming each row' {
        $in = Join-Path $Work 'in.csv'
        $out = Join-Path $Work 'out.csv'
        1..500 | ForEach-Object { [pscustomobject]@{ Id = $_; Qty = $_ % 7; Price = '2.5' } } | Export-Csv $in -NoTypeInformation
        $step = New-PipelineStep total -ScriptBlock { [pscustomobject]@{ Id = $_.Id; Total = [int]$_.Qty * [double]$_.Price } }

        Import-Csv $in | Invoke-Pipeline -Step $step -NoHistory | Export-Csv $out -NoTypeInformation

        $rows = Import-Csv $out
        $rows.Count | Should -Be 500
        ($rows | Select-Object -First 1).PSObject.Properties.Name | Should -Be @('Id', 'Total')
        $rows[9].Id | Should -Be '10'
        $rows[9].Total | Should -Be '7.5'
    }

    It 'writes output records while the run is still going, not at its end' {
        # The second step, still running, waits until the caller has received every record of the first: it can
        # see them only if they are written while the run goes on (it gives up after a minute).
        $seen = [System.Collections.Concurrent.ConcurrentQueue[object]]::new()
        $observed = [System.Collections.Concurrent.ConcurrentDictionary[string, bool]]::new()
        $steps = @(
            New-PipelineStep produce -ScriptBlock { 1..3 | ForEach-Object { [pscustomobject]@{ n = $_ } } }
            New-PipelineStep waits -ScriptBlock {
                $deadline = [datetime]::UtcNow.AddMinutes(1)
                while (($using:seen).Count -lt 3 -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 10 }
                ($using:observed)['all'] = ($using:seen).Count -ge 3
            } -DependsOn produce -Input input
        )

        Invoke-Pipeline -Step $steps -OutputStep produce -Parallel -NoHistory | ForEach-Object { $seen.Enqueue($_) }

        $seen.Count | Should -Be 3
        $observed['all'] | Should -BeTrue
    }

    It 'turns hashtables, single values and .NET objects into records' {
        $steps = @(
            New-PipelineStep shapes -ScriptBlock { @{ Key = 'k' }; 42; [datetime]::new(2026, 1, 2); [version]'1.2.3' }
        )

        $out = @(Invoke-Pipeline -Step $steps -NoHistory)

        $out[0].Key | Should -Be 'k'
        $out[1].Value | Should -Be 42
        $out[2].Value.Year | Should -Be 2026
        $out[3].Major | Should -Be 1
        $out[3].Build | Should -Be 3
    }

    It 'gives a step without piped input one run, and a step with it one run per record' {
        $once = @(Invoke-Pipeline -Step (New-PipelineStep once -ScriptBlock { 'ran' }) -NoHistory)
        $each = @(1..4 | Invoke-Pipeline -Step (New-PipelineStep each -ScriptBlock { $_.Value * 2 }) -NoHistory)

        $once.Value | Should -Be @('ran')
        $each.Value | Should -Be @(2, 4, 6, 8)
    }

    It 'feeds records from a file.list step to a script block' {
        $dir = Join-Path $Work 'files'
        New-Item -ItemType Directory $dir | Out-Null
        'x' | Set-Content (Join-Path $dir 'a.txt'); 'yy' | Set-Content (Join-Path $dir 'b.txt')
        $steps = @(
            New-PipelineStep list -Type file.list -With @{ path = $dir; pattern = '*.txt' }
            New-PipelineStep names -ScriptBlock { $_.name.ToUpper() } -Input list
        )

        $out = Invoke-Pipeline -Step $steps -NoHistory

        $out.Value | Sort-Object | Should -Be @('A.TXT', 'B.TXT')
    }
}
