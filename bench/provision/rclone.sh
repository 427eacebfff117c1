#!/usr/bin/env bash
# Provisions rclone (Debian's package), the reference tool bench/s3.sh runs beside the S3 transfers on the same
# s3rver. Idempotent: apt-get update and install only when the binary is missing.
set -euo pipefail

if ! command -v rclone >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends rclone
fi
