#!/usr/bin/env bash
# The Node package from a clean clone: npm ci, the native addon built with the napi-rs CLI,
# the package packed (npm pack) and installed from its tarball into a fresh project, and
# the tests (test/: the SDK scenarios of tests/sdk/scenarios.txt and the error classes) run
# there against real servers (tests/sdk/testbed.py), importing the installed package by
# its name. Prints `scenario <id>: ok` for each scenario passed and, only when every test
# passed, `node sdk: N passed`; exits non-zero otherwise.
#   CODITECT_SERVER_BIN  the server binary (default: built here, target/debug/coditect-license)
#   NAPI_BUILD_FLAGS     extra flags for `napi build` (e.g. --release)
set -euo pipefail
PKG="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$PKG/../.." && pwd)"
export CARGO_TERM_COLOR=never

if [ -z "${CODITECT_SERVER_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --bin coditect-license)
  CODITECT_SERVER_BIN="$ROOT/target/debug/coditect-license"
fi
export CODITECT_SERVER_BIN
export CODITECT_TESTBED="$ROOT/tests/sdk/testbed.py"
command -v node >/dev/null || { echo "node is not installed" >&2; exit 1; }
echo "node $(node --version), npm $(npm --version)"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "== npm ci"
cd "$PKG"
npm ci --no-audit --no-fund

echo "== the native addon (napi build)"
rm -f ./*.node
# shellcheck disable=SC2086 # NAPI_BUILD_FLAGS is a list of flags
npx --no-install napi build --platform --no-js ${NAPI_BUILD_FLAGS:-}
ls ./*.node

echo "== npm pack, installed into a fresh project"
TARBALL="$WORK/$(npm pack --silent --pack-destination "$WORK" | tail -n 1)"
APP="$WORK/app"
mkdir -p "$APP"
cd "$APP"
printf '{"name": "coditect-license-node-sdk-check", "private": true, "type": "module"}\n' >package.json
npm install --no-audit --no-fund --no-save "$TARBALL"
cp -R "$PKG/test" "$PKG/test-support" "$APP/"
node -e "import('@coditect/license').then((m) => console.log('installed @coditect/license:', Object.keys(m).length, 'exports'))"

echo "== the tests (node --test)"
status=0
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$WORK/tap.txt" test/ || status=$?

while read -r id _; do
  if grep -qxE "ok [0-9]+ - $id" "$WORK/tap.txt"; then echo "scenario $id: ok"; fi
done < <(grep -vE '^(#|$)' "$ROOT/tests/sdk/scenarios.txt")

pass=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$WORK/tap.txt" | tail -n 1)
fail=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$WORK/tap.txt" | tail -n 1)
cancelled=$(sed -nE 's/^# cancelled ([0-9]+)$/\1/p' "$WORK/tap.txt" | tail -n 1)
if [ "$status" -ne 0 ] || [ "${fail:-1}" != 0 ] || [ "${cancelled:-1}" != 0 ] || [ "${pass:-0}" = 0 ]; then
  echo "node sdk: FAILED (exit $status; pass ${pass:-?}, fail ${fail:-?}, cancelled ${cancelled:-?})" >&2
  exit 1
fi
echo "node sdk: $pass passed"
