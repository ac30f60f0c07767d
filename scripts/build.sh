#!/usr/bin/env bash
# Builds the npm package in pkg/:
#   1. the release .wasm (cargo, wasm32-unknown-unknown, --lib only)
#   2. wasm-bindgen's JS glue + .d.ts, once per target (nodejs, web, bundler); the three emit the same
#      .wasm byte for byte (checked here), so the package carries it once
#   3. that .wasm optimised by binaryen's wasm-opt (npm `binaryen`, installed in bench/node_modules by
#      scripts/setup.sh), into the git-ignored pkg/dist/, one folder, every glue beside the one .wasm:
#        customerp_chargebee_bg.wasm   the module, optimised (exported as ./web/customerp_chargebee_bg.wasm)
#        node.cjs, node.d.cts          --target nodejs   CommonJS, instantiates synchronously (require / Node import)
#        web.js, web.d.ts              --target web      ES module with a default `init()` (plain browsers: "./web")
#        customerp_chargebee.js, customerp_chargebee_bg.js, customerp_chargebee.d.ts
#                                      --target bundler  ES module importing the .wasm (bundlers: "browser"/"default")
#      Each glue finds the module by its own name next to itself (`${__dirname}/…`, `new URL(…, import.meta.url)`,
#      `import … from "./…"`), so renaming the glue files keeps them working. Each glue also gets the SyncError
#      class of js/sync-error.js (the .wasm constructs it) in place of its import, and exports it; each .d.ts
#      gets the generic declarations of ts/functions.d.ts in place of wasm-bindgen's.
#   4. keeps the unoptimised module (same glue) in target/wasm-unoptimised/, for the test that checks the
#      optimised one gives byte-identical results (tests/js/optimised.test.mjs)
#   5. keeps pkg/package.json's version equal to Cargo.toml's.
# The committed files pkg/package.json, pkg/index.{cjs,mjs,d.mts} and pkg/README.md point into pkg/dist.
# Set FORCE=1 to regenerate pkg/dist even when it looks up to date. Needs scripts/setup.sh to have run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

crate=customerp_chargebee
wasm="target/wasm32-unknown-unknown/release/$crate.wasm"
dist="pkg/dist"
unoptimised="target/wasm-unoptimised"
stamp="$unoptimised/.stamp"
wasm_opt="$ROOT/bench/node_modules/.bin/wasm-opt"
# -O3 rather than -Oz: the module is sized by its data (time zones, Unicode tables), not its code, and
# the plans are the product; see the size and speed rows of bench/run.sh. The features are the ones the
# Rust toolchain enables for wasm32-unknown-unknown; Node 20 rejects what --all-features would add.
wasm_opt_flags=(-O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue --strip-debug --strip-producers)

# cargo does its own change detection (sources, Cargo.lock, include_str!'d ts/types.d.ts, toolchain),
# and is a quick no-op when nothing changed, so always ask it.
cargo build --release --target wasm32-unknown-unknown --lib

bindgen_version="$(wasm-bindgen --version | awk '{print $2}')"
[[ $bindgen_version == "$(wasm_bindgen_version)" ]] \
  || die "wasm-bindgen-cli is $bindgen_version but the crate pins $(wasm_bindgen_version): run scripts/setup.sh"
[[ -x $wasm_opt ]] || die "$wasm_opt is missing (npm binaryen): run scripts/setup.sh"
opt_version="$("$wasm_opt" --version)"

# Skip the rest when pkg/dist was generated from this very .wasm, by this script and these tool versions.
stamp_text="wasm-bindgen $bindgen_version; $opt_version ${wasm_opt_flags[*]}"
if [[ ${FORCE:-0} != 1 && -f $stamp && $stamp -nt $wasm && $stamp -nt "$ROOT/scripts/build.sh" \
      && $stamp -nt "$ROOT/js/sync-error.js" && $stamp -nt "$ROOT/ts/functions.d.ts" \
      && -f $unoptimised/${crate}_bg.wasm && -f $dist/${crate}_bg.wasm && "$(cat "$stamp")" == "$stamp_text" ]]; then
  echo "pkg/dist is up to date (FORCE=1 to regenerate)"
else
  gen="target/bindgen"
  rm -rf "$dist" "$gen" "$unoptimised"
  for target in nodejs web bundler; do
    wasm-bindgen --target "$target" --out-dir "$gen/$target" "$wasm"
  done
  for target in web bundler; do
    cmp -s "$gen/nodejs/${crate}_bg.wasm" "$gen/$target/${crate}_bg.wasm" \
      || die "wasm-bindgen's $target .wasm differs from the nodejs one: the package cannot share one module"
  done
  # pkg/index.d.mts types the Node ES entry with the bundler build's declarations.
  cmp -s "$gen/nodejs/$crate.d.ts" "$gen/bundler/$crate.d.ts" \
    || die "the nodejs and bundler declarations differ: pkg/index.d.mts must name the nodejs ones"
  mkdir -p "$dist" "$unoptimised"
  cp "$gen/nodejs/${crate}_bg.wasm" "$unoptimised/${crate}_bg.wasm"
  "$wasm_opt" "${wasm_opt_flags[@]}" "$gen/nodejs/${crate}_bg.wasm" -o "$dist/${crate}_bg.wasm"

  # The glue, renamed by target; `@ts-self-types` (read by Deno) names each file's own declarations.
  place() { # <from> <to> [<declarations it should name>]
    if [[ -n ${3:-} ]]; then
      grep -q "@ts-self-types=\"./$crate.d.ts\"" "$1" || die "$1: no @ts-self-types directive to point at $3"
      sed "s|@ts-self-types=\"./$crate.d.ts\"|@ts-self-types=\"./$3\"|" "$1" >"$2"
    else
      cp "$1" "$2"
    fi
  }
  place "$gen/nodejs/$crate.js" "$dist/node.cjs" node.d.cts
  place "$gen/nodejs/$crate.d.ts" "$dist/node.d.cts"
  place "$gen/web/$crate.js" "$dist/web.js" web.d.ts
  place "$gen/web/$crate.d.ts" "$dist/web.d.ts"
  for f in "$crate.js" "${crate}_bg.js" "$crate.d.ts" "${crate}_bg.wasm.d.ts"; do
    place "$gen/bundler/$f" "$dist/$f"
  done
  # The SyncError class (js/sync-error.js, which the .wasm constructs) goes into each glue file in place
  # of the import of wasm-bindgen's copy under snippets/, and each entry exports it: every glue stays
  # one file beside the .wasm, and `instanceof SyncError` holds with the class a user imports from it.
  node - "$dist" <<'JS'
const fs = require("node:fs");
const dist = process.argv[2];
const source = fs.readFileSync("js/sync-error.js", "utf8");
const declaration = "export class SyncError ";
if (!source.includes(declaration)) throw new Error("js/sync-error.js: no `export class SyncError`");
// Replaces the one line of `file` that starts with `start` and ends with `end` by `text`, appends `tail`.
function inline(file, start, end, text, tail = "") {
  const lines = fs.readFileSync(`${dist}/${file}`, "utf8").split("\n");
  const at = lines.flatMap((l, i) => (l.startsWith(start) && l.endsWith(end) ? [i] : []));
  if (at.length !== 1) throw new Error(`${dist}/${file}: ${at.length} lines import the SyncError snippet, not 1`);
  lines.splice(at[0], 1, text);
  fs.writeFileSync(`${dist}/${file}`, lines.join("\n") + tail);
}
const commonjs = source.replace(declaration, "class SyncError ");
inline("node.cjs", "const { SyncError } = require(String.raw`./snippets/", "/js/sync-error.js`);", commonjs, "exports.SyncError = SyncError;\n");
for (const file of ["web.js", "customerp_chargebee_bg.js"]) {
  inline(file, "import { SyncError } from './snippets/", "/js/sync-error.js';", source);
}
// The functions that take a flow get the generic declarations of ts/functions.d.ts.
const generic = fs.readFileSync("ts/functions.d.ts", "utf8").split("\n").filter((l) => l.startsWith("export function "));
for (const file of ["node.d.cts", "web.d.ts", "customerp_chargebee.d.ts"]) {
  const lines = fs.readFileSync(`${dist}/${file}`, "utf8").split("\n");
  for (const decl of generic) {
    const name = decl.match(/^export function (\w+)</)?.[1];
    const at = lines.flatMap((l, i) => (l.startsWith(`export function ${name}(`) ? [i] : []));
    if (!name || at.length !== 1) throw new Error(`${dist}/${file}: ${at.length} declarations of ${name}, not 1`);
    lines[at[0]] = decl;
  }
  fs.writeFileSync(`${dist}/${file}`, lines.join("\n"));
}
// The bundler entry re-exports the functions of customerp_chargebee_bg.js by name; the class too.
const entry = `${dist}/customerp_chargebee.js`;
if (!fs.readFileSync(entry, "utf8").includes('} from "./customerp_chargebee_bg.js";')) throw new Error(`${entry}: no re-export`);
fs.appendFileSync(entry, 'export { SyncError } from "./customerp_chargebee_bg.js";\n');
JS
  # The .js files here are ES modules (pkg/package.json has no "type"); node.cjs says CommonJS by its name.
  echo '{ "type": "module" }' >"$dist/package.json"
  rm -rf "$gen"
  echo "$stamp_text" >"$stamp"
  echo "generated $dist with wasm-bindgen $bindgen_version and $opt_version"
fi

# The package version follows the crate's.
version="$(crate_version)"
if [[ "$(node -p 'require("./pkg/package.json").version')" != "$version" ]]; then
  (cd pkg && npm pkg set version="$version")
  echo "pkg/package.json: version set to $version (from Cargo.toml)"
fi

ls -l "$unoptimised/${crate}_bg.wasm" "$dist"/*.wasm
