#!/usr/bin/env bash
# The main job: builds what is missing or stale, then runs the host example. It starts a local Customerp
# and a local Chargebee emulator on loopback, syncs them fully, edits records on both sides (one pair in
# conflict), syncs again, and shows that a third run sends no writes. Arguments go to the demo.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh >/dev/null
bash scripts/build.sh >/dev/null
exec node host-example/bin/demo.mjs "$@"
