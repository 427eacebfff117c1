#!/usr/bin/env bash
# Provisions Azurite, the Azure Storage emulator the Azure Blob provider's tests start themselves on 127.0.0.1.
# Node.js and npm come from Debian when missing; Azurite itself from the npm registry into a tools directory
# (not global), where the tests look for node_modules/.bin/azurite-blob.
# Idempotent: installs only what is missing, after one apt-get update.
set -euo pipefail

tools=/opt/pipeline-test-tools
version=3.37.0

missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

installed=$(node -p "try { require('$tools/node_modules/azurite/package.json').version } catch { '' }")
if [[ "$installed" != "$version" ]]; then
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund "azurite@$version"
fi
test -x "$tools/node_modules/.bin/azurite-blob"
