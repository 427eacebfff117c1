#!/usr/bin/env bash
# Provisions what the SMB provider's tests and benchmark need: Debian's Samba server (smbd, pdbedit; the real
# server the tests start themselves with their own smb.conf), smbclient (the benchmark's reference), and a
# dedicated system user the tests log in as (Samba maps every SMB user to a Unix user).
# Idempotent: installs only what is missing, after one apt-get update.
set -euo pipefail

missing=()
[[ -x /usr/sbin/smbd ]] || missing+=(samba)
command -v pdbedit >/dev/null || missing+=(samba-common-bin)
command -v smbclient >/dev/null || missing+=(smbclient)
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi
# Debian's package starts a system smbd/nmbd on 445/139; the tests start their own, so the system ones are not needed.
if command -v systemctl >/dev/null; then
    for unit in smbd nmbd samba-ad-dc; do
        systemctl is-active --quiet "$unit" 2>/dev/null && systemctl stop "$unit" || true
    done
fi

# The Unix user behind the tests' SMB user. The SMB password itself lives in each test server's own private
# passdb (created by the fixture with `smbpasswd -c <its smb.conf>`), not in the system's.
user=pipelinesmb
if ! id -u "$user" >/dev/null 2>&1; then
    useradd --create-home --shell /usr/sbin/nologin "$user"
fi
