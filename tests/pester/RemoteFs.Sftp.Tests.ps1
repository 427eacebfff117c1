# Connect-RemoteFs sftp://… flows against a real sshd on 127.0.0.1 (started here, stopped afterwards).
# Without sshd the tests are skipped, except when CI=true, where they fail.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'RemoteFsServers.ps1')
    $script:SshdMissing = Get-SshdMissingReason
    $script:SkipSshd = $null -ne $SshdMissing -and $env:CI -ne 'true'
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    . (Join-Path $PSScriptRoot 'RemoteFsServers.ps1')
    if ($reason = Get-SshdMissingReason) { throw "The SFTP tests cannot run: $reason" }
    $script:Work = New-TestDirectory
    $script:Server = Start-TestSshd
    $script:Options = @{ KeyFile = $Server.ClientKey; Setting = @{ known_hosts = $Server.KnownHosts; ssh_config = 'none' } }
    $script:Local = Join-Path $Work 'local'
    New-Item -ItemType Directory -Path (Join-Path $Local 'sub') -Force | Out-Null
    Set-Content -Path (Join-Path $Local 'a.csv') -Value 'id,name' -NoNewline
    Set-Content -Path (Join-Path $Local 'sub/big.bin') -Value ('0123456789' * 100000) -NoNewline
    Set-Content -Path (Join-Path $Local 'sub/b c ü.txt') -Value 'spaces and unicode' -NoNewline
    $script:Session = Connect-RemoteFs $Server.Uri @Options
    # The same server without the user: the session's URI is a prefix of it once the user is left out.
    $script:Bare = "sftp://127.0.0.1:$($Server.Port)$($Server.Data)"
}
AfterAll {
    Get-RemoteFsSession | Disconnect-RemoteFs
    Stop-TestServer $Server
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Remote cmdlets over SFTP (OpenSSH sshd)' -Skip:$SkipSshd {
    It 'connects with a key file and a known_hosts file and shows a session without secrets' {
        $Session.Scheme | Should -Be 'sftp'
        $Session.UserName | Should -Be $Server.User
        $Session.Uri | Should -Be $Server.Uri
        (Get-RemoteFsSession | Where-Object Id -eq $Session.Id) | Should -Not -BeNullOrEmpty
        ($Session | Out-String) | Should -Match ([regex]::Escape("127.0.0.1:$($Server.Port)"))
    }

    It 'uploads a tree, lists it through the session and downloads it back unchanged' {
        Copy-RemoteItem $Local "$($Server.Uri)/up" -Recurse

        $listed = Get-RemoteChildItem "$Bare/up" -Recurse -File
        ($listed.Name | Sort-Object) | Should -Be @('a.csv', 'b c ü.txt', 'big.bin')
        ($listed | Where-Object Name -eq 'big.bin').Length | Should -Be 1000000
        $listed[0].FullName | Should -BeLike "sftp://$($Server.User)@127.0.0.1:$($Server.Port)$($Server.Data)/up/*"
        Get-Content (Join-Path $Server.Data 'up/sub/b c ü.txt') -Raw | Should -Be 'spaces and unicode'

        Copy-RemoteItem "$Bare/up" (Join-Path $Work 'down') -Recurse
        (Get-FileHash (Join-Path $Work 'down/sub/big.bin')).Hash | Should -Be (Get-FileHash (Join-Path $Local 'sub/big.bin')).Hash
    }

    It 'hashes a remote file as Get-FileHash hashes the local one' {
        Copy-RemoteItem (Join-Path $Local 'sub/big.bin') "$($Server.Uri)/hash/" -Force

        (Get-RemoteFileHash "$Bare/hash/big.bin").Hash | Should -Be (Get-FileHash (Join-Path $Local 'sub/big.bin')).Hash
        (Get-RemoteFileHash "$Bare/hash/big.bin" -Algorithm MD5).Hash | Should -Be (Get-FileHash (Join-Path $Local 'sub/big.bin') -Algorithm MD5).Hash
    }

    It 'downloads what a remote listing pipes in' {
        Copy-RemoteItem $Local "$($Server.Uri)/piped" -Recurse
        $target = Join-Path $Work 'piped'

        Get-RemoteChildItem "$Bare/piped" -Recurse -Filter *.txt | Copy-RemoteItem -Destination "$target/" -PassThru | Out-Null

        (Get-ChildItem $target).Name | Should -Be 'b c ü.txt'
    }

    It 'copies from one remote path to another' {
        Copy-RemoteItem $Local "$($Server.Uri)/r2r-source" -Recurse
        Copy-RemoteItem "$Bare/r2r-source" "$Bare/r2r-copy" -Recurse

        (Get-FileHash (Join-Path $Server.Data 'r2r-copy/sub/big.bin')).Hash | Should -Be (Get-FileHash (Join-Path $Local 'sub/big.bin')).Hash
    }

    It 'creates, tests, renames and removes on the server' {
        New-RemoteItem "$Bare/made/x/y" -ItemType Directory | Out-Null
        New-RemoteItem "$Bare/made/x/note.txt" -Value 'note' | Out-Null
        Test-RemotePath "$Bare/made/x/y" -PathType Container | Should -BeTrue
        Test-RemotePath "$Bare/made/x/note.txt" -PathType Leaf | Should -BeTrue

        Move-RemoteItem "$Bare/made/x/note.txt" "$Bare/made/x/renamed.txt"
        Get-Content (Join-Path $Server.Data 'made/x/renamed.txt') -Raw | Should -Be 'note'
        Test-RemotePath "$Bare/made/x/note.txt" | Should -BeFalse

        Remove-RemoteItem "$Bare/made" -ErrorVariable notEmpty -ErrorAction SilentlyContinue
        $notEmpty[0].FullyQualifiedErrorId | Should -BeLike 'RemoveRemoteItemDirectoryNotEmpty,*'
        Remove-RemoteItem "$Bare/made" -Recurse
        Test-Path (Join-Path $Server.Data 'made') | Should -BeFalse
    }

    It 'moves a file from the server to a local folder: copied, verified, then deleted there' {
        New-RemoteItem "$Bare/outbox/report.csv" -Value 'r' | Out-Null

        Move-RemoteItem "$Bare/outbox/report.csv" "$Work/inbox/"

        Get-Content (Join-Path $Work 'inbox/report.csv') -Raw | Should -Be 'r'
        Test-Path (Join-Path $Server.Data 'outbox/report.csv') | Should -BeFalse
    }

    It 'synchronizes a local folder to the server, then finds nothing to do' {
        $first = Sync-RemoteItem $Local "$Bare/mirror"
        $second = Sync-RemoteItem $Local "$Bare/mirror"

        $first.Files | Should -Be 3
        $second.Files | Should -Be 0
        $second.Skipped | Should -Be 3
    }

    It 'reports a missing remote file as ObjectNotFound' {
        Get-RemoteFileHash "$Bare/nothing-here.bin" -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failure[0].FullyQualifiedErrorId | Should -BeLike 'GetRemoteFileHashNotFound,*'
    }

    It 'refuses a key the server does not know with an AuthenticationError' {
        $stranger = Join-Path $Work 'stranger_key'
        ssh-keygen -q -t ed25519 -N '' -f $stranger

        { Connect-RemoteFs "$($Server.Uri)/other" -KeyFile $stranger -Setting @{ known_hosts = $Server.KnownHosts; ssh_config = 'none' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConnectRemoteFsAuthentication,*'
    }

    It 'refuses an unknown host key under the Strict policy, and takes a pinned fingerprint' {
        $empty = Join-Path $Work 'empty_known_hosts'
        Set-Content -Path $empty -Value ''
        $fingerprint = ((ssh-keygen -l -E sha256 -f (Join-Path $Server.Root 'ssh_host_ed25519_key.pub')) -split ' ')[1]

        $failure = { Connect-RemoteFs "$($Server.Uri)/strict" -KeyFile $Server.ClientKey -Setting @{ known_hosts = $empty; ssh_config = 'none' } -ErrorAction Stop } | Should -Throw -PassThru
        $failure.CategoryInfo.Category | Should -Be 'SecurityError'
        $pinned = Connect-RemoteFs "$($Server.Uri)/pinned" -KeyFile $Server.ClientKey -HostKeyFingerprint $fingerprint -Setting @{ known_hosts = $empty; ssh_config = 'none' }

        $pinned.Scheme | Should -Be 'sftp'
        $pinned | Disconnect-RemoteFs
    }

    It 'trusts a new host key on first use with -HostKeyPolicy AcceptNew and records it' {
        $fresh = Join-Path $Work 'fresh_known_hosts'
        Set-Content -Path $fresh -Value ''

        $session = Connect-RemoteFs "$($Server.Uri)/tofu" -KeyFile $Server.ClientKey -HostKeyPolicy AcceptNew -Setting @{ known_hosts = $fresh; ssh_config = 'none' }

        $session.Scheme | Should -Be 'sftp'
        Get-Content $fresh -Raw | Should -Match ([regex]::Escape("[127.0.0.1]:$($Server.Port)"))
        $session | Disconnect-RemoteFs
    }

    It 'uses the session for its URIs only: after Disconnect-RemoteFs the server key is unknown again' {
        $own = Connect-RemoteFs "$($Server.Uri)/only" @Options
        New-RemoteItem "$Bare/only/file.txt" -Value 'x' | Out-Null
        Disconnect-RemoteFs -Id $own.Id

        # The main session (a prefix of this URI) still serves it.
        Test-RemotePath "$Bare/only/file.txt" | Should -BeTrue
        $Session | Disconnect-RemoteFs
        try {
            Test-RemotePath "$Bare/only/file.txt" -ErrorVariable failure -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $failure[0].CategoryInfo.Category | Should -Be 'SecurityError'
        }
        finally { $script:Session = Connect-RemoteFs $Server.Uri @Options }
    }
}
