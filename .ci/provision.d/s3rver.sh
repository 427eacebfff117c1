#!/usr/bin/env bash
# Provisions what the S3 provider's tests need: s3rver (an S3-compatible server from npm, with multipart upload
# and ranged GET) under /opt/pipeline-test-tools, and Debian's nodejs/npm to run and install it.
# Idempotent: installs only what is missing (apt-get update once, only when a Debian package is missing).
# npm installs into a shared prefix must not run at the same time as another provisioning script's: a concurrent
# `npm install` rewrites package.json and prunes what the other one added.
set -euo pipefail

prefix=/opt/pipeline-test-tools
version=3.7.1

missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

installed=$(node -p "try { require('$prefix/node_modules/s3rver/package.json').version } catch { '' }" 2>/dev/null || true)
# A module whose dependencies were pruned by another install fails to load: check that it runs, not just that it exists.
if [[ "$installed" != "$version" ]] || ! node "$prefix/node_modules/s3rver/bin/s3rver.js" --version >/dev/null 2>&1; then
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund "s3rver@$version"
fi
