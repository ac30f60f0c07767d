// CI's smoke run of bench/workers.mjs --quick: 4 tenants, 1, 2 and 3 worker processes on a PostgreSQL that
// the bench starts itself (scripts/postgres.sh). It checks that the bench runs and prints its table, and the
// table's correctness columns (no run failed, no two runs of a tenant's flow at once, no 429, no twin, every
// worker exiting 0 on SIGTERM); it checks no speed (a timed test on a shared machine would only be noise).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const HERE = path.dirname(new URL(import.meta.url).pathname);

test("bench/workers.mjs --quick runs and prints its table", { timeout: 10 * 60_000 }, (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "workers-quick-"));
  try {
    const out = path.join(dir, "workers.md");
    const r = spawnSync(process.execPath, [path.join(HERE, "workers.mjs"), "--quick", "--out", out], { encoding: "utf8", maxBuffer: 16 * 2 ** 20 });
    assert.equal(r.status, 0, `workers.mjs failed:\n${r.stderr.slice(-4000)}`);
    const text = readFileSync(out, "utf8");
    assert.equal(r.stdout, text, "--out holds what was printed");
    t.diagnostic(text);
    assert.match(text, /^Machine: .+, \d+ cores, [\d.]+ GiB RAM; Node v[\d.]+; PostgreSQL \d+/);
    const lines = text.split("\n");
    const at = lines.findIndex((l) => /^\| workers \| jobs at once \(C each\) \| first sync of 4 tenants/.test(l));
    assert.ok(at >= 0, "the table");
    const rows = [];
    for (let i = at + 2; i < lines.length && lines[i].startsWith("|"); i++) rows.push(lines[i].split("|").slice(1, -1).map((c) => c.trim()));
    assert.deepEqual(rows.map((c) => c[0]), ["1", "2", "3"]);
    for (const c of rows) {
      const byWorker = c.splice(6, 1)[0].split(", ").map((n) => Number(n.replace(/,/g, "")));
      assert.equal(byWorker.length, Number(c[0]), "flow runs by worker");
      assert.equal(byWorker.reduce((a, b) => a + b, 0), Number(c[5].replace(/,/g, "")), "the workers' shares add up to the window's runs");
      assert.match(c[2], /^[\d.,]+ s$/);
      assert.match(c[4], /^[\d.]+×$/);
      assert.match(c[7], /^[\d.]+×$/);
      assert.ok(Number(c[5].replace(/,/g, "")) > 0, "flow runs in the window");
      assert.equal(c[8], "0", "runs failed");
      assert.match(c[9], /^\d+$/, "runs SIGTERM stopped after their record in hand");
      assert.deepEqual(c.slice(10, 13), ["0", "0", "0"], "overlapping runs, 429s, twins");
      assert.match(c[13], /^0(, 0)*$/, "every worker exits 0 on SIGTERM");
      assert.match(c[14], /^[\d.]+$/, "the load average");
    }
    assert.equal(rows[0][4], "1.00×");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
