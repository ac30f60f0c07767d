# Shared helpers for the scripts in this folder; `source` it, don't run it.
# Sets ROOT (the repository root) and makes cargo-installed tools reachable.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

# `cargo install` puts wasm-bindgen here; a fresh shell (CI) may not have it on PATH.
case ":$PATH:" in
  *":${CARGO_HOME:-$HOME/.cargo}/bin:"*) ;;
  *) export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH" ;;
esac

# Prints a visible section header, so a long test log is easy to scan.
section() {
  if [[ -t 1 ]]; then printf '\n\033[1m==== %s ====\033[0m\n' "$*"; else printf '\n==== %s ====\n' "$*"; fi
}

# Prints a message to stderr and exits non-zero.
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# The version of the crate, from the [package] table of Cargo.toml.
crate_version() {
  awk '/^\[/{pkg=($0=="[package]")} pkg && /^version[[:space:]]*=/{gsub(/.*=[[:space:]]*"|".*/,""); print; exit}' \
    "$ROOT/Cargo.toml"
}

# The exact wasm-bindgen version the crate pins (`wasm-bindgen = "=X"` in Cargo.toml), falling back to
# Cargo.lock. wasm-bindgen-cli must match it exactly, or it refuses the .wasm file.
wasm_bindgen_version() {
  local v
  v="$(sed -nE 's/^wasm-bindgen[[:space:]]*=[[:space:]]*(\{[^}]*version[[:space:]]*=[[:space:]]*)?"=?([0-9][^"]*)".*/\2/p' \
    "$ROOT/Cargo.toml" | head -n1)"
  if [[ -z $v && -f $ROOT/Cargo.lock ]]; then
    v="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$ROOT/Cargo.lock")"
  fi
  [[ -n $v ]] || die "cannot find the wasm-bindgen version in Cargo.toml or Cargo.lock"
  printf '%s\n' "$v"
}
