# The PowerShell counterpart of tests/Pipeline.RemoteFs.Tests/Smb/SambaServer.cs: Debian's smbd started on 127.0.0.1 at
# a free port with its own smb.conf, passdb and state directories in a temporary directory (no nmbd, no winbind),
# serving the share `data` and the share `secret` (encryption required) as the test user that
# .ci/provision.d/samba.sh creates. Stop it with Stop-TestServer (RemoteFsServers.ps1), which kills every session process.

$script:SmbdPath = '/usr/sbin/smbd'
$script:PdbeditPath = '/usr/bin/pdbedit'
$script:SmbUser = 'pipelinesmb'
$script:SmbPassword = 'pipeline-smb-test'   # a test fixture, set here in the server's own passdb

function Get-SambaMissingReason {
    if (-not $IsLinux) { return 'the Samba tests run on Linux' }
    if (-not (Test-Path $script:SmbdPath)) { return "$script:SmbdPath is missing (run .ci/provision.d/samba.sh)" }
    if (-not (Test-Path $script:PdbeditPath)) { return "$script:PdbeditPath is missing (run .ci/provision.d/samba.sh)" }
    if ((id -u) -ne '0') { return 'smbd needs root to serve a share as the test user' }
    if (-not (Select-String -Path /etc/passwd -Pattern "^$($script:SmbUser):" -Quiet)) { return "the account '$script:SmbUser' is missing (run .ci/provision.d/samba.sh)" }
    $null
}

function Start-TestSamba {
    $root = Join-Path ([IO.Path]::GetTempPath()) ('pipeline-pester-samba-' + [guid]::NewGuid().ToString('n'))
    $dirs = 'private', 'lock', 'state', 'cache', 'pid', 'ncalrpc', 'data', 'secret' | ForEach-Object { Join-Path $root $_ }
    New-Item -ItemType Directory -Path $dirs | Out-Null
    chmod 755 $root
    $data = Join-Path $root 'data'
    $secret = Join-Path $root 'secret'
    chown "$($script:SmbUser):" $data $secret
    $port = Get-FreePort
    $config = Join-Path $root 'smb.conf'
    Set-Content -Path $config -Value @"
[global]
server role = standalone server
security = user
workgroup = PIPELINE
netbios name = PIPELINETEST
map to guest = never
restrict anonymous = 2
ntlm auth = ntlmv2-only
passdb backend = tdbsam:$root/private/passdb.tdb
private dir = $root/private
lock directory = $root/lock
state directory = $root/state
cache directory = $root/cache
pid directory = $root/pid
ncalrpc dir = $root/ncalrpc
log file = $root/log.smbd
log level = 1
smb ports = $port
interfaces = 127.0.0.1
bind interfaces only = yes
disable netbios = yes
load printers = no
printing = bsd
printcap name = /dev/null
disable spoolss = yes
server min protocol = SMB2_02
server max protocol = SMB3_11
server signing = auto
kernel oplocks = no
unix extensions = no
server multi channel support = no

[data]
path = $data
read only = no
valid users = $($script:SmbUser)

[secret]
path = $secret
read only = no
valid users = $($script:SmbUser)
smb encrypt = required
"@
    $added = "$($script:SmbPassword)`n$($script:SmbPassword)`n" | & $script:PdbeditPath -s $config -a -u $script:SmbUser -t 2>&1
    if ($LASTEXITCODE -ne 0) { throw "pdbedit could not add $($script:SmbUser): $added" }
    $log = Join-Path $root 'smbd.log'
    # smbd --foreground makes itself a session leader (setsid), so the group it signals on exit never holds this PowerShell.
    $process = Start-Process -FilePath $script:SmbdPath -ArgumentList '--foreground', '--debug-stdout', '-s', $config `
        -RedirectStandardOutput $log -RedirectStandardError (Join-Path $root 'stderr.log') -PassThru
    Wait-TestServerPort $process $port 'smbd' $log
    [pscustomobject]@{
        Root       = $root
        Data       = $data
        Secret     = $secret
        Port       = $port
        Process    = $process
        User       = $script:SmbUser
        Password   = $script:SmbPassword
        Credential = [pscredential]::new($script:SmbUser, (ConvertTo-SecureString $script:SmbPassword -AsPlainText -Force))
        Uri        = "smb://$($script:SmbUser)@127.0.0.1:$port/data"
        SecretUri  = "smb://$($script:SmbUser)@127.0.0.1:$port/secret"
    }
}
