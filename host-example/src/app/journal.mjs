// The journal: every write the host sends to either system, in the store. One row per request: the
// run, the flow, the pair (both ids), the request (method, path, parameters: secrets out through the
// store's redactor), its idempotency key, the outcome (status, error, the record's new version), and
// the properties it changed, each with its value before and after and why (the plugin's
// PlanChange, option `changes`). A Chargebee request chain (an update and update_billing_info, an item
// and its price) puts each change on the request that carries it. Dry runs journal nothing.
// `history` reads a pair's rows, `undo` a run's; runs prune the rows older than the retention.

/** @typedef {Record<string, any>} Json */
/** @typedef {import("customerp-chargebee").PlanChange} PlanChange */

/**
 * @typedef {object} JournalEntry
 * @property {number} run
 * @property {string} flow
 * @property {string | null} customerp
 * @property {string | null} chargebee
 * @property {"customerp" | "chargebee"} side
 * @property {string} action create, update, delete, release (undo of a create), restore (undo)
 * @property {string | null} method
 * @property {string | null} path
 * @property {Json | null} params
 * @property {string | null} idempotencyKey
 * @property {number | null} status the answer's HTTP status (0: none came)
 * @property {"ok" | "failed" | "retried"} outcome retried: not answered 2xx for a reason a wait may cure; the pair was checked again
 * @property {string | null} [error]
 * @property {string | null} [version] the record's version after the write (Chargebee's resource_version, Customerp's ETag)
 * @property {PlanChange[]} [changes]
 * @property {number | null} [undoOf] the run an undo took back
 */

export const DEFAULT_RETENTION_DAYS = 90;

export class Journal {
  /** @param {import("./store/store.mjs").Store} store */
  constructor(store) {
    this.store = store;
  }

  /** @param {JournalEntry} e */
  async record(e) {
    const at = Date.now();
    await this.store.tx(e.flow, (k) => k.insertInto("journal").values({
      tenant: this.store.tenant, run: e.run, at: new Date(at).toISOString(), at_ms: at, flow: e.flow,
      customerp_id: e.customerp, chargebee_id: e.chargebee, side: e.side, action: e.action,
      method: e.method, path: e.path, params: e.params == null ? null : JSON.stringify(e.params), idempotency_key: e.idempotencyKey,
      status: e.status, outcome: e.outcome, error: e.error ?? null, version: e.version ?? null,
      changes: e.changes?.length ? JSON.stringify(e.changes) : null, undo_of: e.undoOf ?? null,
    }).execute());
  }

  /**
   * A run's rows, in the order they were written.
   * @param {number} run @param {{ flow?: string }} [o]
   */
  async ofRun(run, o = {}) {
    let q = this.store.from("journal").selectAll().where("run", "=", run);
    if (o.flow) q = q.where("flow", "=", o.flow);
    return (await q.orderBy("id").execute()).map(toEntry);
  }

  /**
   * A record's rows (either side of its pair), newest first.
   * @param {string} flow @param {"customerp" | "chargebee"} side @param {string} id @param {number} [limit]
   */
  async ofRecord(flow, side, id, limit = 500) {
    const col = side === "customerp" ? "customerp_id" : "chargebee_id";
    const rows = await this.store.from("journal").selectAll().where("flow", "=", flow).where(col, "=", id).orderBy("id", "desc").limit(limit).execute();
    return rows.map(toEntry);
  }

  /**
   * The rows of a flow that name any of these ids (either side), newest first.
   * @param {string} flow @param {{ customerp: string[], chargebee: string[] }} ids @param {number} [limit]
   */
  async ofIds(flow, ids, limit = 500) {
    if (!ids.customerp.length && !ids.chargebee.length) return [];
    const rows = await this.store.from("journal").selectAll().where("flow", "=", flow)
      .where((eb) => eb.or([
        ...(ids.customerp.length ? [eb("customerp_id", "in", ids.customerp)] : []),
        ...(ids.chargebee.length ? [eb("chargebee_id", "in", ids.chargebee)] : []),
      ]))
      .orderBy("id", "desc").limit(limit).execute();
    return rows.map(toEntry);
  }

  /**
   * The writes that took a run back: rows journaled as its undo (`undo_of`), in order.
   * @param {number} run @param {{ flow?: string }} [o]
   */
  async undoneOf(run, o = {}) {
    let q = this.store.from("journal").selectAll().where("undo_of", "=", run);
    if (o.flow) q = q.where("flow", "=", o.flow);
    return (await q.orderBy("id").execute()).map(toEntry);
  }

  /** Rows older than `days` go. Returns how many. @param {number} days */
  async prune(days) {
    const before = Date.now() - days * 86_400_000;
    const r = await this.store.k.deleteFrom("journal").where("tenant", "=", this.store.tenant).where("at_ms", "<", before).executeTakeFirst();
    return Number(r.numDeletedRows ?? 0);
  }
}

/** @param {Json} r */
function toEntry(r) {
  return {
    id: Number(r.id), run: r.run == null ? null : Number(r.run), at: r.at, flow: r.flow, customerp: r.customerp_id, chargebee: r.chargebee_id,
    side: r.side, action: r.action, method: r.method, path: r.path, params: r.params ? JSON.parse(r.params) : null,
    idempotencyKey: r.idempotency_key, status: r.status == null ? null : Number(r.status), outcome: r.outcome, error: r.error,
    version: r.version, changes: r.changes ? /** @type {PlanChange[]} */ (JSON.parse(r.changes)) : [], undoOf: r.undo_of == null ? null : Number(r.undo_of),
  };
}

/**
 * Which request of a Chargebee chain carries each change: the one whose parameters hold the change's
 * attribute (an item price's attributes: the request to /item_prices), else the chain's last.
 * @param {PlanChange[]} changes @param {{ path: string, params: Json }[]} requests @returns {PlanChange[][]} per request
 */
export function changesByRequest(changes, requests) {
  /** @type {PlanChange[][]} */
  const out = requests.map(() => []);
  if (requests.length === 0) return out;
  for (const c of changes) {
    const [head, ...rest] = String(c.chargebee ?? c.property).split(".");
    let at = -1;
    if (head === "item_price") at = requests.findIndex((r) => /\/item_prices/.test(r.path) && (rest[0] ?? "") in (r.params ?? {}));
    if (at < 0 && head === "item_price") at = requests.findIndex((r) => /\/item_prices/.test(r.path));
    if (at < 0) at = requests.findIndex((r) => head in (r.params ?? {}) && !/\/item_prices/.test(r.path));
    out[at < 0 ? requests.length - 1 : at].push(c);
  }
  return out;
}
