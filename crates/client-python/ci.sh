#!/usr/bin/env bash
# The Python SDK's check: builds the server and a wheel of the package (maturin, debug
# profile, the workspace's target/), installs the wheel into a fresh virtual environment,
# and runs tests/test_scenarios.py there against real servers (tests/sdk/testbed.py).
# Prints `scenario <id>: ok` for each scenario of tests/sdk/scenarios.txt that passed and,
# only when every test passed and every scenario has its test, `python sdk: N passed`.
# Exits non-zero otherwise. Run from anywhere; PYTHON picks the interpreter (python3);
# SDK_PYTHON_VENV keeps the environment with the installed package at that path (.ci/sdk
# runs the Python example in it).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PYTHON=${PYTHON:-python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/coditect-python-sdk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "== server binary"
cargo build -p coditect-license --bin coditect-license
server_bin=$PWD/target/debug/coditect-license

echo "== wheel"
"$PYTHON" -m venv "$tmp/build"
"$tmp/build/bin/pip" install --quiet --disable-pip-version-check 'maturin>=1.9.4,<2'
"$tmp/build/bin/maturin" build --manifest-path crates/client-python/Cargo.toml \
    --interpreter "$tmp/build/bin/python" --out "$tmp/wheel"

echo "== fresh environment"
run=${SDK_PYTHON_VENV:-$tmp/run}
"$PYTHON" -m venv "$run"
"$run/bin/pip" install --quiet --disable-pip-version-check "$tmp"/wheel/coditect_license-*.whl

echo "== tests"
set +e
CODITECT_SERVER_BIN=$server_bin "$run/bin/python" -m unittest discover \
    -s crates/client-python/tests -v 2>&1 | tee "$tmp/tests.log"
rc=${PIPESTATUS[0]}
set -e

missing=0
for id in $(grep -v '^[[:space:]]*#' tests/sdk/scenarios.txt | awk 'NF {print $1}'); do
    if grep -Eq "^test_${id} \(test_scenarios\.Scenarios(\.test_${id})?\) \.\.\. ok\$" "$tmp/tests.log"; then
        echo "scenario ${id}: ok"
    else
        echo "scenario ${id}: FAILED or missing"
        missing=$((missing + 1))
    fi
done

ran=$(sed -nE 's/^Ran ([0-9]+) tests? in .*/\1/p' "$tmp/tests.log" | tail -n 1)
skipped=$(sed -nE 's/^OK \(.*skipped=([0-9]+).*\)$/\1/p' "$tmp/tests.log" | tail -n 1)
if [ "$rc" -ne 0 ] || [ "$missing" -ne 0 ] || [ -z "$ran" ] || [ "$ran" -eq 0 ]; then
    echo "python sdk: FAILED (unittest exit $rc, $missing scenario(s) not passed)" >&2
    exit 1
fi
echo "python sdk: $((ran - ${skipped:-0})) passed"
