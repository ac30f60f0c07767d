#!/usr/bin/env bash
# A native profile of the core: writes generated inputs (bench/lib/gen.mjs), runs examples/profile.rs
# (the entry point through JSON text both ways, as the Wasm binding does) under `perf record`, and prints
# the top entries by self time (`perf report`). perf is Debian's (apt-get install linux-perf).
#
#   bash bench/profile.sh [planBatch|toChargebee|toCustomerp|match] [flow] [records] [rounds]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$ROOT"
what="${1:-planBatch}"
flow="${2:-contact-customer}"
records="${3:-2000}"
rounds="${4:-20}"
command -v perf >/dev/null || die "perf is missing (apt-get install linux-perf)"

out="target/profile"
mkdir -p "$out"
inputs="$out/$what-$flow.json"
node --input-type=module -e "
  import fs from 'node:fs';
  import { FLOWS, matchSides, planInput } from './bench/lib/gen.mjs';
  const [what, flow, n] = process.argv.slice(1);
  const { record, options } = FLOWS[flow] ?? { options: {} };
  const recs = what === 'match' ? null : Array.from({ length: +n }, (_, i) => record(i));
  const inputs = what === 'match' ? matchSides(+n) : what === 'planBatch' ? recs.map((r) => planInput(flow, r)) : recs;
  fs.writeFileSync('$inputs', JSON.stringify({ flow, options, inputs }));
" "$what" "$flow" "$records"
if [[ $what == toCustomerp ]]; then
  die "toCustomerp needs Chargebee resources: profile it in Node (bench/profile.mjs --what toCustomerp)"
fi
# Symbols (not debug info) are enough for function names; frame pointers give the call graph.
RUSTFLAGS="-C force-frame-pointers=yes" cargo build --release --example profile --target-dir target/profile/build
perf record -q -F 2000 -g -o "$out/perf.data" target/profile/build/release/examples/profile "$inputs" "$what" "$rounds"
perf report -i "$out/perf.data" --stdio --no-children --sort symbol --percent-limit 0.8 2>/dev/null \
  | grep -E '^ +[0-9.]+%' | sed -E 's/\[\.\] //' | head -n 40
