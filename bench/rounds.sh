#!/usr/bin/env bash
# Runs one transfer bench several times in a row and prints every row's median, with the lowest and highest time
# beside it. On these shared 2-core machines one row of one run can swing by a factor of two, while its reference row
# of the same run swings too; the medians of rounds that each interleave the reference tool and ours are what to
# compare. Environment variables (BENCH_AOT, FTP_BENCH_SKIP) reach the bench.
# Usage: bench/rounds.sh ROUNDS bench/<sftp|ftp|smb|s3>.sh [the bench's arguments]
# Example: bench/rounds.sh 3 bench/smb.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[[ $# -ge 2 && $1 =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench/rounds.sh ROUNDS bench/<name>.sh [arguments]" >&2; exit 2; }
rounds=$1; shift
out=$(mktemp -d /tmp/pipeline-bench-rounds.XXXXXX)
trap 'rm -rf "$out"' EXIT
for i in $(seq "$rounds"); do
    echo "== round $i of $rounds: $* ($(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg))"
    bash "$@" 2>&1 | tee "$out/round$i.txt"
done
echo
echo "== medians of $rounds rounds ($(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg))"
python3 "$here/median.py" "$out"/round*.txt
