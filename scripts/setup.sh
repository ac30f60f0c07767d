#!/usr/bin/env bash
# Installs everything the build and the tests need, idempotently: a second run changes
# nothing and prints one line per tool. A fresh machine (CI) has only cargo/rustup, Node and npm.
#   - rustup target wasm32-unknown-unknown
#   - wasm-bindgen-cli (wasm-bindgen + wasm-bindgen-test-runner) at exactly the crate's wasm-bindgen version
#   - Debian's postgresql (the host's second store back end; scripts/postgres.sh starts a server for the tests)
#   - Debian's systemd, for systemd-analyze (host-example/test/ops-deploy.test.mjs verifies the service unit with it)
#   - Debian's time (/usr/bin/time -v: the host's peak memory in bench/scale.mjs)
#   - Debian's chromium + chromium-driver, for the wasm-bindgen-test browser suite, the ./web smoke test and the
#     host's console tests (host-example/test/console.test.mjs, through playwright-core)
#   - the npm dependencies of tests/js (from its committed package-lock.json)
#   - the npm dependencies of bench/ (its package-lock.json): binaryen, whose wasm-opt scripts/build.sh
#     optimises the package's .wasm with and the perf guard instruments it with (npm's, never Debian's)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# Runs a command as root (CI runs as root; elsewhere use sudo if there is one).
as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# --- Rust target -----------------------------------------------------------------------------
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "ok: rust target wasm32-unknown-unknown"
else
  rustup target add wasm32-unknown-unknown
fi

# --- wasm-bindgen-cli --------------------------------------------------------------------------
# The CLI reads a schema that the wasm-bindgen crate embeds in the .wasm; both must be the very
# same version, so install the one Cargo.toml pins. (No --locked: the CLI's own lockfile is not
# needed, and cargo picks compatible dependency versions.)
want="$(wasm_bindgen_version)"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
have_runner="$(wasm-bindgen-test-runner --version 2>/dev/null | awk '{print $2}' || true)"
if [[ $have == "$want" && $have_runner == "$want" ]]; then
  echo "ok: wasm-bindgen-cli $want"
else
  echo "installing wasm-bindgen-cli $want (found '${have:-none}')"
  cargo install wasm-bindgen-cli --version "$want" --force
fi

# --- Chromium + ChromeDriver (Debian's; no browser download is possible here) -------------------
if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
  echo "ok: chromium + chromedriver"
else
  echo "installing chromium + chromium-driver (apt)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# --- PostgreSQL (Debian's), for the host's suites on its second store back end ----------------------
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "ok: postgresql ($(ls -d /usr/lib/postgresql/*/ | xargs -n1 basename | sort -V | tail -n 1))"
else
  echo "installing postgresql (apt)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq postgresql >/dev/null
fi

# --- systemd-analyze (Debian's systemd), to verify host-example/deploy/customerp-chargebee.service -------
# Only the tools are wanted: the package does not make systemd this machine's init. Where it cannot be
# installed, the unit's test says it skipped the check.
if command -v systemd-analyze >/dev/null; then
  echo "ok: systemd-analyze ($(systemd-analyze --version | head -n 1))"
else
  echo "installing systemd (apt), for systemd-analyze"
  export DEBIAN_FRONTEND=noninteractive
  if ! { as_root apt-get update -qq && as_root apt-get install -y -qq --no-install-recommends systemd >/dev/null; }; then
    echo "warning: systemd could not be installed: host-example's test of the service unit will skip systemd-analyze verify"
  fi
fi

# --- GNU time (Debian's), for bench/scale.mjs: the host's peak RSS from /usr/bin/time -v -------------
if [[ -x /usr/bin/time ]]; then
  echo "ok: /usr/bin/time"
else
  echo "installing time (apt)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq time >/dev/null
fi

# --- Node dependencies of the JS tests ----------------------------------------------------------
command -v node >/dev/null || die "node is missing (Node.js 20+ is expected on the machine)"
command -v npm >/dev/null || die "npm is missing"
# `npm ci` is exact and reproducible but not free: skip it while node_modules matches the lockfile (npm
# writes node_modules/.package-lock.json after every install) and customerp-chargebee is still the
# symlink to ../../pkg that the lockfile asks for (test.sh swaps in the packed tarball for a while).
js="$ROOT/tests/js"
if [[ -f $js/node_modules/.package-lock.json && $js/node_modules/.package-lock.json -nt $js/package-lock.json \
      && -L $js/node_modules/customerp-chargebee ]]; then
  echo "ok: tests/js/node_modules"
elif [[ -f $js/package-lock.json ]]; then
  (cd "$js" && npm ci --no-audit --no-fund --loglevel=error)
else
  (cd "$js" && npm install --no-audit --no-fund --loglevel=error)
fi

# --- Node dependencies of bench/ (binaryen's wasm-opt, for scripts/build.sh and the perf guard) ---
bench="$ROOT/bench"
if [[ -f $bench/node_modules/.package-lock.json && $bench/node_modules/.package-lock.json -nt $bench/package-lock.json \
      && -x $bench/node_modules/.bin/wasm-opt ]]; then
  echo "ok: bench/node_modules ($("$bench/node_modules/.bin/wasm-opt" --version))"
else
  (cd "$bench" && npm ci --no-audit --no-fund --loglevel=error)
fi
