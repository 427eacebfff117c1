# Connect-RemoteFs az://… flows against Azurite (the Azure Storage emulator from npm) on 127.0.0.1, started here.
# Without Azurite the tests are skipped, except when CI=true, where they fail.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'RemoteFsServers.ps1')
    $script:SkipAzure = $null -ne (Get-AzuriteMissingReason) -and $env:CI -ne 'true'
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    . (Join-Path $PSScriptRoot 'RemoteFsServers.ps1')
    if ($reason = Get-AzuriteMissingReason) { throw "The Azure Blob tests cannot run: $reason" }
    $script:Work = New-TestDirectory
    $script:Server = Start-TestAzurite
    $script:Local = Join-Path $Work 'local'
    New-Item -ItemType Directory -Path (Join-Path $Local 'sub') -Force | Out-Null
    Set-Content -Path (Join-Path $Local 'a.csv') -Value 'id,name' -NoNewline
    Set-Content -Path (Join-Path $Local 'sub/big.bin') -Value ('0123456789' * 200000) -NoNewline
    Set-Content -Path (Join-Path $Local 'sub/c.json') -Value '{}' -NoNewline
    $script:Session = Connect-RemoteFs $Server.Uri -Endpoint $Server.ServiceUrl -Credential $Server.Credential -Setting @{ create_container = $true }
}
AfterAll {
    Get-RemoteFsSession | Disconnect-RemoteFs
    Stop-TestServer $Server
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Remote cmdlets over Azure Blob (Azurite)' -Skip:$SkipAzure {
    It 'connects with the account key in a PSCredential and never shows the key' {
        $Session.Scheme | Should -Be 'az'
        $Session.Host | Should -Be $Server.Account
        ($Session | Format-List * | Out-String) | Should -Not -Match 'Eby8vdM02'
    }

    It 'uploads a tree, lists prefixes and blobs, and downloads it back unchanged' {
        Copy-RemoteItem $Local "$($Server.Uri)/up" -Recurse

        (Get-RemoteChildItem "$($Server.Uri)/up" -Recurse -File).Name | Sort-Object | Should -Be @('a.csv', 'big.bin', 'c.json')
        (Get-RemoteChildItem "$($Server.Uri)/up" | Where-Object PSIsContainer).Name | Should -Be 'sub'
        Test-RemotePath "$($Server.Uri)/up/sub" -PathType Container | Should -BeTrue
        Test-RemotePath "$($Server.Uri)/up/sub/big.bin" -PathType Leaf | Should -BeTrue

        Get-RemoteChildItem "$($Server.Uri)/up" -Recurse -File | Copy-RemoteItem -Destination "$Work/down/"
        (Get-FileHash (Join-Path $Work 'down/big.bin')).Hash | Should -Be (Get-FileHash (Join-Path $Local 'sub/big.bin')).Hash
    }

    It 'hashes a blob as Get-FileHash hashes the local file' {
        Copy-RemoteItem (Join-Path $Local 'sub/big.bin') "$($Server.Uri)/hash/big.bin"

        (Get-RemoteFileHash "$($Server.Uri)/hash/big.bin" -Algorithm MD5).Hash | Should -Be (Get-FileHash (Join-Path $Local 'sub/big.bin') -Algorithm MD5).Hash
        (Get-RemoteFileHash "$($Server.Uri)/hash/big.bin").Hash | Should -Be (Get-FileHash (Join-Path $Local 'sub/big.bin')).Hash
    }

    It 'synchronizes, moves and removes blobs' {
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

    It 'reports a wrong account key as an AuthenticationError without the key' {
        $wrongKey = [Convert]::ToBase64String([byte[]](1..64))
        $wrong = [pscredential]::new($Server.Account, (ConvertTo-SecureString $wrongKey -AsPlainText -Force))

        $failure = { Connect-RemoteFs "$($Server.Uri)/wrong" -Endpoint $Server.ServiceUrl -Credential $wrong -MaxAttempts 1 -ErrorAction Stop } | Should -Throw -PassThru

        $failure.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $failure.Exception.Message | Should -Not -Match ([regex]::Escape($wrongKey))
    }

    It 'reports a missing container as ObjectNotFound' {
        $failure = { Connect-RemoteFs "az://$($Server.Account)/no-such-container" -Endpoint $Server.ServiceUrl -Credential $Server.Credential -MaxAttempts 1 -ErrorAction Stop } | Should -Throw -PassThru

        $failure.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'lets pipeline steps reach the container with the session''s credentials and settings' {
        $definition = Join-Path $Work 'push.yml'
        Set-Content -Path $definition -Value @"
pipeline_id: push-with-azure-session
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
