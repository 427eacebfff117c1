# Connect-RemoteFs flows against the object stores, each started here on 127.0.0.1: s3rver (an S3-compatible server
# from npm) for s3://, Azurite (the Azure Storage emulator from npm) for az://. The same flows run on both; the
# store's own details (how it is started, a wrong credential, a missing bucket or container) come from its row.
# Without a store's server its tests are skipped, except when CI=true, where they fail.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'RemoteFsServers.ps1')
    $script:Stores = @(
        @{ Name = 'S3 (s3rver)'; Kind = 's3'; Skip = $null -ne (Get-S3rverMissingReason) -and $env:CI -ne 'true' }
        @{ Name = 'Azure Blob (Azurite)'; Kind = 'az'; Skip = $null -ne (Get-AzuriteMissingReason) -and $env:CI -ne 'true' }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    . (Join-Path $PSScriptRoot 'RemoteFsServers.ps1')
    $script:Work = New-TestDirectory
    $script:Local = Join-Path $Work 'local'
    New-Item -ItemType Directory -Path (Join-Path $Local 'sub') -Force | Out-Null
    Set-Content -Path (Join-Path $Local 'a.csv') -Value 'id,name' -NoNewline
    Set-Content -Path (Join-Path $Local 'sub/big.bin') -Value ('0123456789' * 200000) -NoNewline
    Set-Content -Path (Join-Path $Local 'sub/c.json') -Value '{}' -NoNewline
}
AfterAll {
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Remote cmdlets over <Name>' -ForEach $Stores -Skip:$Skip {
    BeforeAll {
        if ($Kind -eq 's3') {
            if ($reason = Get-S3rverMissingReason) { throw "The S3 tests cannot run: $reason" }
            $script:Server = Start-TestS3rver
            # s3rver deletes a batch concurrently and races on emptied folders: one delete at a time.
            $script:Session = Connect-RemoteFs $Server.Uri -Endpoint $Server.ServiceUrl -Region us-east-1 -Credential $Server.Credential -Setting @{ batch_delete = $false; delete_concurrency = 1 }
            # s3rver checks the access key but not SigV4 signatures: a wrong secret alone would pass there.
            $script:Wrong = [pscredential]::new('NOT-S3RVER', (ConvertTo-SecureString 'wrong-secret-value' -AsPlainText -Force))
            $script:Missing = 's3://no-such-bucket'
            $script:HostName = $Server.Bucket
        } else {
            if ($reason = Get-AzuriteMissingReason) { throw "The Azure Blob tests cannot run: $reason" }
            $script:Server = Start-TestAzurite
            $script:Session = Connect-RemoteFs $Server.Uri -Endpoint $Server.ServiceUrl -Credential $Server.Credential -Setting @{ create_container = $true }
            $script:Wrong = [pscredential]::new($Server.Account, (ConvertTo-SecureString ([Convert]::ToBase64String([byte[]](1..64))) -AsPlainText -Force))
            $script:Missing = "az://$($Server.Account)/no-such-container"
            $script:HostName = $Server.Account
        }
        $script:Secret = $Server.Credential.GetNetworkCredential().Password
    }
    AfterAll {
        Get-RemoteFsSession | Disconnect-RemoteFs
        Stop-TestServer $Server
    }

    It 'connects with the credential in a PSCredential and never shows the secret' {
        $Session.Scheme | Should -Be $Kind
        $Session.Host | Should -Be $HostName
        ($Session | Format-List * | Out-String) | Should -Not -Match ([regex]::Escape($Secret))
    }

    It 'uploads a tree, lists prefixes and objects, and downloads it back unchanged' {
        Copy-RemoteItem $Local "$($Server.Uri)/up" -Recurse

        (Get-RemoteChildItem "$($Server.Uri)/up" -Recurse -File).Name | Sort-Object | Should -Be @('a.csv', 'big.bin', 'c.json')
        (Get-RemoteChildItem "$($Server.Uri)/up" | Where-Object PSIsContainer).Name | Should -Be 'sub'
        Test-RemotePath "$($Server.Uri)/up/sub" -PathType Container | Should -BeTrue
        Test-RemotePath "$($Server.Uri)/up/sub/big.bin" -PathType Leaf | Should -BeTrue

        Get-RemoteChildItem "$($Server.Uri)/up" -Recurse -File | Copy-RemoteItem -Destination "$Work/down-$Kind/"
        (Get-FileHash (Join-Path $Work "down-$Kind/big.bin")).Hash | Should -Be (Get-FileHash (Join-Path $Local 'sub/big.bin')).Hash
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

    It 'shows what it would remove with -WhatIf and removes nothing' {
        Copy-RemoteItem (Join-Path $Local 'a.csv') "$($Server.Uri)/whatif/a.csv"

        Remove-RemoteItem "$($Server.Uri)/whatif/a.csv" -WhatIf

        Test-RemotePath "$($Server.Uri)/whatif/a.csv" | Should -BeTrue
    }

    It 'reports a wrong credential as an AuthenticationError without the secret' {
        $failure = { Connect-RemoteFs "$($Server.Uri)/wrong" -Endpoint $Server.ServiceUrl -Credential $Wrong -MaxAttempts 1 -ErrorAction Stop } | Should -Throw -PassThru

        $failure.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $failure.FullyQualifiedErrorId | Should -BeLike 'ConnectRemoteFsAuthentication,*'
        $failure.Exception.Message | Should -Not -Match ([regex]::Escape($Wrong.GetNetworkCredential().Password))
    }

    It 'reports a missing bucket or container as ObjectNotFound' {
        $failure = { Connect-RemoteFs $Missing -Endpoint $Server.ServiceUrl -Credential $Server.Credential -MaxAttempts 1 -ErrorAction Stop } | Should -Throw -PassThru

        $failure.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'lets pipeline steps reach the store with the session''s credentials and settings' {
        $definition = Join-Path $Work "push-$Kind.yml"
        Set-Content -Path $definition -Value @"
pipeline_id: push-with-$Kind-session
steps:
  - id: push
    type: remote.upload
    with: { source: "local/a.csv", destination: "$($Server.Uri)/from-step/" }
  - id: listed
    type: remote.list
    depends_on: [push]
    with: { path: "$($Server.Uri)/from-step" }
"@

        $records = Invoke-Pipeline $definition -NoHistory

        $records.name | Should -Be 'a.csv'
        Test-RemotePath "$($Server.Uri)/from-step/a.csv" | Should -BeTrue
    }
}
