#!/usr/bin/env bash
# THE test command (CI runs it through .ci/run). Fails at the first failing step.
#   0. links            scripts/check-links.mjs: every relative link and #anchor of every tracked Markdown file
#                       resolves (no network; external links are listed, not fetched), and its own tests
#   1. setup            scripts/setup.sh (idempotent installs)
#   2. native           cargo test --all-targets, cargo test --doc
#   3. wasm in Node     cargo test --target wasm32-unknown-unknown --test node     (wasm-bindgen-test-runner)
#   4. wasm in Chromium cargo test --target wasm32-unknown-unknown --test browser  (headless, via chromedriver)
#   5. package          scripts/build.sh, then `npm pack` of pkg/ and install of the tarball into tests/js
#   6. types            tsc --noEmit against the packed package's .d.ts (Node and bundler resolution)
#   7. host example     host-example/scripts/test.sh (servers, store, loop, the official SDK against the emulator),
#                       on the packed tarball
#   8. scale bench      bench/scale.mjs --quick through bench/scale.test.mjs: runs and prints its tables (no figure checked);
#                       bench/workers.mjs --quick through bench/workers.test.mjs: 1, 2 and 3 workers over 4 tenants on
#                       a PostgreSQL of its own (its correctness columns checked, no speed)
#   9. JS tests         node --test tests/js/ (the package, the ./web build in Chromium, the request oracle,
#                       the optimised .wasm against the unoptimised one)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

tmp="$(mktemp -d)"
js="$ROOT/tests/js"
host="$ROOT/host-example"
# On any exit: remove temp files, and put tests/js/node_modules and host-example/node_modules back as
# their lockfiles have them (customerp-chargebee -> pkg/) after the steps below swapped in the packed tarball.
relink() { # <node_modules folder> <link target>
  if [[ -d $1/customerp-chargebee && ! -L $1/customerp-chargebee ]]; then
    rm -rf "$1/customerp-chargebee"
    ln -s "$2" "$1/customerp-chargebee"
  fi
}
cleanup() {
  rm -rf "$tmp"
  relink "$js/node_modules" ../../../pkg
  relink "$host/node_modules" ../../pkg
}
trap cleanup EXIT

section "links (every tracked Markdown file; external links listed, not fetched)"
node --test scripts/check-links.test.mjs
node scripts/check-links.mjs

section "setup"
bash scripts/setup.sh
echo "$(cargo --version); $(wasm-bindgen --version); node $(node --version); $(/usr/bin/chromium --version)"

section "cargo test (native)"
cargo test --all-targets
cargo test --doc

section "fuzz smoke (every entry point, a few seconds each)"
# A short run of each fuzz target; fuzz/run.sh without --smoke runs the long budget.
if rustup toolchain list | grep -q '^nightly'; then
  bash fuzz/run.sh --smoke
else
  echo "no nightly Rust toolchain here: fuzz smoke skipped (fuzz/run.sh needs nightly)"
fi

# cargo runs wasm32 test binaries through this runner; it picks Node or a browser from the test binary
# itself: wasm_bindgen_test_configure!(run_in_browser) in tests/browser.rs selects the browser.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner

section "cargo test --target wasm32-unknown-unknown --test node (Node $(node --version))"
cargo test --target wasm32-unknown-unknown --test node

section "cargo test --target wasm32-unknown-unknown --test browser (headless Chromium)"
log="$tmp/browser.log"
# CHROMEDRIVER picks the driver (else the runner searches PATH for geckodriver first); the runner adds
# --headless --no-sandbox itself, scripts/webdriver.json adds flags for a machine without internet.
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_WEBDRIVER_JSON="$ROOT/scripts/webdriver.json" \
  cargo test --target wasm32-unknown-unknown --test browser 2>&1 | tee "$log"
# Without run_in_browser the same suite would quietly run in Node: insist on Chrome.
grep -q "Running headless tests in Chrome" "$log" \
  || die "tests/browser.rs did not run in Chromium (is wasm_bindgen_test_configure!(run_in_browser) there?)"

section "build pkg/"
bash scripts/build.sh

section "npm pack pkg/ and install the tarball into tests/js"
(cd pkg && npm pack --pack-destination "$tmp" --loglevel=warn)
tarball="$(ls "$tmp"/customerp-chargebee-*.tgz)"
tar -tzf "$tarball" | sort
# Tests then see exactly what a consumer gets from the registry, not the work tree (--no-save: package.json
# and package-lock.json stay as committed).
(cd "$js" && npm install --no-save --no-audit --no-fund --loglevel=error "$tarball")
[[ ! -L $js/node_modules/customerp-chargebee ]] || die "tests/js still links to pkg/ instead of the tarball"

section "tsc --noEmit (package types, strict)"
"$js/node_modules/.bin/tsc" --version
"$js/node_modules/.bin/tsc" --noEmit -p tests/js
"$js/node_modules/.bin/tsc" --noEmit -p tests/js/tsconfig.bundler.json
echo "types ok"

section "perf guard (counts Wasm operations, never a clock)"
(cd bench && npm ci --no-audit --no-fund --loglevel=error)
node --test bench/guard.mjs

section "host-example (Customerp server, Chargebee emulator, SQLite store, the sync loop)"
# On the packed tarball, as a host installs the package from the registry (npm records the install in
# node_modules/.package-lock.json, so host-example/scripts/test.sh finds its node_modules up to date).
(cd "$host" && npm install --no-save --no-audit --no-fund --loglevel=error "$tarball")
bash host-example/scripts/test.sh
[[ ! -L $host/node_modules/customerp-chargebee ]] || die "host-example's tests ran on pkg/, not on the tarball"

section "scale bench, quick (bench/scale.mjs --quick: the stand-ins at 10k contacts, the host as its own process; prints figures, checks none)"
# On the packed tarball too (host-example's node_modules still has it). Asserts that the bench runs and prints
# its tables, never a speed.
node --test bench/scale.test.mjs

section "workers bench, quick (bench/workers.mjs --quick: 1, 2 and 3 worker processes over 4 tenants on PostgreSQL; prints figures, checks no speed)"
node --test bench/workers.test.mjs

section "node --test tests/js/"
node --test tests/js/
