// `history`: one pair, newest first — every write the journal holds for it (by either id, and the ids the
// pair had before a relink or before its link ended), each with the values it changed and why, and what
// the run log says of the pair (conflicts, warnings, waits, errors, what an undo could not put back).
// Reads the store only.
import { flowSpec, recordRef } from "../app.mjs";
import { Journal } from "../journal.mjs";
import { idsIn } from "../inbox.mjs";

/** Rows of each kind (journal, log) a history shows at most. */
export const HISTORY_LIMIT = 500;

/**
 * One entry of a pair's history: a write (a journal row) or a run log entry.
 * @typedef {object} HistoryEntry
 * @property {"write" | "log"} source
 * @property {number} id the row's id in its table
 * @property {string} at
 * @property {number | null} run
 * @property {string} flow
 * @property {string | null} customerp
 * @property {string | null} chargebee
 * @property {string} what a write's action (`update`, `create`, `undo update`, …) or a log entry's kind (`conflict`, `warning`, `undo`, …)
 * @property {"customerp" | "chargebee" | null} side the system a write went to
 * @property {string | null} outcome a write's outcome: ok, failed, retried
 * @property {string | null} method
 * @property {string | null} path
 * @property {import("customerp-chargebee").PlanChange[]} changes the values a write changed: from → to, and why
 * @property {string | null} property a log entry's property
 * @property {string | null} message a log entry's message, or a failed write's error
 * @property {number | null} undoOf the run a write took back
 * @property {Record<string, any>} row the whole row (the journal entry with its request, key and version; the log row with its detail)
 */

/**
 * @param {import("../app.mjs").App} app @param {{ flow: string, record: string }} a
 * @returns {Promise<{ flow: string, record: { side: "customerp" | "chargebee", id: string }, link: { customerp: string, chargebee: string } | null,
 *   ids: { customerp: string[], chargebee: string[] }, entries: HistoryEntry[], truncated: boolean }>}
 */
export async function pairHistory(app, a) {
  const f = flowSpec(a.flow);
  const { side, id } = recordRef(a.record);
  const store = app.store;
  const link = side === "customerp" ? await store.linkByCustomerp(f.id, id) : await store.linkByChargebee(f.id, id);
  /** @type {{ customerp: Set<string>, chargebee: Set<string> }} */
  const ids = { customerp: new Set(), chargebee: new Set() };
  ids[side].add(id);
  if (link) {
    ids.customerp.add(link.customerp_id);
    ids.chargebee.add(link.chargebee_id);
  }
  // The ids the pair had before a relink (or before its link ended): every id a journal row names beside
  // one of the pair's, until no new one turns up.
  const journal = new Journal(store);
  /** @type {Awaited<ReturnType<Journal["ofIds"]>>} */
  let writes = [];
  for (let round = 0; round < 5; round++) {
    writes = await journal.ofIds(f.id, { customerp: [...ids.customerp], chargebee: [...ids.chargebee] }, HISTORY_LIMIT);
    const known = ids.customerp.size + ids.chargebee.size;
    for (const w of writes) {
      if (w.customerp) ids.customerp.add(w.customerp);
      if (w.chargebee) ids.chargebee.add(w.chargebee);
    }
    if (ids.customerp.size + ids.chargebee.size === known) break;
  }
  const cp = [...ids.customerp];
  const cb = [...ids.chargebee];
  // Log entries naming one of the ids, alone or in a list ("8,9": an ambiguous match).
  const logs = (await store.from("log").selectAll().where("flow", "=", f.id)
    .where((eb) => eb.or([
      eb("customerp_id", "in", cp.length ? cp : [""]), eb("chargebee_id", "in", cb.length ? cb : [""]),
      eb("customerp_id", "like", "%,%"), eb("chargebee_id", "like", "%,%"),
    ]))
    .orderBy("id", "desc").limit(HISTORY_LIMIT).execute())
    .filter((r) => [...idsIn(r.customerp_id)].some((x) => ids.customerp.has(x)) || [...idsIn(r.chargebee_id)].some((x) => ids.chargebee.has(x)));
  /** @type {HistoryEntry[]} */
  const entries = [
    ...writes.map((w) => ({
      source: /** @type {const} */ ("write"), id: w.id, at: w.at, run: w.run, flow: w.flow, customerp: w.customerp, chargebee: w.chargebee,
      what: w.action, side: /** @type {"customerp" | "chargebee"} */ (w.side), outcome: w.outcome, method: w.method, path: w.path, changes: w.changes ?? [],
      property: null, message: w.error ?? null, undoOf: w.undoOf, row: w,
    })),
    ...logs.map((r) => ({
      source: /** @type {const} */ ("log"), id: Number(r.id), at: String(r.at), run: r.run == null ? null : Number(r.run), flow: String(r.flow),
      customerp: r.customerp_id ?? null, chargebee: r.chargebee_id ?? null, what: String(r.kind), side: null, outcome: null, method: null, path: null,
      changes: [], property: r.property ?? null, message: String(r.message), undoOf: null,
      row: { ...r, id: Number(r.id), run: r.run == null ? null : Number(r.run), detail: r.detail ? JSON.parse(r.detail) : null },
    })),
  ];
  // Newest first; within one moment a write before the log entries it caused.
  entries.sort((x, y) => (x.at === y.at ? (x.source === y.source ? y.id - x.id : x.source === "write" ? -1 : 1) : x.at < y.at ? 1 : -1));
  return {
    flow: f.id, record: { side, id }, link: link ? { customerp: link.customerp_id, chargebee: link.chargebee_id } : null,
    ids: { customerp: cp, chargebee: cb }, entries, truncated: writes.length >= HISTORY_LIMIT || logs.length >= HISTORY_LIMIT,
  };
}
