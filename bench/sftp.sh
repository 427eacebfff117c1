#!/usr/bin/env bash
# SFTP throughput: the Pipeline provider beside OpenSSH's sftp (batch mode) and scp, in the same run, against one
# sshd started here on 127.0.0.1 (its own keys and config in a temporary directory, like the tests' fixture).
# Cases: 1 GiB put and get; 2,000 files of 64 KiB put and get.
# Usage: bench/sftp.sh [--tune] [--verified]
#   --tune      also sweeps chunk_size x max_requests for the 1 GiB case
#   --verified  also times the transfer layer (RemoteTransfer with its defaults: MD5 verification after each file)
# BENCH_TMPFS=1 keeps every file (both sides) in /dev/shm instead of /tmp: the tools without this machine's virtual
# disk, whose state after earlier runs' deletes swings the small-file rows by up to 3x for every tool (fsync is then
# free, which favours the provider: it asks for one per file, sftp does not).
# Needs: openssh-server and openssh-client (.ci/provision.d/sshd.sh), the .NET SDK.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d "$([[ ${BENCH_TMPFS:-0} == 1 ]] && echo /dev/shm || echo /tmp)/pipeline-bench-sftp.XXXXXX")"
chmod 755 "$work"
sshd_pid=""
cleanup() {
    [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

remote="$work/remote"; local_dir="$work/local"
mkdir -p "$remote" "$local_dir/small" && chmod 777 "$remote"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
ssh-keygen -q -t ed25519 -N "" -f "$work/host_key"
ssh-keygen -q -t ed25519 -N "" -f "$work/client_key"
cp "$work/client_key.pub" "$work/authorized_keys"
echo "[127.0.0.1]:$port $(cat "$work/host_key.pub")" > "$work/known_hosts"
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd
cat > "$work/sshd_config" <<CONFIG
Port $port
ListenAddress 127.0.0.1
HostKey $work/host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
StrictModes no
PermitRootLogin yes
PasswordAuthentication no
UsePAM no
MaxStartups 100
MaxSessions 100
Subsystem sftp internal-sftp
CONFIG
/usr/sbin/sshd -D -e -f "$work/sshd_config" 2> "$work/sshd.log" &
sshd_pid=$!
for _ in $(seq 100); do grep -q "Server listening" "$work/sshd.log" && break; sleep 0.1; done
grep -q "Server listening" "$work/sshd.log" || { cat "$work/sshd.log"; exit 1; }

echo "Preparing 1 GiB and 2,000 x 64 KiB of random data..." >&2
head -c 1073741824 /dev/urandom > "$local_dir/big.bin"
cp "$local_dir/big.bin" "$remote/big.bin"
for i in $(seq -w 1 2000); do head -c 65536 /dev/urandom > "$local_dir/small/f$i.bin"; done
cp -r "$local_dir/small" "$remote/small"
sync

user="$(id -un)"
ssh_opts=(-F none -o UserKnownHostsFile="$work/known_hosts" -o StrictHostKeyChecking=yes -o BatchMode=yes -i "$work/client_key")
results="$work/results.tsv"
: > "$results"

timed() { # label case bytes command...
    local label="$1" name="$2" bytes="$3"; shift 3
    local start end
    # Every row starts with nothing left for the disk to write (bench/smb.sh and bench/ftp.sh do the same), so that a
    # row does not pay for the writeback of the one before it; our rows do the same inside the bench program.
    sync
    start=$(date +%s.%N)
    "$@" > /dev/null
    end=$(date +%s.%N)
    local seconds; seconds=$(echo "$end - $start" | bc)
    printf '%s\t%s\t%.3f\t%s\n' "$label" "$name" "$seconds" "$bytes" >> "$results"
    printf '%-28s %-14s %8.3f s\n' "$label" "$name" "$seconds" >&2
}

big=1073741824; small=$((2000 * 65536))
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
batch() { printf '%s\n' "$@" > "$work/batch"; echo "$work/batch"; }

timed "OpenSSH sftp -b" "put 1 GiB" $big sftp "${ssh_opts[@]}" -P "$port" -b "$(batch "put $local_dir/big.bin $remote/big-sftp.bin")" "$user@127.0.0.1"
rm -f "$remote/big-sftp.bin"
timed "OpenSSH sftp -b" "get 1 GiB" $big sftp "${ssh_opts[@]}" -P "$port" -b "$(batch "get $remote/big.bin $local_dir/big-sftp-get.bin")" "$user@127.0.0.1"
rm -f "$local_dir/big-sftp-get.bin"
mkdir -p "$remote/small-sftp" "$local_dir/small-sftp-get"
timed "OpenSSH sftp -b" "put 2000 files" $small sftp "${ssh_opts[@]}" -P "$port" -b "$(batch "put $local_dir/small/* $remote/small-sftp/")" "$user@127.0.0.1"
timed "OpenSSH sftp -b" "get 2000 files" $small sftp "${ssh_opts[@]}" -P "$port" -b "$(batch "get $remote/small/* $local_dir/small-sftp-get/")" "$user@127.0.0.1"
rm -rf "$remote/small-sftp" "$local_dir/small-sftp-get"

timed "OpenSSH scp" "put 1 GiB" $big scp -q "${ssh_opts[@]}" -P "$port" "$local_dir/big.bin" "$user@127.0.0.1:$remote/big-scp.bin"
rm -f "$remote/big-scp.bin"
timed "OpenSSH scp" "get 1 GiB" $big scp -q "${ssh_opts[@]}" -P "$port" "$user@127.0.0.1:$remote/big.bin" "$local_dir/big-scp-get.bin"
rm -f "$local_dir/big-scp-get.bin"
timed "OpenSSH scp" "put 2000 files" $small scp -q -r "${ssh_opts[@]}" -P "$port" "$local_dir/small" "$user@127.0.0.1:$remote/small-scp"
timed "OpenSSH scp" "get 2000 files" $small scp -q -r "${ssh_opts[@]}" -P "$port" "$user@127.0.0.1:$remote/small" "$local_dir/small-scp-get"
rm -rf "$remote/small-scp" "$local_dir/small-scp-get"

dotnet build "$here/Pipeline.Bench.Sftp" -c Release -v quiet -nologo > /dev/null
bench="$here/Pipeline.Bench.Sftp/bin/Release/net10.0/Pipeline.Bench.Sftp"
source "$here/aot.sh"
aot_enabled && bench=$(aot_publish "$here/Pipeline.Bench.Sftp" "$work/aot")
ours=$(aot_label)
common=(--endpoint "sftp://$user@127.0.0.1:$port$remote" --key "$work/client_key" --known-hosts "$work/known_hosts" --local "$local_dir" --results "$results")
# The judged rows: one process per case, timed from outside as sftp's are (.NET's start-up and JIT included); each
# process prints its own figure for the case, the time inside it, as "(defaults, in process)".
for case in "put-big:put 1 GiB:$big" "get-big:get 1 GiB:$big" "put-small:put 2000 files:$small" "get-small:get 2000 files:$small"; do
    IFS=: read -r only name bytes <<< "$case"
    timed "$ours (defaults)" "$name" "$bytes" bash -c '"$@" >&2' _ "$bench" "${common[@]}" --only "$only" --label "$ours (defaults, in process)"
    rm -rf "$remote/big-pipeline.bin" "$remote/small-pipeline"
done
"$bench" "${common[@]}" --label "$ours (fsync off)" --set fsync=false >&2
rm -rf "$remote/big-pipeline.bin" "$remote/small-pipeline"
# The same defaults, small files only, with .NET's tiered PGO on, as pwsh runs (the bench program runs as the pipeline
# CLI does, without it: see src/Pipeline.Cli/Pipeline.Cli.csproj): what the JIT's instrumented tier costs a short run.
rm -rf "$remote/small-pipeline"
aot_enabled || DOTNET_TieredPGO=1 "$bench" "${common[@]}" --only small --label "Pipeline (tiered PGO, as pwsh)" >&2
rm -rf "$remote/small-pipeline"
# The same defaults but OpenSSH's own cipher order (chacha20-poly1305 first), to show what the AES-GCM preference gives.
"$bench" "${common[@]}" --label "$ours (OpenSSH ciphers)" --set prefer_aes_gcm=false >&2
rm -rf "$remote/big-pipeline.bin" "$remote/small-pipeline"
if [[ " $* " == *" --verified "* ]]; then
    "$bench" "${common[@]}" --only transfer --label "$ours transfer (verify)" >&2
    rm -rf "$remote/big-pipeline.bin"
fi

if [[ " $* " == *" --tune "* ]]; then
    for chunk in 32768 65536 131072 261120; do
        for requests in 8 16 32 64; do
            "$bench" "${common[@]}" --only big --label "chunk=$chunk requests=$requests" --set chunk_size=$chunk --set max_requests=$requests --set fsync=false >&2
            rm -f "$remote/big-pipeline.bin"
        done
    done
fi

echo
printf '| %-28s | %-14s | %9s | %9s | %s |\n' "client" "case" "seconds" "MB/s" "vs sftp"
printf '|%s|%s|%s|%s|%s|\n' "------------------------------" "----------------" "-----------" "-----------" "---------"
awk -F'\t' '
    { key = $2; if ($1 == "OpenSSH sftp -b") ref[key] = $3; rows[NR] = $0 }
    END {
        for (i = 1; i <= NR; i++) {
            split(rows[i], f, "\t")
            k = f[2]; sub(/ verified$/, "", k)
            ratio = (k in ref) ? sprintf("%.0f%%", 100 * ref[k] / f[3]) : ""
            printf "| %-28s | %-14s | %9.3f | %9.1f | %7s |\n", f[1], f[2], f[3], f[4] / f[3] / 1e6, ratio
        }
    }' "$results"
echo
echo "(\"vs sftp\": OpenSSH sftp's time divided by this client's, as a throughput ratio; over 100% is faster.)"
echo "$(nproc) cores, files in $(dirname "$work"), $(ssh -V 2>&1), $(dotnet --version | sed 's/^/.NET SDK /'); load average at the start: $load_start, at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
