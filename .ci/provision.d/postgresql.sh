#!/usr/bin/env bash
# Provisions what the SQL steps' tests need: Debian's PostgreSQL server binaries (/usr/lib/postgresql/*/bin), which
# the tests start themselves (initdb + postgres) in a temporary directory on 127.0.0.1 at a free port.
# initdb and postgres refuse to run as root: run as root, the tests use the 'postgres' account the package creates.
# Debian's package also starts a cluster of its own on port 5432; the tests do not need it, so it is stopped.
# Idempotent: installs only what is missing, after one apt-get update.
set -euo pipefail

if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends postgresql
fi
if command -v systemctl >/dev/null && systemctl is-active --quiet postgresql 2>/dev/null; then
    systemctl stop postgresql || true
fi
id -u postgres >/dev/null 2>&1 || { echo "The postgres account is missing after installing postgresql." >&2; exit 1; }
command -v setpriv >/dev/null || { echo "setpriv (util-linux) is missing: the tests need it to run the server as postgres." >&2; exit 1; }
ls /usr/lib/postgresql/*/bin/postgres >/dev/null
