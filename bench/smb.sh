#!/usr/bin/env bash
# SMB provider benchmark: 1 GiB up and down (signed SMB 3.1.1, and an encrypted share) beside smbclient put/get, and
# 2,000 x 64 KiB files up and down beside smbclient mput/mget, all against the same smbd on 127.0.0.1 in the same run;
# the many-file rows also through RemoteTransfer with its defaults (4 files at once, every file verified).
# Needs root (smbd serves the share as the test user) and .ci/provision.d/samba.sh.
# Usage: bench/smb.sh [size in MiB, default 1024] [files, default 2000]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
size_mib=${1:-1024}
files=${2:-2000}
user=pipelinesmb
export SMB_BENCH_PASSWORD=pipeline-smb-test   # the test user's password in this run's own passdb: a fixture, not a secret

for tool in /usr/sbin/smbd pdbedit smbclient; do
    command -v "$tool" >/dev/null || { echo "missing $tool: run .ci/provision.d/samba.sh" >&2; exit 1; }
done

work=$(mktemp -d /tmp/pipeline-smb-bench.XXXXXX)
chmod 755 "$work"
smbd_pid=
cleanup() {
    if [[ -n $smbd_pid ]]; then
        pkill -P "$smbd_pid" 2>/dev/null || true
        kill "$smbd_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

dotnet build -c Release "$here/Pipeline.Bench.Smb" -o "$work/bin" >/dev/null
bench() { dotnet "$work/bin/Pipeline.Bench.Smb.dll" "$@" 2>>"$work/bench.err" || { cat "$work/bench.err" >&2; return 1; }; }
source "$here/aot.sh"
if aot_enabled; then
    aot_bin=$(aot_publish "$here/Pipeline.Bench.Smb" "$work/aot")
    bench() { "$aot_bin" "$@" 2>>"$work/bench.err" || { cat "$work/bench.err" >&2; return 1; }; }
fi

mkdir -p "$work"/{private,lock,state,cache,pid,ncalrpc,data,secret,src/many,down}
chown "$user:" "$work/data" "$work/secret"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/smb.conf" <<CONF
[global]
server role = standalone server
map to guest = never
passdb backend = tdbsam:$work/private/passdb.tdb
private dir = $work/private
lock directory = $work/lock
state directory = $work/state
cache directory = $work/cache
pid directory = $work/pid
ncalrpc dir = $work/ncalrpc
log file = $work/log.smbd
log level = 0
smb ports = $port
interfaces = 127.0.0.1
bind interfaces only = yes
disable netbios = yes
load printers = no
printcap name = /dev/null
disable spoolss = yes
server min protocol = SMB2_02
server signing = mandatory
[data]
path = $work/data
read only = no
[secret]
path = $work/secret
read only = no
smb encrypt = required
CONF
printf '%s\n%s\n' "$SMB_BENCH_PASSWORD" "$SMB_BENCH_PASSWORD" | pdbedit -s "$work/smb.conf" -a -u "$user" -t >/dev/null
# Its own process group: smbd signals its whole group when it stops, which must not include this script.
/usr/sbin/smbd --foreground -s "$work/smb.conf" & smbd_pid=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
printf 'username = %s\npassword = %s\n' "$user" "$SMB_BENCH_PASSWORD" > "$work/auth"
chmod 600 "$work/auth"

echo "generating $size_mib MiB and $files x 64 KiB of random data..."
head -c $((size_mib << 20)) /dev/urandom > "$work/src/big.bin"
for i in $(seq "$files"); do head -c 65536 /dev/urandom > "$work/src/many/f$i.bin"; done

# smbclient reports every file on stderr: kept in a log, shown when it fails.
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>"$work/smbclient.err" || { cat "$work/smbclient.err" >&2; return 1; }; e=$(date +%s.%N); awk "BEGIN { printf \"%.2f\", $e - $s }"; }
row() { printf '%-48s %8s s\n' "$1" "$2"; }
ours() { # label, bench arguments...
    local label=${1/Pipeline/$(aot_label)} s e out; shift
    s=$(date +%s.%N); out=$(bench "$@"); e=$(date +%s.%N)
    printf '%-48s %8s s   (in process %s s)\n' "$label" "$(awk "BEGIN { printf \"%.2f\", $e - $s }")" "${out%% s*}"
}
smbc() { # share, commands (smbclient signs or encrypts as the server requires)
    smbclient "//127.0.0.1/$1" -p "$port" -A "$work/auth" -m SMB3 -c "$2"
}
reset() { rm -rf "$work/data"/* "$work/secret"/* "$work/down"/*; sync; }

echo
echo "smbd $(/usr/sbin/smbd --version | awk '{print $2}'), smbclient, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $size_mib MiB, one file =="
for share in data secret; do
    reset
    label=$([[ $share == data ]] && echo "signed" || echo "encrypted")
    row "smbclient put ($label)" "$(seconds smbc "$share" "lcd $work/src; put big.bin smbclient.bin")"
    ours "Pipeline put ($label)" put "smb://$user@127.0.0.1:$port/$share" "$work/src/big.bin" /ours.bin
    row "smbclient get ($label)" "$(seconds smbc "$share" "get ours.bin /dev/null")"
    ours "Pipeline get ($label)" get "smb://$user@127.0.0.1:$port/$share" /ours.bin
    cmp -s "$work/src/big.bin" "$work/$share/ours.bin" || { echo "uploaded file differs" >&2; exit 1; }
done

echo "== $files x 64 KiB files =="
reset
row "smbclient mput" "$(seconds smbc data "prompt off; mkdir smbclient; cd smbclient; lcd $work/src/many; mput *")"
ours "Pipeline up (sequential)" putmany "smb://$user@127.0.0.1:$port/data" "$work/src/many" /ours 1
ours "Pipeline up (parallel 4)" putmany "smb://$user@127.0.0.1:$port/data" "$work/src/many" /ours4 4
SMB_BENCH_SETTINGS="flush=false" ours "Pipeline up (sequential, flush=false)" putmany "smb://$user@127.0.0.1:$port/data" "$work/src/many" /oursnf 1
SMB_BENCH_SETTINGS="flush=false" ours "Pipeline up (parallel 4, flush=false)" putmany "smb://$user@127.0.0.1:$port/data" "$work/src/many" /oursnf4 4
ours "Pipeline up (RemoteTransfer defaults)" upload "smb://$user@127.0.0.1:$port/data" "$work/src/many" /oursx
mkdir -p "$work/down/smbclient"
row "smbclient mget" "$(seconds smbc data "prompt off; cd smbclient; lcd $work/down/smbclient; mget *")"
ours "Pipeline down (sequential)" getmany "smb://$user@127.0.0.1:$port/data" /ours "$work/down/ours" 1
ours "Pipeline down (parallel 4)" getmany "smb://$user@127.0.0.1:$port/data" /ours "$work/down/ours4" 4
ours "Pipeline down (RemoteTransfer defaults)" download "smb://$user@127.0.0.1:$port/data" /ours "$work/down/oursx"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
[[ $(ls "$work/down/ours" | wc -l) == "$files" ]] || { echo "download count differs" >&2; exit 1; }
