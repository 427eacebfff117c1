#!/usr/bin/env bash
# Provisions what the FTP provider's tests and benchmark need: Debian's vsftpd (the real server the tests
# start themselves), openssl (the tests' self-signed certificates), curl and lftp (the benchmark's references),
# and a dedicated system user the tests log in as (vsftpd refuses root through /etc/ftpusers).
# Idempotent: installs only what is missing, after one apt-get update.
set -euo pipefail

missing=()
[[ -x /usr/sbin/vsftpd ]] || missing+=(vsftpd)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
command -v lftp >/dev/null || missing+=(lftp)
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi
# Debian's package starts a system vsftpd on port 21; the tests start their own, so the system one is not needed.
if command -v systemctl >/dev/null && systemctl is-active --quiet vsftpd 2>/dev/null; then
    systemctl stop vsftpd || true
fi

# The test user. Its password is a test fixture, not a secret: the server it opens listens on 127.0.0.1 only,
# started by the tests for their run.
user=pipelineftp
if ! id -u "$user" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash "$user"
fi
echo "$user:pipeline-ftp-test" | chpasswd
# vsftpd's PAM stack (pam_shells) wants the user's shell listed in /etc/shells.
grep -qx /bin/bash /etc/shells || echo /bin/bash >> /etc/shells
