#!/usr/bin/env bash
# FTP provider benchmark: 1 GiB up and down (plain and explicit TLS) beside curl, and 2,000 x 64 KiB files up and
# down beside lftp mirror (sequential and --parallel=4), all against the same vsftpd on 127.0.0.1 in the same run.
# Needs root (vsftpd) and .ci/provision.d/vsftpd.sh. Usage: bench/ftp.sh [size in MiB, default 1024] [files, default 2000]
# The full run is the default. While iterating: FTP_BENCH_SKIP=lftp-tls leaves out the lftp rows over TLS (lftp takes
# minutes there), FTP_BENCH_SKIP=tls every TLS row.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
size_mib=${1:-1024}
files=${2:-2000}
skip=${FTP_BENCH_SKIP:-}
[[ $skip == "" || $skip == lftp-tls || $skip == tls ]] || { echo "FTP_BENCH_SKIP must be lftp-tls or tls" >&2; exit 2; }
modes=(plain tls); [[ $skip == tls ]] && modes=(plain)
user=pipelineftp
export FTP_BENCH_PASSWORD=pipeline-ftp-test   # the provisioned test user's password, a fixture, not a secret

for tool in /usr/sbin/vsftpd curl lftp openssl; do
    command -v "$tool" >/dev/null || { echo "missing $tool: run .ci/provision.d/vsftpd.sh" >&2; exit 1; }
done

work=$(mktemp -d /tmp/pipeline-ftp-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        # vsftpd forks a process per session: end the listener's children, then the listener.
        pkill -P "$pid" 2>/dev/null || true
        kill "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

dotnet build -c Release "$here/Pipeline.Bench.Ftp" -o "$work/bin" >/dev/null
bench() { dotnet "$work/bin/Pipeline.Bench.Ftp.dll" "$@"; }
source "$here/aot.sh"
if aot_enabled; then
    aot_bin=$(aot_publish "$here/Pipeline.Bench.Ftp" "$work/aot")
    bench() { "$aot_bin" "$@"; }
fi

mkdir -p "$work/root" "$work/empty" "$work/data/many" "$work/down"
chown "$user:" "$work/root"
echo "$user" > "$work/users"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
export FTP_BENCH_PIN=$(openssl x509 -in "$work/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_vsftpd() { # name port tls
    # Passive ports below Linux's ephemeral range (32768 and up): a client socket bound there makes vsftpd's bind of a
    # passive port fail ("500 OOPS: vsf_sysutil_bind"), which thousands of short data connections made likely.
    local conf="$work/$1.conf" pasv=$((10000 + RANDOM % 18000))
    cat > "$conf" <<CONF
listen=YES
listen_address=127.0.0.1
listen_port=$2
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
chroot_local_user=YES
allow_writeable_chroot=YES
local_root=$work/root
secure_chroot_dir=$work/empty
pam_service_name=vsftpd
userlist_enable=YES
userlist_deny=NO
userlist_file=$work/users
seccomp_sandbox=NO
pasv_min_port=$pasv
pasv_max_port=$((pasv + 1000))
utf8_filesystem=YES
xferlog_enable=NO
CONF
    if [[ $3 == tls ]]; then
        printf 'ssl_enable=YES\nrsa_cert_file=%s\nrsa_private_key_file=%s\nforce_local_logins_ssl=YES\nforce_local_data_ssl=YES\nrequire_ssl_reuse=YES\n' \
            "$work/cert.pem" "$work/key.pem" >> "$conf"
    fi
    /usr/sbin/vsftpd "$conf" & pids+=($!)
    for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$2) 2>/dev/null && return; sleep 0.1; done
    echo "vsftpd did not start on $2" >&2; exit 1
}
plain_port=$(free_port); start_vsftpd plain "$plain_port" plain
tls_port=$(free_port); start_vsftpd tls "$tls_port" tls

printf 'machine 127.0.0.1 login %s password %s\n' "$user" "$FTP_BENCH_PASSWORD" > "$work/netrc"
chmod 600 "$work/netrc"
echo "generating $size_mib MiB and $files x 64 KiB of random data..."
head -c $((size_mib << 20)) /dev/urandom > "$work/data/big.bin"
for i in $(seq "$files"); do head -c 65536 /dev/urandom > "$work/data/many/f$i.bin"; done

seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk "BEGIN { printf \"%.2f\", $e - $s }"; }
row() { printf '%-44s %8s s\n' "$1" "$2"; }
# Our rows: the process's wall time (comparable to curl's and lftp's, .NET start-up and JIT included) and the time
# the transfer took inside the process (what a long-lived PowerShell session or pipeline host sees).
ours() { # label, bench arguments...
    local label=${1/Pipeline/$(aot_label)} s e out; shift
    s=$(date +%s.%N); out=$(bench "$@"); e=$(date +%s.%N)
    printf '%-44s %8s s   (in process %s s)\n' "$label" "$(awk "BEGIN { printf \"%.2f\", $e - $s }")" "${out%% s*}"
}
reset_root() { rm -rf "$work/root"/* "$work/down"/*; sync; }

echo
echo "vsftpd $(dpkg-query -W -f '${Version}' vsftpd 2>/dev/null), curl $(curl --version | head -1 | cut -d' ' -f2), lftp $(lftp --version | head -1 | awk '{print $4}'), $(nproc) cores"
echo "== $size_mib MiB, one file =="
for mode in "${modes[@]}"; do
    if [[ $mode == plain ]]; then port=$plain_port; curl_tls=(); uri="ftp://$user@localhost:$port"; else port=$tls_port; curl_tls=(--ssl-reqd -k); uri="ftpes://$user@localhost:$port"; fi
    reset_root
    row "curl put ($mode)" "$(seconds curl -sS --netrc-file "$work/netrc" "${curl_tls[@]}" -T "$work/data/big.bin" "ftp://127.0.0.1:$port/curl.bin")"
    ours "Pipeline put ($mode)" put "$uri" "$work/data/big.bin" /ours.bin
    row "curl get ($mode)" "$(seconds curl -sS --netrc-file "$work/netrc" "${curl_tls[@]}" -o /dev/null "ftp://127.0.0.1:$port/curl.bin")"
    ours "Pipeline get ($mode)" get "$uri" /ours.bin
    cmp -s "$work/data/big.bin" "$work/root/ours.bin" || { echo "uploaded file differs" >&2; exit 1; }
done

echo "== $files x 64 KiB files =="
lftp_mirror() { # port tls parallel direction
    local script="$work/lftp.script"
    {
        if [[ $2 == tls ]]; then echo "set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ssl:verify-certificate no"; else echo "set ftp:ssl-allow no"; fi
        echo "set net:max-retries 1; set cmd:fail-exit yes"
        echo "open -u $user,$FTP_BENCH_PASSWORD ftp://127.0.0.1:$1"
        if [[ $4 == up ]]; then echo "mirror -R --parallel=$3 $work/data/many /lftp"; else echo "mirror --parallel=$3 /lftp $work/down/lftp"; fi
    } > "$script"
    chmod 600 "$script"
    lftp -f "$script"
}
for mode in "${modes[@]}"; do
    if [[ $mode == plain ]]; then port=$plain_port; uri="ftp://$user@localhost:$port"; else port=$tls_port; uri="ftpes://$user@localhost:$port"; fi
    for parallel in 1 4; do
        reset_root
        [[ $mode == tls && $skip == lftp-tls ]] || row "lftp mirror up ($mode, parallel $parallel)" "$(seconds lftp_mirror "$port" "$mode" "$parallel" up)"
        ours "Pipeline up ($mode, parallel $parallel)" putmany "$uri" "$work/data/many" /ours "$parallel"
        [[ $mode == tls && $skip == lftp-tls ]] || row "lftp mirror down ($mode, parallel $parallel)" "$(seconds lftp_mirror "$port" "$mode" "$parallel" down)"
        ours "Pipeline down ($mode, parallel $parallel)" getmany "$uri" /ours "$work/down/ours" "$parallel"
        [[ $(ls "$work/down/ours" | wc -l) == "$files" ]] || { echo "download count differs" >&2; exit 1; }
    done
done
