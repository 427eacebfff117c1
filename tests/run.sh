#!/usr/bin/env bash
# The whole test suite: provisions the test servers' packages (Debian), builds with warnings as errors in src/,
# runs every xunit project (the server-backed ones start their own servers on 127.0.0.1) and, where pwsh exists,
# the Pester tests. Ends with one line: "tests: N passed, N failed, N skipped".
# Usage: bash tests/run.sh [--no-provision] [extra dotnet test arguments]
set -uo pipefail
cd "$(dirname "$0")/.."

provision=1
if [ "${1:-}" = "--no-provision" ]; then provision=0; shift; fi

if [ "$provision" = 1 ]; then
    for script in .ci/provision.d/*.sh; do
        echo "== provision: $script"
        if ! bash "$script"; then
            echo "provisioning failed: $script" >&2
            [ "${CI:-}" = "true" ] && exit 1
        fi
    done
fi

echo "== build"
dotnet build Pipeline.sln -c Release -nologo -v minimal || exit 1

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
for project in tests/*.Tests/*.csproj; do
    name=$(basename "$project" .csproj)
    echo "== test: $name"
    # A hang is a failure with a dump, never a silent CI timeout.
    dotnet test "$project" -c Release --no-build -nologo --blame-hang-timeout 10m \
        --logger "trx;LogFileName=$results/$name.trx" "$@" || status=1
done

if command -v pwsh >/dev/null 2>&1 && [ -f tests/pester/Run-Pester.ps1 ]; then
    echo "== pester"
    pwsh -NoProfile -File tests/pester/Run-Pester.ps1 2>&1 | tee "$results/pester.log"
    [ "${PIPESTATUS[0]}" = 0 ] || status=1
else
    echo "== pester: skipped (no pwsh on PATH, or no Pester tests; the cmdlet surface is checked by reflection in xunit)"
fi

# One plain summary line over every test project.
python3 - "$results" <<'PY' || true
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    counters = ET.parse(path).getroot().find(".//{*}Counters")
    if counters is None:
        continue
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
    skipped += int(counters.get("notExecuted", 0))
import os, re
pester = os.path.join(sys.argv[1], "pester.log")
if os.path.exists(pester):
    text = re.sub(r"\x1b\[[0-9;]*m", "", open(pester, errors="replace").read())
    m = re.search(r"Tests Passed: (\d+), Failed: (\d+), Skipped: (\d+)", text)
    if m:
        passed += int(m.group(1)); failed += int(m.group(2)); skipped += int(m.group(3))
    else:
        failed += 1  # Pester ran but printed no result: count it as a failure, never as success
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
