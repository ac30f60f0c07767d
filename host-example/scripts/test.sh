#!/usr/bin/env bash
# host-example's tests: installs its npm dependencies from package-lock.json when node_modules does not
# match it (idempotent: a second run skips the install), checks the JSDoc types with tsc, then runs
# node --test on test/ twice: every store on SQLite, then every store on PostgreSQL.
# Needs the package built in ../pkg (the repository's scripts/build.sh; run here when it is missing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$here"

if [[ ! -f $root/pkg/dist/node.cjs ]]; then
  echo "host-example: ../pkg/dist is missing; building it"
  (cd "$root" && bash scripts/build.sh)
fi

# npm writes node_modules/.package-lock.json after each install; newer than package-lock.json = in sync.
# The native better-sqlite3 build and the link to ../pkg must be there too.
if [[ -f node_modules/.package-lock.json && node_modules/.package-lock.json -nt package-lock.json \
      && -f node_modules/better-sqlite3/build/Release/better_sqlite3.node && -e node_modules/customerp-chargebee ]]; then
  echo "host-example: node_modules is up to date"
else
  npm ci --no-audit --no-fund --loglevel=error
fi

# test/console.test.mjs drives Debian's Chromium through playwright-core (never a downloaded browser);
# scripts/setup.sh installs it for the whole repository, and so does this when it is missing.
if [[ ! -x /usr/bin/chromium ]]; then
  echo "host-example: installing chromium (apt) for the console's tests"
  sudo_if() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
  export DEBIAN_FRONTEND=noninteractive
  sudo_if apt-get update -qq
  sudo_if apt-get install -y -qq chromium >/dev/null
fi

echo "host-example: tsc (JSDoc types)"
npx --no-install tsc -p jsconfig.json
echo "host-example: the suites on SQLite"
node --test --test-concurrency=1 test/
# The same suites with every store on PostgreSQL (Debian's postgresql, started by ../scripts/postgres.sh on
# loopback; each test's store is a schema of its own).
echo "host-example: the suites on PostgreSQL"
pg_url="$(bash "$root/scripts/postgres.sh" start | tail -n 1)"
SYNC_TEST_PG="$pg_url" node --test --test-concurrency=1 test/
