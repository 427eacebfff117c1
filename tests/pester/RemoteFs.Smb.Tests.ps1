# Connect-RemoteFs smb://… flows against a real Samba smbd on 127.0.0.1 (started here, stopped afterwards).
# Without smbd (or its test account, or root) the tests are skipped, except when CI=true, where they fail.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'RemoteFsServers.ps1')
    . (Join-Path $PSScriptRoot 'RemoteFsSamba.ps1')
    $script:SkipSamba = $null -ne (Get-SambaMissingReason) -and $env:CI -ne 'true'
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    . (Join-Path $PSScriptRoot 'RemoteFsServers.ps1')
    . (Join-Path $PSScriptRoot 'RemoteFsSamba.ps1')
    if ($reason = Get-SambaMissingReason) { throw "The SMB tests cannot run: $reason" }
    $script:Work = New-TestDirectory
    $script:Server = Start-TestSamba
    $script:Local = Join-Path $Work 'local'
    New-Item -ItemType Directory -Path (Join-Path $Local 'sub/deeper') -Force | Out-Null
    Set-Content -Path (Join-Path $Local 'a.csv') -Value 'id,name' -NoNewline
    Set-Content -Path (Join-Path $Local 'sub/big.bin') -Value ('0123456789' * 300000) -NoNewline
    Set-Content -Path (Join-Path $Local 'sub/b c ü.txt') -Value 'spaces and unicode' -NoNewline
    Set-Content -Path (Join-Path $Local 'sub/deeper/z.csv') -Value 'id' -NoNewline
    $script:Session = Connect-RemoteFs $Server.Uri -Credential $Server.Credential -ConnectTimeout 10s
    # The same share without the user: the session's credentials serve it.
    $script:Bare = "smb://127.0.0.1:$($Server.Port)/data"

    function Get-TreeHash([string] $Path) {
        Get-ChildItem $Path -Recurse -File | ForEach-Object {
            '{0} {1}' -f [IO.Path]::GetRelativePath($Path, $_.FullName), (Get-FileHash $_.FullName).Hash
        } | Sort-Object
    }
}
AfterAll {
    Get-RemoteFsSession | Disconnect-RemoteFs
    Stop-TestServer $Server
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Remote cmdlets over SMB (Samba smbd)' -Skip:$SkipSamba {
    It 'connects with a PSCredential, shows the session and never the password' {
        $Session.Scheme | Should -Be 'smb'
        $Session.UserName | Should -Be $Server.User
        (Get-RemoteFsSession | Where-Object Id -eq $Session.Id) | Should -Not -BeNullOrEmpty
        $shown = $Session | Format-List * | Out-String
        $shown | Should -Match ([regex]::Escape("127.0.0.1:$($Server.Port)"))
        $shown | Should -Not -Match ([regex]::Escape($Server.Password))
    }

    It 'uploads a tree and downloads it back unchanged' {
        Copy-RemoteItem $Local "$($Server.Uri)/up" -Recurse

        Test-RemotePath "$Bare/up/sub/b c ü.txt" -PathType Leaf | Should -BeTrue
        Copy-RemoteItem "$Bare/up" (Join-Path $Work 'down') -Recurse
        Get-TreeHash (Join-Path $Work 'down') | Should -Be (Get-TreeHash $Local)
    }

    It 'puts smb://host/share/dir at dir inside the share, not under a folder named after the share' {
        New-RemoteItem "$Bare/layout/note.txt" -Value 'here' | Out-Null
        $secret = Connect-RemoteFs $Server.SecretUri -Credential $Server.Credential -ConnectTimeout 10s
        try { New-RemoteItem "$($Server.SecretUri)/layout/note.txt" -Value 'secret' | Out-Null }
        finally { $secret | Disconnect-RemoteFs }

        Get-Content (Join-Path $Server.Data 'layout/note.txt') -Raw -ErrorAction SilentlyContinue | Should -Be 'here'
        Get-Content (Join-Path $Server.Secret 'layout/note.txt') -Raw -ErrorAction SilentlyContinue | Should -Be 'secret'
    }

    It 'lists recursively with a wildcard filter' {
        Copy-RemoteItem $Local "$Bare/listed" -Recurse

        $csv = Get-RemoteChildItem "$Bare/listed" -Recurse -Filter *.csv
        ($csv.Name | Sort-Object) | Should -Be @('a.csv', 'z.csv')
        $all = Get-RemoteChildItem "$Bare/listed" -Recurse -File
        ($all | Where-Object Name -eq 'big.bin').Length | Should -Be 3000000
        ($all | Where-Object Name -eq 'z.csv').FullName | Should -BeLike "smb://*127.0.0.1:$($Server.Port)/data/listed/sub/deeper/z.csv"
    }

    It 'creates, tests, renames and removes on the share' {
        New-RemoteItem "$Bare/made/x/y" -ItemType Directory | Out-Null
        New-RemoteItem "$Bare/made/x/note.txt" -Value 'note' | Out-Null
        Test-RemotePath "$Bare/made/x/y" -PathType Container | Should -BeTrue
        Test-RemotePath "$Bare/made/x/note.txt" -PathType Leaf | Should -BeTrue

        Move-RemoteItem "$Bare/made/x/note.txt" "$Bare/made/renamed.txt"
        Test-RemotePath "$Bare/made/renamed.txt" -PathType Leaf | Should -BeTrue
        Test-RemotePath "$Bare/made/x/note.txt" | Should -BeFalse

        Remove-RemoteItem "$Bare/made" -Recurse -Confirm:$false
        Test-RemotePath "$Bare/made" | Should -BeFalse
        Get-RemoteChildItem $Bare -Recurse | Where-Object FullName -Like '*/made*' | Should -BeNullOrEmpty
    }

    It 'hashes a remote file as Get-FileHash hashes the local one' {
        Copy-RemoteItem (Join-Path $Local 'sub/big.bin') "$Bare/hash/" -Force

        (Get-RemoteFileHash "$Bare/hash/big.bin").Hash | Should -Be (Get-FileHash (Join-Path $Local 'sub/big.bin')).Hash
        (Get-RemoteFileHash "$Bare/hash/big.bin" -Algorithm MD5).Hash | Should -Be (Get-FileHash (Join-Path $Local 'sub/big.bin') -Algorithm MD5).Hash
    }

    It 'synchronizes a local folder to the share, then finds nothing to copy' {
        $first = Sync-RemoteItem $Local "$Bare/mirror"
        $second = Sync-RemoteItem $Local "$Bare/mirror"

        $first.Files | Should -Be 4
        $second.Files | Should -Be 0
        $second.Skipped | Should -Be 4
    }

    It 'works on the share that requires encryption' {
        $secret = Connect-RemoteFs $Server.SecretUri -Credential $Server.Credential -ConnectTimeout 10s
        try {
            Copy-RemoteItem $Local "$($Server.SecretUri)/enc" -Recurse
            (Get-RemoteFileHash "$($Server.SecretUri)/enc/sub/big.bin").Hash | Should -Be (Get-FileHash (Join-Path $Local 'sub/big.bin')).Hash
            Copy-RemoteItem "$($Server.SecretUri)/enc" (Join-Path $Work 'enc-down') -Recurse
            Get-TreeHash (Join-Path $Work 'enc-down') | Should -Be (Get-TreeHash $Local)
        }
        finally { $secret | Disconnect-RemoteFs }
    }

    It 'refuses a wrong password with an AuthenticationError that does not show it' {
        $wrong = [pscredential]::new($Server.User, (ConvertTo-SecureString 'not-the-smb-password' -AsPlainText -Force))

        $failure = { Connect-RemoteFs "$($Server.Uri)/wrong" -Credential $wrong -ConnectTimeout 10s -ErrorAction Stop } | Should -Throw -PassThru
        $failure.CategoryInfo.Category | Should -Be 'AuthenticationError'
        ($failure | Format-List * -Force | Out-String) + $failure.Exception.ToString() | Should -Not -Match 'not-the-smb-password'
    }

    It 'reports a missing share as ObjectNotFound' {
        $failure = { Connect-RemoteFs "smb://$($Server.User)@127.0.0.1:$($Server.Port)/no-such-share" -Credential $Server.Credential -ConnectTimeout 10s -ErrorAction Stop } | Should -Throw -PassThru

        $failure.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failure.Exception.Message | Should -Not -Match ([regex]::Escape($Server.Password))
    }

    It 'lets a pipeline step upload to the share with the session''s credentials' {
        $definition = Join-Path $Work 'push.yml'
        Set-Content -Path $definition -Value @"
pipeline_id: push-to-smb
steps:
  - id: push
    type: remote.upload
    with: { source: "local/a.csv", destination: "$Bare/from-step/" }
"@

        Invoke-Pipeline $definition -NoHistory | Out-Null

        (Get-RemoteFileHash "$Bare/from-step/a.csv").Hash | Should -Be (Get-FileHash (Join-Path $Local 'a.csv')).Hash
    }
}
