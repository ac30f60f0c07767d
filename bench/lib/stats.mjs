// Medians with their spread, and the rows every bench script reports.
import fs from "node:fs";
import path from "node:path";

export const now = () => process.hrtime.bigint();
export const ms = (t0, t1) => Number(t1 - t0) / 1e6;

export function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => {
    const i = (s.length - 1) * p;
    const lo = Math.floor(i);
    return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
  };
  return { n: s.length, median: q(0.5), min: s[0], max: s[s.length - 1], q1: q(0.25), q3: q(0.75) };
}

/** A number with 3 significant digits (no exponent for the usual ranges). */
export function fmt(x) {
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

export function bytes(n) {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

/** "median (min–max)" of a list, with a unit. */
export function spread(xs, unit = "") {
  const s = summary(xs);
  return { value: `${fmt(s.median)}${unit}`, spread: `${fmt(s.min)}–${fmt(s.max)}${unit} (n=${s.n})`, median: s.median };
}

/**
 * Rows of the one table: { area, what, value, spread, ratio, goal, met }. Each script appends its
 * rows to bench/results/<name>.json; table.mjs prints them all.
 */
export function writeRows(name, rows) {
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "results");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(rows, null, 1) + "\n");
}

export function log(...a) {
  process.stderr.write(a.join(" ") + "\n");
}

/** Gives V8 a chance to collect between timed blocks, when run with --expose-gc. */
export function gc() {
  if (globalThis.gc) globalThis.gc();
}
