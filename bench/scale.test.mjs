// CI's smoke run of bench/scale.mjs --quick: the stand-ins seeded with 10k contacts in their own process,
// the host's four runs as its own process, one pacing case. It checks that the bench runs and prints its
// tables, row by row; it checks no figure (a timed test on a shared machine would only be noise).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const HERE = path.dirname(new URL(import.meta.url).pathname);

test("bench/scale.mjs --quick runs and prints its tables", { timeout: 10 * 60_000 }, (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "scale-quick-"));
  try {
    const out = path.join(dir, "scale.md");
    const r = spawnSync(process.execPath, [path.join(HERE, "scale.mjs"), "--quick", "--out", out], { encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
    assert.equal(r.status, 0, `scale.mjs failed:\n${r.stderr.slice(-4000)}`);
    const text = readFileSync(out, "utf8");
    assert.equal(r.stdout, text, "--out holds what was printed");
    t.diagnostic(text);
    assert.match(text, /^Machine: .+, \d+ cores, [\d.]+ GiB RAM; Node v[\d.]+; commit \S+/);
    const rows = (/** @type {RegExp} */ head) => {
      const lines = text.split("\n");
      const at = lines.findIndex((l) => head.test(l));
      assert.ok(at >= 0, `a table headed ${head}`);
      const body = [];
      for (let i = at + 2; i < lines.length && lines[i].startsWith("|"); i++) body.push(lines[i].split("|").slice(1, -1).map((c) => c.trim()));
      return body;
    };
    const standIns = rows(/^\| contacts \/ customers \| seeded in/);
    assert.equal(standIns.length, 1);
    assert.equal(standIns[0][0], "10,000 / 5,000");
    const runs = rows(/^\| contacts \| run \| host peak RSS/);
    assert.deepEqual(runs.map((c) => c[1]), ["first sync", "rerun, no change", "after 1% edits on both sides", "--full"]);
    for (const c of runs) {
      assert.match(c[2], /^[\d,]+ MiB$/, "peak RSS read from /usr/bin/time -v");
      assert.match(c[10], /^read [\d,]+\/[\d,]+ · matched/, "the run's own summary");
    }
    const pacing = rows(/^\| creates \| site limit/);
    assert.equal(pacing.length, 1);
    assert.match(pacing[0][5], /^[\d.,]+\/s$/, "sustained writes a second");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
