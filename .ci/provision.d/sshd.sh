#!/usr/bin/env bash
# OpenSSH for the SFTP provider's tests: the client (which the provider runs) and the server (which the tests start
# themselves on 127.0.0.1 with their own config), plus the account that the password-login tests use.
# Idempotent: installs only what is missing.
set -euo pipefail

missing=()
command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [ "$(id -u)" = 0 ]; then
    # sshd refuses to start without its privilege separation directory.
    mkdir -p /run/sshd
    # A throw-away account with a known password, only for the tests' own sshd (which listens on 127.0.0.1 only).
    # The password must match SshdServer.PasswordUserPassword in tests/Pipeline.RemoteFs.Tests/Sftp/SshdServer.cs.
    if ! id pipelinesftp >/dev/null 2>&1; then
        useradd --create-home --shell /bin/sh pipelinesftp
    fi
    echo 'pipelinesftp:Sftp-Test-Only-7c1e' | chpasswd
fi
