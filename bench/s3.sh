#!/usr/bin/env bash
# S3 transfer benchmark: 1 GiB up and down, and 2,000 x 64 KiB files up and down, through RemoteTransfer beside rclone
# (Debian's rclone, default settings: 4 transfers, multi-thread download of large files), both against the same
# s3rver on 127.0.0.1 in the same run. Needs .ci/provision.d/s3rver.sh and bench/provision/rclone.sh.
# Usage: bench/s3.sh [size in MiB, default 1024] [files, default 2000]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
size_mib=${1:-1024}
files=${2:-2000}
s3rver=/opt/pipeline-test-tools/node_modules/s3rver/bin/s3rver.js
bucket=bench

for tool in node rclone "$s3rver"; do
    command -v "$tool" >/dev/null || [[ -f "$tool" ]] || { echo "missing $tool: run .ci/provision.d/s3rver.sh and bench/provision/rclone.sh" >&2; exit 1; }
done

work=$(mktemp -d /tmp/pipeline-s3-bench.XXXXXX)
server=
cleanup() {
    [[ -n "$server" ]] && kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

dotnet build -c Release "$here/Pipeline.Bench.S3" -o "$work/bin" >/dev/null
bench() { dotnet "$work/bin/Pipeline.Bench.S3.dll" "$@"; }
source "$here/aot.sh"
if aot_enabled; then
    aot_bin=$(aot_publish "$here/Pipeline.Bench.S3" "$work/aot")
    bench() { "$aot_bin" "$@"; }
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
# s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
node --openssl-legacy-provider "$s3rver" --address 127.0.0.1 --port "$port" --directory "$work/s3" --silent \
    --no-vhost-buckets --configure-bucket "$bucket" >/dev/null & server=$!
for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

# rclone through environment configuration; a CA bundle variable breaks its plain-http endpoint.
unset AWS_CA_BUNDLE
touch "$work/rclone.conf"
export RCLONE_CONFIG="$work/rclone.conf"
export RCLONE_CONFIG_S3RV_TYPE=s3 RCLONE_CONFIG_S3RV_PROVIDER=Other RCLONE_CONFIG_S3RV_ENDPOINT="$endpoint" \
    RCLONE_CONFIG_S3RV_ACCESS_KEY_ID=S3RVER RCLONE_CONFIG_S3RV_SECRET_ACCESS_KEY=S3RVER RCLONE_CONFIG_S3RV_FORCE_PATH_STYLE=true

mkdir -p "$work/data/many" "$work/down"
echo "generating $size_mib MiB and $files x 64 KiB of random data..."
head -c $((size_mib << 20)) /dev/urandom > "$work/data/big.bin"
for i in $(seq "$files"); do head -c 65536 /dev/urandom > "$work/data/many/f$i.bin"; done

seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk "BEGIN { printf \"%.2f\", $e - $s }"; }
row() { printf '%-34s %8s s\n' "$1" "$2"; }
# Our rows: the process's wall time (comparable to rclone's, .NET start-up and JIT included) and the time the
# transfer took inside the process (what a long-lived PowerShell session or pipeline host sees).
ours() { # label, bench arguments...
    local label=${1/Pipeline/$(aot_label)} s e out; shift
    s=$(date +%s.%N); out=$(bench "$@"); e=$(date +%s.%N)
    printf '%-34s %8s s   (in process %s)\n' "$label" "$(awk "BEGIN { printf \"%.2f\", $e - $s }")" "$out"
}

echo
echo "s3rver $(node -p "require('$(dirname "$(dirname "$s3rver")")/package.json').version"), $(rclone version | head -1), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $size_mib MiB, one file =="
row "rclone put" "$(seconds rclone copyto "$work/data/big.bin" "s3rv:$bucket/rclone/big.bin")"
ours "Pipeline put" put "$endpoint" "$bucket" "$work/data/big.bin" ours/big.bin
row "rclone get" "$(seconds rclone copyto "s3rv:$bucket/rclone/big.bin" "$work/down/rclone.bin")"
ours "Pipeline get" get "$endpoint" "$bucket" ours/big.bin "$work/down/ours.bin"
cmp -s "$work/data/big.bin" "$work/down/ours.bin" || { echo "the downloaded file differs" >&2; exit 1; }
rm -f "$work/down/"*.bin

echo "== $files x 64 KiB files =="
row "rclone copy up" "$(seconds rclone copy "$work/data/many" "s3rv:$bucket/rclone/many")"
ours "Pipeline up" putmany "$endpoint" "$bucket" "$work/data/many" ours/many
row "rclone copy down" "$(seconds rclone copy "s3rv:$bucket/rclone/many" "$work/down/rclone")"
ours "Pipeline down" getmany "$endpoint" "$bucket" ours/many "$work/down/ours"
[[ $(ls "$work/down/ours" | wc -l) == "$files" ]] || { echo "the download count differs" >&2; exit 1; }
# The same download twice in one process: the second is what a long-lived PowerShell session sees (no start-up, no JIT
# warm-up). The process's wall time on this row covers both transfers.
ours "Pipeline down, twice" getmany "$endpoint" "$bucket" ours/many "$work/down/twice" 4 again
[[ $(ls "$work/down/twice-again" | wc -l) == "$files" ]] || { echo "the download count differs" >&2; exit 1; }
