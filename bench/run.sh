#!/usr/bin/env bash
# The benchmarks in one command: builds the release package (scripts/build.sh), then measures
#   api.mjs     requests by method and path through host-example's Chargebee emulator
#   plan.mjs    planBatch / toChargebee throughput against the JSON floor and a plain-JS mapping
#   match.mjs   match on 10k, 100k and 1M records per side
#   size.mjs    the npm package packed, the .wasm as built and as shipped (wasm-opt), where its bytes go
#   memory.mjs  peak Wasm memory while streaming 1M records through planBatch in pages
#   latency.mjs edit → other side written through host-example's local servers, with webhooks and polling
#   scale.mjs   the host as its own process at 10k, 100k (and 1M as a dry run) contacts against the stand-ins,
#               and its pacing against a rate limit (its own tables, after the main one)
#   workers.mjs tenant-flows a minute with 1, 2 and 3 `sync.mjs worker` processes over 12 tenants on a PostgreSQL
#               it starts itself (scripts/postgres.sh); its own table, after scale.mjs's
# and prints one Markdown table (table.mjs) on stdout, then scale.mjs's tables; progress goes to stderr.
# QUICK=1 runs everything on smaller sizes (a smoke test, not figures to quote).
# It takes about 20 minutes and up to ~8 GiB of memory (the 1M × 1M match), plus scale.mjs (about an hour; see
# README.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/build.sh >&2
if [[ ! -x bench/node_modules/.bin/wasm-opt ]]; then
  (cd bench && npm ci --no-audit --no-fund >&2)
fi

rm -rf bench/results
node=(node --expose-gc --max-old-space-size=16384)
if [[ ${QUICK:-0} == 1 ]]; then
  api_args=(--records 120)
  plan_args=(--records 10000 --runs 3)
  match_args=(--sizes 1000,10000,100000 --runs 3)
  memory_args=(--records 50000)
  latency_args=(--edits 20 --poll-seconds 3)
  scale_args=(--quick)
  workers_args=(--quick)
else
  api_args=()
  plan_args=()
  match_args=()
  memory_args=()
  latency_args=()
  scale_args=()
  workers_args=()
fi

# host-example is optional: without it (or its node_modules) api.mjs reports the API economy as skipped.
node bench/api.mjs "${api_args[@]}" || echo "api.mjs failed: see above" >&2
node bench/latency.mjs "${latency_args[@]}" || echo "latency.mjs failed: see above" >&2
"${node[@]}" bench/plan.mjs "${plan_args[@]}"
"${node[@]}" bench/match.mjs "${match_args[@]}"
node bench/size.mjs
"${node[@]}" bench/memory.mjs "${memory_args[@]}"
mkdir -p bench/results
node bench/scale.mjs "${scale_args[@]}" --out bench/results/scale.md >&2 || echo "scale.mjs failed: see above" >&2
node bench/workers.mjs "${workers_args[@]}" --out bench/results/workers.md >&2 || echo "workers.mjs failed: see above" >&2
node bench/table.mjs
if [[ -f bench/results/scale.md ]]; then
  echo
  cat bench/results/scale.md
fi
if [[ -f bench/results/workers.md ]]; then
  echo
  cat bench/results/workers.md
fi
