// `undo`: takes back what a run wrote — every value it wrote goes back where it still holds what the run
// wrote, the records it created are released — under the leases of the flows it touches, as a run of
// its own (its writes journaled as the undo of that run). A dry run plans from a copy of the store and
// lists the requests the undo would send. See ../undo.mjs.
import { flowSpec, recordRef, syncOf } from "../app.mjs";
import { acquireLock } from "../lock.mjs";
import { UsageError } from "../errors.mjs";
import { Journal } from "../journal.mjs";
import { pairsOf, undoWrites } from "../undo.mjs";
import { exitCodeOf } from "./run.mjs";

/**
 * @typedef {object} UndoArgs
 * @property {string | number | undefined} run the run to take back
 * @property {string} [flow] only this flow (with `record`: the pair's flow)
 * @property {string} [record] only this pair: customerp:<id> or chargebee:<id>
 * @property {boolean} [dryRun] plan and list, write nothing, change nothing in the store
 * @property {number} [waitSeconds] wait this long for a running sync's leases
 * @property {(line: string) => void} [out]
 * @property {(p: import("../loop.mjs").Progress) => void} [onProgress]
 * @property {import("../loop.mjs").SyncOptions["hooks"]} [hooks]
 */

/**
 * @param {import("../app.mjs").App} app @param {UndoArgs} a
 * @returns {Promise<{ summary: Awaited<ReturnType<typeof undoWrites>>["summary"], report: import("../undo.mjs").UndoReport, exitCode: number }>}
 */
export async function undoRun(app, a) {
  const runId = Number(a.run);
  if (a.run === undefined || a.run === "" || !Number.isInteger(runId) || runId < 1) {
    throw new UsageError(`undo takes --run <runId>, a run's number (its id in \`run --json\`, the console's runs), not ${JSON.stringify(a.run ?? "")}`);
  }
  const f = a.flow !== undefined ? flowSpec(a.flow) : undefined;
  const ref = a.record !== undefined ? recordRef(a.record) : undefined;
  const store = app.store;
  const run = await store.run(runId);
  if (!run) throw new UsageError(`no run ${runId} in the store ${store.path}`);
  if (run.summary?.dryRun) throw new UsageError(`run ${runId} was a dry run: it wrote nothing`);
  const all = await new Journal(store).ofRun(runId, f ? { flow: f.id } : {});
  const undoOf = all.find((r) => r.undoOf !== null)?.undoOf;
  if (undoOf != null) throw new UsageError(`run ${runId} is the undo of run ${undoOf}: undo takes back what a sync wrote, not an undo (a sync writes again what a person changes)`);
  let rows = all.filter((r) => r.outcome === "ok");
  const what = f ? ` to ${f.id}${ref ? ` ${ref.side}:${ref.id}` : ""}` : "";
  if (ref && f) {
    const pair = pairsOf(rows).find((t) => t.flow === f.id && t.rows.some((r) => r[ref.side] === ref.id));
    rows = pair?.rows ?? [];
  }
  if (rows.length === 0) {
    throw new UsageError(`run ${runId} wrote nothing${what} that the journal holds: it wrote nothing there, or its rows are older than the journal keeps them (SYNC_JOURNAL_DAYS)`);
  }
  const flows = [...new Set(rows.map((r) => r.flow))];
  if (a.dryRun) {
    const copy = await store.snapshot();
    try {
      // One pair at a time: a PostgreSQL copy lives on one connection, which takes one transaction at a time.
      const sync = syncOf({ ...app, store: copy }, { dryRun: true, concurrency: 1, out: a.out, onProgress: a.onProgress, hooks: a.hooks });
      const { summary, report } = await undoWrites(sync, runId, rows);
      return { summary, report, exitCode: exitCodeOf(summary) };
    } finally {
      await copy.close();
    }
  }
  const release = await acquireLock(store, { waitSeconds: a.waitSeconds ?? 0, flows });
  try {
    const { summary, report } = await undoWrites(syncOf(app, { out: a.out, onProgress: a.onProgress, hooks: a.hooks }), runId, rows);
    return { summary, report, exitCode: exitCodeOf(summary) };
  } finally {
    await release();
  }
}
