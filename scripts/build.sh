#!/usr/bin/env bash
# Builds the npm package in pkg/:
#   1. the release .wasm (cargo, wasm32-unknown-unknown, --lib only)
#   2. wasm-bindgen's JS glue + .d.ts, once per target, into the git-ignored pkg/dist/:
#        pkg/dist/node     --target nodejs   CommonJS, instantiates synchronously (require / Node import)
#        pkg/dist/web      --target web      ES module with a default `init()` (plain browsers: "./web")
#        pkg/dist/bundler  --target bundler  ES module importing the .wasm (bundlers: "browser"/"default")
#   3. keeps pkg/package.json's version equal to Cargo.toml's.
# The committed files pkg/package.json, pkg/index.{cjs,mjs,d.mts} and pkg/README.md point into pkg/dist.
# Set FORCE=1 to regenerate pkg/dist even when it looks up to date. Needs scripts/setup.sh to have run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

crate=customerp_chargebee
wasm="target/wasm32-unknown-unknown/release/$crate.wasm"
dist="pkg/dist"
stamp="$dist/.stamp"

# cargo does its own change detection (sources, Cargo.lock, include_str!'d ts/types.d.ts, toolchain),
# and is a quick no-op when nothing changed, so always ask it.
cargo build --release --target wasm32-unknown-unknown --lib

bindgen_version="$(wasm-bindgen --version | awk '{print $2}')"
[[ $bindgen_version == "$(wasm_bindgen_version)" ]] \
  || die "wasm-bindgen-cli is $bindgen_version but the crate pins $(wasm_bindgen_version): run scripts/setup.sh"

# Skip wasm-bindgen when pkg/dist was generated from this very .wasm, by this script and CLI version.
stamp_text="wasm-bindgen $bindgen_version"
if [[ ${FORCE:-0} != 1 && -f $stamp && $stamp -nt $wasm && $stamp -nt "$ROOT/scripts/build.sh" \
      && "$(cat "$stamp")" == "$stamp_text" ]]; then
  echo "pkg/dist is up to date (FORCE=1 to regenerate)"
else
  rm -rf "$dist"
  for target in node web bundler; do
    flag="$target"
    [[ $target == node ]] && flag=nodejs
    wasm-bindgen --target "$flag" --out-dir "$dist/$target" "$wasm"
  done
  # pkg/package.json has no "type", so Node and TypeScript would read every .js in it as CommonJS. Say
  # per folder what the files are: the web and bundler builds are ES modules.
  echo '{ "type": "commonjs" }' >"$dist/node/package.json"
  echo '{ "type": "module" }' >"$dist/web/package.json"
  echo '{ "type": "module" }' >"$dist/bundler/package.json"
  echo "$stamp_text" >"$stamp"
  echo "generated $dist/{node,web,bundler} with wasm-bindgen $bindgen_version"
fi

# The package version follows the crate's.
version="$(crate_version)"
if [[ "$(node -p 'require("./pkg/package.json").version')" != "$version" ]]; then
  (cd pkg && npm pkg set version="$version")
  echo "pkg/package.json: version set to $version (from Cargo.toml)"
fi

ls -l "$dist"/*/*.wasm
