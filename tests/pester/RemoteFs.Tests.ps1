BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Work = New-TestDirectory
    function New-Tree([string] $Root) {
        New-Item -ItemType Directory -Path (Join-Path $Root 'sub/deeper') -Force | Out-Null
        Set-Content -Path (Join-Path $Root 'a.csv') -Value 'id,name' -NoNewline
        Set-Content -Path (Join-Path $Root 'b.txt') -Value 'hello' -NoNewline
        Set-Content -Path (Join-Path $Root 'sub/c.csv') -Value ('x' * 5000) -NoNewline
        Set-Content -Path (Join-Path $Root 'sub/deeper/d.json') -Value '{}' -NoNewline
    }
    # Runs a script in a runspace of its own and returns its progress records (PowerShell's own streams, as a host sees them).
    function Get-ProgressOf([string] $Script, [string] $Preference = 'Continue') {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$(Join-Path $RepoRoot 'Pipeline.psd1')'; `$ProgressPreference = '$Preference'; $Script")
            $null = $ps.Invoke()
            if ($ps.Streams.Error.Count -gt 0) { throw $ps.Streams.Error[0] }
            , @($ps.Streams.Progress)
        }
        finally { $ps.Dispose() }
    }
}
AfterAll {
    Get-RemoteFsSession | Disconnect-RemoteFs
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Remote cmdlets on file:// and local paths' {
    BeforeEach {
        $script:Case = Join-Path $Work ([guid]::NewGuid().ToString('n'))
        $script:Source = Join-Path $Case 'source'
        New-Tree $Source
    }

    It 'connects a session, shows it in a table, finds it and disconnects it' {
        $session = Connect-RemoteFs "file://$Source"

        $session.GetType().FullName | Should -Be 'Pipeline.PowerShell.Remote.RemoteFsSession'
        $session.Scheme | Should -Be 'file'
        $session.Uri | Should -Be $Source
        (Get-RemoteFsSession -Id $session.Id).Uri | Should -Be $Source
        ($session | Out-String) | Should -Match 'ConnectedAt'
        $session | Disconnect-RemoteFs
        Get-RemoteFsSession -Id $session.Id | Should -BeNullOrEmpty
        $session.IsClosed | Should -BeTrue
    }

    It 'lists a directory as FileInfo-like items, recursively and filtered' {
        $top = Get-RemoteChildItem $Source
        $all = Get-RemoteChildItem "file://$Source" -Recurse
        $csv = Get-RemoteChildItem $Source -Filter *.csv -Recurse

        ($top.Name | Sort-Object) | Should -Be @('a.csv', 'b.txt', 'sub')
        $all.Count | Should -Be 6
        ($csv.Name | Sort-Object) | Should -Be @('a.csv', 'c.csv')
        $c = $csv | Where-Object Name -eq 'c.csv'
        $c.Length | Should -Be 5000
        $c.FullName | Should -Be (Join-Path $Source 'sub/c.csv')
        $c.PSIsContainer | Should -BeFalse
        $c.LastWriteTime | Should -BeOfType [datetime]
        ($top | Where-Object Name -eq 'sub').PSIsContainer | Should -BeTrue
        ($top | Where-Object Name -eq 'sub').Mode | Should -Match '^d'
        (Get-RemoteChildItem $Source -Directory -Recurse).Name | Sort-Object | Should -Be @('deeper', 'sub')
        (Get-RemoteChildItem $Source -File).Count | Should -Be 2
        ($top | Out-String) | Should -Match 'Directory:'
    }

    It 'reports a missing directory as ObjectNotFound' {
        Get-RemoteChildItem (Join-Path $Case 'nothing') -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failure[0].FullyQualifiedErrorId | Should -BeLike 'GetRemoteChildItemNotFound,*'
    }

    It 'tests paths by kind' {
        Test-RemotePath (Join-Path $Source 'a.csv') | Should -BeTrue
        Test-RemotePath (Join-Path $Source 'a.csv') -PathType Leaf | Should -BeTrue
        Test-RemotePath (Join-Path $Source 'a.csv') -PathType Container | Should -BeFalse
        Test-RemotePath "file://$Source/sub" -PathType Container | Should -BeTrue
        Test-RemotePath (Join-Path $Source 'missing') | Should -BeFalse
    }

    It 'creates directories with their parents and files with text' {
        $dir = New-RemoteItem (Join-Path $Case 'new/x/y') -ItemType Directory
        $file = New-RemoteItem (Join-Path $Case 'new/note.txt') -Value 'héllo'

        $dir.PSIsContainer | Should -BeTrue
        Test-Path (Join-Path $Case 'new/x/y') -PathType Container | Should -BeTrue
        Get-Content (Join-Path $Case 'new/note.txt') -Raw | Should -Be 'héllo'
        $file.Length | Should -Be 6
        New-RemoteItem (Join-Path $Case 'new/note.txt') -Value 'again' -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        New-RemoteItem (Join-Path $Case 'new/note.txt') -Value 'again' -Force | Out-Null
        Get-Content (Join-Path $Case 'new/note.txt') -Raw | Should -Be 'again'
        New-RemoteItem (Join-Path $Case 'whatif') -ItemType Directory -WhatIf
        Test-Path (Join-Path $Case 'whatif') | Should -BeFalse
    }

    It 'hashes files as Get-FileHash does' {
        foreach ($algorithm in 'SHA256', 'MD5', 'SHA1', 'SHA512') {
            $hash = Get-RemoteFileHash (Join-Path $Source 'sub/c.csv') -Algorithm $algorithm
            $hash.Algorithm | Should -Be $algorithm
            $hash.Hash | Should -Be (Get-FileHash (Join-Path $Source 'sub/c.csv') -Algorithm $algorithm).Hash
        }
        (Get-RemoteChildItem $Source -File | Get-RemoteFileHash).Count | Should -Be 2
    }

    It 'copies a tree into a new directory and into an existing one, as Copy-Item does' {
        $copied = Copy-RemoteItem $Source (Join-Path $Case 'copy') -Recurse -PassThru
        Copy-RemoteItem $Source (Join-Path $Case 'copy') -Recurse

        $copied.Count | Should -Be 4
        Get-Content (Join-Path $Case 'copy/sub/deeper/d.json') -Raw | Should -Be '{}'
        Get-Content (Join-Path $Case 'copy/source/sub/c.csv') -Raw | Should -Be ('x' * 5000)
    }

    It 'refuses a directory without -Recurse and an existing file without -Force' {
        Copy-RemoteItem $Source (Join-Path $Case 'copy') -ErrorVariable noRecurse -ErrorAction SilentlyContinue
        Copy-RemoteItem (Join-Path $Source 'a.csv') (Join-Path $Source 'b.txt') -ErrorVariable exists -ErrorAction SilentlyContinue

        $noRecurse[0].FullyQualifiedErrorId | Should -BeLike 'CopyRemoteItemDirectoryWithoutRecurse,*'
        Test-Path (Join-Path $Case 'copy') | Should -BeFalse
        $exists[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        Get-Content (Join-Path $Source 'b.txt') -Raw | Should -Be 'hello'
        Copy-RemoteItem (Join-Path $Source 'a.csv') (Join-Path $Source 'b.txt') -Force
        Get-Content (Join-Path $Source 'b.txt') -Raw | Should -Be 'id,name'
    }

    It 'copies what a listing pipes in, by FullName, into a directory named with a trailing slash' {
        Get-RemoteChildItem $Source -Filter *.csv -Recurse | Copy-RemoteItem -Destination "$Case/flat/" -ThrottleLimit 2

        (Get-ChildItem "$Case/flat").Name | Sort-Object | Should -Be @('a.csv', 'c.csv')
    }

    It 'takes Get-ChildItem output too' {
        Get-ChildItem $Source -File | Copy-RemoteItem -Destination "file://$Case/fromfs/"

        (Get-ChildItem "$Case/fromfs").Name | Sort-Object | Should -Be @('a.csv', 'b.txt')
    }

    It 'copies nothing with -WhatIf' {
        Copy-RemoteItem $Source (Join-Path $Case 'copy') -Recurse -WhatIf

        Test-Path (Join-Path $Case 'copy') | Should -BeFalse
    }

    It 'shows progress through Write-Progress, ending with a Completed record' {
        $progress = Get-ProgressOf "Copy-RemoteItem '$Source' '$Case/progress' -Recurse"

        $progress.Count | Should -BeGreaterThan 0
        $progress[-1].RecordType | Should -Be 'Completed'
        $progress[0].Activity | Should -Match 'Copying'
        @($progress | Where-Object StatusDescription -match 'of 4 files').Count | Should -BeGreaterThan 0
        Test-Path "$Case/progress/sub/deeper/d.json" | Should -BeTrue
    }

    It 'writes no progress when $ProgressPreference is SilentlyContinue' {
        $progress = Get-ProgressOf "Copy-RemoteItem '$Source' '$Case/quiet' -Recurse" -Preference SilentlyContinue

        $progress.Count | Should -Be 0
        Test-Path "$Case/quiet/a.csv" | Should -BeTrue
    }

    It 'stops a copy at Ctrl+C without leaving part of a file under its name' {
        $big = Join-Path $Case 'big.bin'
        $stream = [IO.File]::Create($big); $stream.SetLength(1GB); $stream.Dispose()   # sparse: costs no disk
        $target = Join-Path $Case 'stopped'
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$(Join-Path $RepoRoot 'Pipeline.psd1')'; `$ProgressPreference = 'Continue'; Copy-RemoteItem '$big' '$target/'")
            $running = $ps.BeginInvoke()
            # The first progress record says the copy has started; stop it then (as Ctrl+C does).
            $until = [DateTime]::UtcNow.AddSeconds(30)
            while ($ps.Streams.Progress.Count -eq 0 -and -not $running.IsCompleted -and [DateTime]::UtcNow -lt $until) { Start-Sleep -Milliseconds 10 }
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped' -Because 'the copy of 1 GiB was still running when the first progress record came'
        }
        finally { $ps.Dispose() }

        Test-Path (Join-Path $target 'big.bin') | Should -BeFalse
        @(Get-ChildItem $target -Force -ErrorAction SilentlyContinue).Name | Should -BeNullOrEmpty -Because 'a stopped copy leaves no temporary file behind'
    }

    It 'moves a file (a rename) and a directory' {
        Move-RemoteItem (Join-Path $Source 'a.csv') (Join-Path $Source 'renamed.csv')
        $moved = Move-RemoteItem (Join-Path $Source 'sub') "$Case/elsewhere/" -PassThru

        Test-Path (Join-Path $Source 'a.csv') | Should -BeFalse
        Get-Content (Join-Path $Source 'renamed.csv') -Raw | Should -Be 'id,name'
        $moved.FullName | Should -Be (Join-Path $Case 'elsewhere/sub')
        Test-Path "$Case/elsewhere/sub/deeper/d.json" | Should -BeTrue
        Test-Path (Join-Path $Source 'sub') | Should -BeFalse
    }

    It 'removes files, and directories only with -Recurse' {
        Remove-RemoteItem (Join-Path $Source 'sub') -ErrorVariable notEmpty -ErrorAction SilentlyContinue
        Remove-RemoteItem (Join-Path $Source 'sub') -Recurse -WhatIf
        $notEmpty[0].FullyQualifiedErrorId | Should -BeLike 'RemoveRemoteItemDirectoryNotEmpty,*'
        Test-Path (Join-Path $Source 'sub/c.csv') | Should -BeTrue

        Get-RemoteChildItem $Source -File | Remove-RemoteItem
        Remove-RemoteItem "file://$Source/sub" -Recurse

        @(Get-ChildItem $Source).Count | Should -Be 0
        Remove-RemoteItem (Join-Path $Source 'gone') -ErrorVariable missing -ErrorAction SilentlyContinue
        $missing[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'synchronizes one way, copying only what differs, deleting extras with -Delete' {
        $target = Join-Path $Case 'mirror'
        $first = Sync-RemoteItem $Source $target
        $first.Files | Should -Be 4

        Set-Content -Path (Join-Path $Source 'b.txt') -Value 'changed, longer' -NoNewline
        Set-Content -Path (Join-Path $target 'extra.txt') -Value 'x'
        $second = Sync-RemoteItem $Source $target -Delete

        $second.Files | Should -Be 1
        $second.Deleted | Should -Be 1
        $second.Skipped | Should -Be 3
        Get-Content (Join-Path $target 'b.txt') -Raw | Should -Be 'changed, longer'
        Test-Path (Join-Path $target 'extra.txt') | Should -BeFalse
        ($second | Out-String) | Should -Match 'Skipped'
    }

    It 'lists the sync plan with -WhatIf and changes nothing' {
        $target = Join-Path $Case 'mirror'
        New-Item -ItemType Directory $target | Out-Null
        Set-Content -Path (Join-Path $target 'extra.txt') -Value 'x'
        $transcript = Join-Path $Case 'whatif.txt'

        Start-Transcript -Path $transcript | Out-Null
        try { Sync-RemoteItem $Source $target -Delete -WhatIf }
        finally { Stop-Transcript | Out-Null }
        $listing = Get-Content $transcript -Raw

        $listing | Should -Match 'What if: .*Copy \(missing at the destination\).*a\.csv'
        $listing | Should -Match 'What if: .*Delete.*extra\.txt'
        @(Get-ChildItem $target).Name | Should -Be 'extra.txt'
    }

    It 'loads the S3 SDK into the module''s own load context, not the default one' {
        $keys = [pscredential]::new('AKIAEXAMPLE', (ConvertTo-SecureString 'example-secret-key' -AsPlainText -Force))
        $failure = { Connect-RemoteFs s3://bucket -Endpoint http://127.0.0.1:9 -Region us-east-1 -Credential $keys -MaxAttempts 1 -ConnectTimeout 5 -ErrorAction Stop } | Should -Throw -PassThru

        $failure.Exception.Message | Should -Not -Match 'example-secret-key'
        $context = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'Pipeline'
        $context.Assemblies.GetName().Name | Should -Contain 'AWSSDK.S3'
        [System.Runtime.Loader.AssemblyLoadContext]::Default.Assemblies.GetName().Name | Should -Not -Contain 'AWSSDK.S3'
    }

    It 'never shows a password typed into a URI' {
        Get-RemoteChildItem 'sftp://etl:Sup3rS3cret@127.0.0.1:1/x' -ErrorVariable failure -ErrorAction SilentlyContinue

        # (PowerShell itself echoes the command line in the error's position; the record's own parts must not.)
        $failure[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failure[0].CategoryInfo.ToString() | Should -Not -Match 'Sup3rS3cret'
        "$($failure[0].TargetObject)" | Should -Not -Match 'Sup3rS3cret'
        $failure[0].Exception.Message | Should -Not -Match 'Sup3rS3cret'
    }
}
