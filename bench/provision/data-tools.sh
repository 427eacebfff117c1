#!/usr/bin/env bash
# Provisions the data benchmark's reference tools (bench/data.sh): pandas (python3-pandas), Miller (miller), GNU time
# (peak memory) and bc. Not needed by the tests. Idempotent: installs only what is missing, after one apt-get update.
set -euo pipefail

missing=()
/usr/bin/python3 -c 'import pandas' 2>/dev/null || missing+=(python3-pandas)
command -v mlr >/dev/null || missing+=(miller)
[[ -x /usr/bin/time ]] || missing+=(time)
command -v bc >/dev/null || missing+=(bc)
command -v gawk >/dev/null || command -v mawk >/dev/null || missing+=(gawk)
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi
