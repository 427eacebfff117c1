# Test servers for RemoteFs.Tests.ps1, the PowerShell counterparts of tests/Pipeline.RemoteFs.Tests/Sftp/SshdServer.cs
# and Ftp/VsftpdServer.cs: Debian's sshd and vsftpd, each started on 127.0.0.1 at a free port with its own config in a
# temporary directory, and stopped (with every session process) by Stop-TestServer.

$script:SshdPath = '/usr/sbin/sshd'
$script:VsftpdPath = '/usr/sbin/vsftpd'
$script:FtpUser = 'pipelineftp'
$script:FtpPassword = 'pipeline-ftp-test'   # set by .ci/provision.d/vsftpd.sh

function Get-SshdMissingReason {
    if (-not $IsLinux) { return 'the sshd tests run on Linux' }
    if (-not (Test-Path $script:SshdPath)) { return "$script:SshdPath is missing (run .ci/provision.d/sshd.sh)" }
    if (-not (Get-Command ssh-keygen -ErrorAction SilentlyContinue)) { return 'ssh-keygen is missing (run .ci/provision.d/sshd.sh)' }
    $null
}

function Get-VsftpdMissingReason {
    if (-not $IsLinux) { return 'the vsftpd tests run on Linux' }
    if (-not (Test-Path $script:VsftpdPath)) { return "$script:VsftpdPath is missing (run .ci/provision.d/vsftpd.sh)" }
    if ((id -u) -ne '0') { return 'vsftpd needs root to start' }
    if (-not (Select-String -Path /etc/passwd -Pattern "^$($script:FtpUser):" -Quiet)) { return "the account '$script:FtpUser' is missing (run .ci/provision.d/vsftpd.sh)" }
    $null
}

function Get-FreePort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Wait-TestServerPort([System.Diagnostics.Process] $Process, [int] $Port, [string] $Name, [string] $Log) {
    $until = [DateTime]::UtcNow.AddSeconds(20)
    while ([DateTime]::UtcNow -lt $until) {
        if ($Process.HasExited) { throw "$Name exited with $($Process.ExitCode): $(Get-Content $Log -Raw -ErrorAction SilentlyContinue)" }
        $probe = [System.Net.Sockets.TcpClient]::new()
        try { $probe.Connect([System.Net.IPAddress]::Loopback, $Port); return }
        catch { Start-Sleep -Milliseconds 50 }
        finally { $probe.Dispose() }
    }
    throw "$Name did not listen on port $Port within 20 s: $(Get-Content $Log -Raw -ErrorAction SilentlyContinue)"
}

function Start-TestSshd {
    $root = Join-Path ([IO.Path]::GetTempPath()) ('pipeline-pester-sshd-' + [guid]::NewGuid().ToString('n'))
    $data = Join-Path $root 'data'
    New-Item -ItemType Directory -Path $data | Out-Null
    chmod 755 $root
    chmod 777 $data
    $hostKey = Join-Path $root 'ssh_host_ed25519_key'
    $clientKey = Join-Path $root 'client_key'
    ssh-keygen -q -t ed25519 -N '' -f $hostKey
    ssh-keygen -q -t ed25519 -N '' -f $clientKey
    $authorized = Join-Path $root 'authorized_keys'
    Copy-Item "$clientKey.pub" $authorized
    chmod 644 $authorized
    $port = Get-FreePort
    $knownHosts = Join-Path $root 'known_hosts'
    Set-Content -Path $knownHosts -Value "[127.0.0.1]:$port $((Get-Content "$hostKey.pub" -Raw).Trim())"
    $config = Join-Path $root 'sshd_config'
    Set-Content -Path $config -Value @"
Port $port
ListenAddress 127.0.0.1
HostKey $hostKey
PidFile $(Join-Path $root 'sshd.pid')
AuthorizedKeysFile $authorized
StrictModes no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
MaxStartups 100
MaxSessions 100
Subsystem sftp internal-sftp
LogLevel INFO
"@
    if ((id -u) -eq '0') { New-Item -ItemType Directory -Path /run/sshd -Force | Out-Null }
    $log = Join-Path $root 'sshd.log'
    $process = Start-Process -FilePath $script:SshdPath -ArgumentList '-D', '-e', '-f', $config -RedirectStandardError $log -PassThru
    Wait-TestServerPort $process $port 'sshd' $log
    $user = [Environment]::UserName
    [pscustomobject]@{
        Root       = $root
        Data       = $data
        Port       = $port
        User       = $user
        ClientKey  = $clientKey
        KnownHosts = $knownHosts
        Process    = $process
        Uri        = "sftp://$user@127.0.0.1:$port$data"
    }
}

function Start-TestVsftpd([switch] $Tls) {
    $root = Join-Path ([IO.Path]::GetTempPath()) ('pipeline-pester-vsftpd-' + [guid]::NewGuid().ToString('n'))
    $data = Join-Path $root 'root'
    $empty = Join-Path $root 'empty'
    New-Item -ItemType Directory -Path $data, $empty | Out-Null
    chmod 755 $root $empty
    chown "$($script:FtpUser):" $data
    $users = Join-Path $root 'users'
    Set-Content -Path $users -Value $script:FtpUser
    $port = Get-FreePort
    $pasv = Get-Random -Minimum 20000 -Maximum 59000
    $log = Join-Path $root 'vsftpd.log'
    $conf = @"
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$port
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
chroot_local_user=YES
allow_writeable_chroot=YES
local_root=$data
secure_chroot_dir=$empty
pam_service_name=vsftpd
userlist_enable=YES
userlist_deny=NO
userlist_file=$users
seccomp_sandbox=NO
pasv_enable=YES
pasv_min_port=$pasv
pasv_max_port=$($pasv + 200)
connect_from_port_20=NO
utf8_filesystem=YES
use_localtime=NO
vsftpd_log_file=$log
idle_session_timeout=120
data_connection_timeout=60
"@
    $thumbprint = $null
    if ($Tls) {
        $cert = Join-Path $root 'cert.pem'
        $key = Join-Path $root 'key.pem'
        openssl req -x509 -newkey rsa:2048 -nodes -keyout $key -out $cert -days 2 -subj '/CN=localhost' -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' 2>$null
        $thumbprint = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($cert).GetCertHashString('SHA256')
        $conf += @"

ssl_enable=YES
rsa_cert_file=$cert
rsa_private_key_file=$key
allow_anon_ssl=NO
force_local_logins_ssl=YES
force_local_data_ssl=YES
require_ssl_reuse=YES
ssl_sslv2=NO
ssl_sslv3=NO
"@
    }
    $config = Join-Path $root 'vsftpd.conf'
    Set-Content -Path $config -Value $conf
    $process = Start-Process -FilePath $script:VsftpdPath -ArgumentList $config -RedirectStandardOutput (Join-Path $root 'stdout.log') -RedirectStandardError (Join-Path $root 'stderr.log') -PassThru
    Wait-TestServerPort $process $port 'vsftpd' (Join-Path $root 'stderr.log')
    $scheme = if ($Tls) { 'ftpes' } else { 'ftp' }
    [pscustomobject]@{
        Root       = $root
        Data       = $data
        Port       = $port
        Process    = $process
        Thumbprint = $thumbprint
        Credential = [pscredential]::new($script:FtpUser, (ConvertTo-SecureString $script:FtpPassword -AsPlainText -Force))
        Uri        = "${scheme}://$($script:FtpUser)@localhost:$port"
    }
}

function Stop-TestServer($Server) {
    if ($null -eq $Server) { return }
    if (-not $Server.Process.HasExited) {
        $Server.Process.Kill($true)
        $Server.Process.WaitForExit(5000) | Out-Null
    }
    Remove-Item $Server.Root -Recurse -Force -ErrorAction SilentlyContinue
}

$script:S3rverScript = '/opt/pipeline-test-tools/node_modules/s3rver/bin/s3rver.js'   # .ci/provision.d/s3rver.sh

function Get-S3rverMissingReason {
    if (-not (Test-Path $script:S3rverScript)) { return "$script:S3rverScript is missing (run .ci/provision.d/s3rver.sh)" }
    if (-not (Get-Command node -CommandType Application -ErrorAction SilentlyContinue)) { return 'node is missing (run .ci/provision.d/s3rver.sh)' }
    $null
}

# Starts a server from the npm tools directory (s3rver, Azurite) on 127.0.0.1 at a free port with its data in a new
# temporary directory; $Arguments builds its command line from the port and the data directory.
function Start-TestNodeServer([string] $Name, [string] $FilePath, [scriptblock] $Arguments) {
    $root = Join-Path ([IO.Path]::GetTempPath()) ("pipeline-pester-$Name-" + [guid]::NewGuid().ToString('n'))
    New-Item -ItemType Directory -Path $root | Out-Null
    $port = Get-FreePort
    $log = Join-Path $root 'stderr.log'
    $process = Start-Process -FilePath $FilePath -ArgumentList (& $Arguments $port (Join-Path $root 'data')) `
        -RedirectStandardOutput (Join-Path $root 'stdout.log') -RedirectStandardError $log -PassThru
    Wait-TestServerPort $process $port $Name $log
    [pscustomobject]@{ Root = $root; Port = $port; Process = $process }
}

function Start-TestS3rver([string] $Bucket = 'pipeline-pester') {
    $node = (Get-Command node -CommandType Application | Select-Object -First 1).Source
    # s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
    $server = Start-TestNodeServer 's3rver' $node {
        param($port, $data)
        '--openssl-legacy-provider', $script:S3rverScript, '--address', '127.0.0.1', '--port', $port,
            '--directory', $data, '--silent', '--no-vhost-buckets', '--configure-bucket', $Bucket
    }
    $server | Add-Member -PassThru -NotePropertyMembers ([ordered]@{
        Bucket     = $Bucket
        ServiceUrl = "http://127.0.0.1:$($server.Port)"
        # s3rver's fixed key pair: a test fixture, not a secret.
        Credential = [pscredential]::new('S3RVER', (ConvertTo-SecureString 'S3RVER' -AsPlainText -Force))
        Uri        = "s3://$Bucket"
    })
}

$script:AzuriteBlob = '/opt/pipeline-test-tools/node_modules/.bin/azurite-blob'   # .ci/provision.d/azurite.sh

function Get-AzuriteMissingReason {
    if (-not (Test-Path $script:AzuriteBlob)) { return "$script:AzuriteBlob is missing (run .ci/provision.d/azurite.sh)" }
    $null
}

function Start-TestAzurite([string] $Container = 'pipeline-pester') {
    $server = Start-TestNodeServer 'azurite' $script:AzuriteBlob {
        param($port, $data)
        '--blobHost', '127.0.0.1', '--blobPort', $port, '--location', $data, '--silent', '--skipApiVersionCheck'
    }
    $account = 'devstoreaccount1'
    $server | Add-Member -PassThru -NotePropertyMembers ([ordered]@{
        Account    = $account
        Container  = $Container
        ServiceUrl = "http://127.0.0.1:$($server.Port)/$account"
        # Azurite's published development account key: a test fixture, not a secret.
        Credential = [pscredential]::new($account, (ConvertTo-SecureString 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==' -AsPlainText -Force))
        Uri        = "az://$account/$Container"
    })
}
