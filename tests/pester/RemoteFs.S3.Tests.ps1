# Connect-RemoteFs s3://… flows against s3rver (an S3-compatible server from npm) on 127.0.0.1, started here.
# Without s3rver the tests are skipped, except when CI=true, where they fail.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'RemoteFsServers.ps1')
    $script:SkipS3 = $null -ne (Get-S3rverMissingReason) -and $env:CI -ne 'true'
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    . (Join-Path $PSScriptRoot 'RemoteFsServers.ps1')
    if ($reason = Get-S3rverMissingReason) { throw "The S3 tests cannot run: $reason" }
    $script:Work = New-TestDirectory
    $script:Server = Start-TestS3rver
    $script:Local = Join-Path $Work 'local'
    New-Item -ItemType Directory -Path (Join-Path $Local 'sub') -Force | Out-Null
    Set-Content -Path (Join-Path $Local 'a.csv') -Value 'id,name' -NoNewline
    Set-Content -Path (Join-Path $Local 'sub/big.bin') -Value ('0123456789' * 200000) -NoNewline
    Set-Content -Path (Join-Path $Local 'sub/c.json') -Value '{}' -NoNewline
    # s3rver deletes a batch concurrently and races on emptied folders: one delete at a time.
    $script:Session = Connect-RemoteFs $Server.Uri -Endpoint $Server.ServiceUrl -Region us-east-1 -Credential $Server.Credential -Setting @{ batch_delete = $false; delete_concurrency = 1 }
}
AfterAll {
    Get-RemoteFsSession | Disconnect-RemoteFs
    Stop-TestServer $Server
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Remote cmdlets over S3 (s3rver)' -Skip:$SkipS3 {
    It 'connects with an access key in a PSCredential and path-style addressing' {
        $Session.Scheme | Should -Be 's3'
        $Session.Host | Should -Be $Server.Bucket
        $Session.UserName | Should -BeNullOrEmpty
        ($Session | Format-List * | Out-String) | Should -Not -Match 'S3RVER'
    }

    It 'uploads a tree, lists prefixes and objects, and downloads it back unchanged' {
        Copy-RemoteItem $Local "$($Server.Uri)/up" -Recurse

        (Get-RemoteChildItem "$($Server.Uri)/up" -Recurse -File).Name | Sort-Object | Should -Be @('a.csv', 'big.bin', 'c.json')
        (Get-RemoteChildItem "$($Server.Uri)/up" | Where-Object PSIsContainer).Name | Should -Be 'sub'
        Test-RemotePath "$($Server.Uri)/up/sub" -PathType Container | Should -BeTrue
        Test-RemotePath "$($Server.Uri)/up/sub/big.bin" -PathType Leaf | Should -BeTrue

        Get-RemoteChildItem "$($Server.Uri)/up" -Recurse -File | Copy-RemoteItem -Destination "$Work/down/"
        (Get-FileHash (Join-Path $Work 'down/big.bin')).Hash | Should -Be (Get-FileHash (Join-Path $Local 'sub/big.bin')).Hash
    }

    It 'hashes an object as Get-FileHash hashes the local file' {
        Copy-RemoteItem (Join-Path $Local 'sub/big.bin') "$($Server.Uri)/hash/big.bin"

        (Get-RemoteFileHash "$($Server.Uri)/hash/big.bin" -Algorithm MD5).Hash | Should -Be (Get-FileHash (Join-Path $Local 'sub/big.bin') -Algorithm MD5).Hash
        (Get-RemoteFileHash "$($Server.Uri)/hash/big.bin").Hash | Should -Be (Get-FileHash (Join-Path $Local 'sub/big.bin')).Hash
    }

    It 'synchronizes, moves and removes objects' {
        (Sync-RemoteItem $Local "$($Server.Uri)/mirror").Files | Should -Be 3
        (Sync-RemoteItem $Local "$($Server.Uri)/mirror").Files | Should -Be 0

        Move-RemoteItem "$($Server.Uri)/mirror/a.csv" "$($Server.Uri)/moved/a.csv"
        Test-RemotePath "$($Server.Uri)/mirror/a.csv" | Should -BeFalse
        Test-RemotePath "$($Server.Uri)/moved/a.csv" | Should -BeTrue

        Remove-RemoteItem "$($Server.Uri)/mirror" -Recurse
        @(Get-RemoteChildItem "$($Server.Uri)/" | Where-Object Name -eq 'mirror').Count | Should -Be 0
    }

    It 'reports a wrong access key as an AuthenticationError without the secret' {
        # s3rver checks the access key but not SigV4 signatures: a wrong secret alone would pass there.
        $wrong = [pscredential]::new('NOT-S3RVER', (ConvertTo-SecureString 'wrong-secret-value' -AsPlainText -Force))

        $failure = { Connect-RemoteFs "$($Server.Uri)/wrong" -Endpoint $Server.ServiceUrl -Credential $wrong -MaxAttempts 1 -ErrorAction Stop } | Should -Throw -PassThru

        $failure.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $failure.FullyQualifiedErrorId | Should -BeLike 'ConnectRemoteFsAuthentication,*'
        $failure.Exception.Message | Should -Not -Match 'wrong-secret-value'
    }

    It 'reports a missing bucket as ObjectNotFound' {
        $failure = { Connect-RemoteFs 's3://no-such-bucket' -Endpoint $Server.ServiceUrl -Credential $Server.Credential -MaxAttempts 1 -ErrorAction Stop } | Should -Throw -PassThru

        $failure.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}
