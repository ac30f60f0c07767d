#!/usr/bin/env bash
# Fuzzes every entry point of the core through its JSON form, all six flows, for a fixed time each.
#
#   fuzz/run.sh              every target for FUZZ_SECONDS (default 300) seconds, or until FUZZ_RUNS
#                            executions when that is set (whichever comes first)
#   fuzz/run.sh --smoke      every target for a few seconds (about 20 s in all): for CI
#   fuzz/run.sh plan match   only the named targets
#
# Needs nightly Rust and cargo-fuzz (`cargo install cargo-fuzz`; installed here when missing).
# The corpus starts from fuzz/seeds (test records, Chargebee fixtures when ../shared/fixtures is
# there, and the pairs a real sync passes through). A crash stops the script with the reproducer in
# fuzz/artifacts/<target>/ (`cargo +nightly fuzz run <target> <file>` replays it). Per target it
# prints the executions and the corpus size; fuzz/RESULTS.md records the figures of the long runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
case ":$PATH:" in *":${CARGO_HOME:-$HOME/.cargo}/bin:"*) ;; *) export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH" ;; esac

TARGETS=(plan plan_batch match to_chargebee to_customerp encode_form paths)
seconds="${FUZZ_SECONDS:-300}"
if [[ ${1:-} == --smoke ]]; then
  seconds=3
  shift
fi
(($#)) && TARGETS=("$@")

rustup toolchain list | grep -q '^nightly' || { echo "fuzz/run.sh: needs nightly Rust (rustup toolchain install nightly)" >&2; exit 1; }
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz

# Seeds: regenerated each run (cheap), merged into the working corpus.
fixtures=""
for d in ../../shared/fixtures/chargebee ../shared/fixtures/chargebee; do [[ -d $d ]] && fixtures="$d" && break; done
cargo +nightly run --quiet --example make_seeds -- seeds/generated ${fixtures:+"$fixtures"}

# No sanitizer: the crate has no `unsafe` (AddressSanitizer would find nothing a safe-Rust panic does
# not) and it costs several times the executions; what is checked is panics and the invariants below.
fuzz_flags=(-O -s none)
cargo +nightly fuzz build "${fuzz_flags[@]}"

summary=()
for t in "${TARGETS[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t" "seeds/generated/$t"
  if [[ $t == paths && -z "$(ls -A seeds/generated/paths)" ]]; then
    # Ids as the plugin meets them: skus, Chargebee's own ids, non-ASCII, and the hostile ones.
    i=0
    for id in SKU-1 cp-contact-17 AzZj6kUbTE5g9hN7 "Widget Ø40" "..\\customers" "a/../../items/x" "50%" "x?y#z"; do
      printf '%s' "$id" >"seeds/generated/paths/seed-$((i++))"
    done
  fi
  log="$(mktemp)"
  echo "==== $t: ${seconds}s"
  # -rss_limit_mb: a 10 MB string input is legal; -max_len: large enough for whole records. A planBatch
  # input of 8 KB is a batch of several pairs; larger ones add time, not paths (every pair is planned three
  # times), and took it below 600 executions a second.
  max_len=65536
  [[ $t == plan_batch ]] && max_len=8192
  if ! cargo +nightly fuzz run "${fuzz_flags[@]}" "$t" "corpus/$t" "seeds/generated/$t" -- \
      -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=4096 -dict=dict/json.dict \
      -print_final_stats=1 -close_fd_mask=3 ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz/run.sh: $t found a crash; reproducer in fuzz/artifacts/$t/" >&2
    exit 1
  fi
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
  units="$(ls "corpus/$t" | wc -l)"
  took="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n1)"
  summary+=("$t: ${execs:-?} executions in ${took:-$seconds}s, corpus ${units} inputs, no crash")
  rm -f "$log"
done
echo "==== summary"
printf '  %s\n' "${summary[@]}"
