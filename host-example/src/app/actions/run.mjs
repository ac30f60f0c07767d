// `run`: one sync of every configured flow (or of --flows), under the store's run lock; a dry run
// plans from a copy of the store and sends no write.
import { syncOf } from "../app.mjs";
import { acquireLock } from "../lock.mjs";
import { EXIT, UsageError } from "../errors.mjs";
import { FLOWS } from "../flows.mjs";

/**
 * @typedef {object} RunArgs
 * @property {boolean} [full] read everything, and report drift
 * @property {boolean} [repair] with full: repair drift
 * @property {boolean} [dryRun]
 * @property {string[]} [flows] only these flows (checked: an unknown id is a UsageError listing the valid ones)
 * @property {number} [waitSeconds] wait this long for another run's lock
 * @property {(p: import("../loop.mjs").Progress) => void} [onProgress]
 * @property {(line: string) => void} [out]
 * @property {import("../loop.mjs").SyncOptions["hooks"]} [hooks]
 * @property {() => boolean} [shouldStop] a clean stop asked for (between pairs)
 * @property {(w: import("../loop.mjs").PlannedWrite) => void} [onPlanned] every planned write of a dry run
 */

/** @param {string[] | undefined} flows */
export function checkFlows(flows) {
  if (!flows) return undefined;
  const valid = FLOWS.map((f) => f.id);
  const unknown = flows.filter((f) => !valid.includes(/** @type {any} */ (f)));
  if (unknown.length || flows.length === 0) {
    throw new UsageError(`unknown flow${unknown.length === 1 ? "" : "s"} ${unknown.map((f) => JSON.stringify(f)).join(", ") || "(none given)"}; valid flows: ${valid.join(", ")}`);
  }
  return flows;
}

/**
 * @param {import("../app.mjs").App} app @param {RunArgs} [a]
 * @returns {Promise<{ summary: Awaited<ReturnType<import("../loop.mjs").Sync["run"]>>, exitCode: number }>}
 */
export async function runOnce(app, a = {}) {
  const only = checkFlows(a.flows) ?? app.config.flows ?? undefined;
  if (a.repair && !a.full) throw new UsageError("--repair needs --full (drift is found by reading everything)");
  if (a.dryRun) {
    const copy = await app.store.snapshot();
    try {
      const summary = await syncOf({ ...app, store: copy }, { only, full: a.full, repair: a.repair, dryRun: true, out: a.out, onProgress: a.onProgress, hooks: a.hooks,
        shouldStop: a.shouldStop, onPlanned: a.onPlanned }).run();
      return { summary, exitCode: exitCodeOf(summary) };
    } finally {
      await copy.close();
    }
  }
  const release = await acquireLock(app.store, { waitSeconds: a.waitSeconds });
  try {
    const summary = await syncOf(app, { only, full: a.full, repair: a.repair, out: a.out, onProgress: a.onProgress, hooks: a.hooks, shouldStop: a.shouldStop }).run();
    return { summary, exitCode: exitCodeOf(summary) };
  } finally {
    await release();
  }
}

/** 3 when the guard stopped a flow, 1 when a record failed, else 0. @param {{ flows: Record<string, any> }} summary */
export function exitCodeOf(summary) {
  const flows = Object.values(summary.flows).filter((f) => !("skipped" in f));
  if (flows.some((f) => f.guard)) return EXIT.guard;
  if (flows.some((f) => f.errors > 0)) return EXIT.failed;
  return EXIT.ok;
}
