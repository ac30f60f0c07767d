// Where the .wasm's bytes go, from the linker's map (`wasm-ld --Map`, see size.mjs): every function
// and every named constant with its size and the crate it comes from.
//
// The map is fixed-width: `Addr Off Size`, then the output section (CODE, DATA, .rodata,
// CUSTOM(name)…) at column 27, the input chunk at column 35 (`file.o:(symbol)` or
// `lib.rlib(member.o):(.rodata.symbol)`) and its symbols at column 43. Input chunks carry the sizes.
import fs from "node:fs";

/** [{ section, size, name, file }] for every input chunk of the map (`file` without its folder). */
export function chunks(mapFile) {
  const out = [];
  let section = null;
  for (const line of fs.readFileSync(mapFile, "utf8").split("\n")) {
    const m = /^\s*\S+\s+[0-9a-f]+\s+([0-9a-f]+)( +)(.*)$/.exec(line);
    if (!m) continue;
    const col = line.length - m[3].length;
    if (col < 30) section = m[3].replace(/\(.*$/, "");
    else if (col < 38) {
      const [, file = "", name = m[3]] = /^(.*?):\((.*)\)$/.exec(m[3]) ?? [];
      out.push({ section, size: parseInt(m[1], 16), name, file: file.slice(file.lastIndexOf("/", file.indexOf("(") >>> 0) + 1) });
    }
  }
  return out;
}

/**
 * The crate a (mangled, v0 or legacy) symbol belongs to: of `crates`, the one named earliest as a
 * length-prefixed identifier (`5alloc`, `20unicode_normalization`), which is the path the item is
 * defined under; null when none is named (anonymous constants, linker-made data).
 */
export function crateOf(symbol, crates) {
  let best = null;
  let at = Infinity;
  for (const c of crates) {
    const i = symbol.indexOf(`${c.length}${c}`);
    // The length must not be the tail of a longer number (`15alloc` is not `5alloc`).
    if (i >= 0 && i < at && !/[0-9]/.test(symbol[i - 1] ?? "")) {
      best = c;
      at = i;
    }
  }
  return best;
}

/** Crate names of a Cargo.lock (as Rust spells them, `-` → `_`), plus the standard library's. */
export function lockCrates(lockFile) {
  const names = [...fs.readFileSync(lockFile, "utf8").matchAll(/^name = "([^"]+)"$/gm)].map((m) => m[1].replace(/-/g, "_"));
  return [...new Set([...names, "core", "alloc", "std", "dlmalloc", "compiler_builtins", "hashbrown", "rustc_demangle"])];
}
