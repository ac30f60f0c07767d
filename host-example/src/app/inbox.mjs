// The inbox: what needs a person, one item per cause across runs. An item is found again by its cause
// key (kind, flow, records, and what is specific to the cause), so a cause seen on every run stays one
// item, and two runs can never make two (the key is UNIQUE in the store). Items close themselves when
// a run plans their records and the cause is gone; conflicts are `decided` (a person may still
// override them); a person resolves or dismisses the rest.

/** @typedef {"ambiguous" | "manual" | "conflict" | "error" | "waiting" | "guard" | "drift"} Kind */
/** @typedef {"open" | "decided" | "resolved" | "dismissed"} State */
/**
 * @typedef {object} Item
 * @property {number} id
 * @property {Kind} kind
 * @property {string | null} flow
 * @property {string | null} customerpId
 * @property {string | null} chargebeeId
 * @property {string | null} property
 * @property {string} message
 * @property {any} detail
 * @property {State} state
 * @property {string | null} resolution
 * @property {number | null} firstRun
 * @property {number | null} lastRun
 * @property {string} createdAt
 * @property {string} updatedAt
 */
/**
 * @typedef {object} Sighting
 * @property {number | null} run
 * @property {Kind} kind
 * @property {string} flow
 * @property {string | null} [customerp]
 * @property {string | null} [chargebee]
 * @property {string | null} [property]
 * @property {string} [key] what makes the cause specific beyond kind, flow and records
 * @property {string} message
 * @property {unknown} [detail]
 */

export const KINDS = /** @type {const} */ (["ambiguous", "manual", "conflict", "error", "waiting", "guard", "drift"]);
/** Kinds that close themselves when a run plans their records and does not see the cause again. */
export const SELF_CLOSING = /** @type {const} */ (["manual", "error", "waiting", "drift"]);

const now = () => new Date().toISOString();

/** @param {Sighting} s */
export const causeOf = (s) => [s.kind, s.flow, s.customerp ?? "", s.chargebee ?? "", s.key ?? ""].join("|");

/** @param {Record<string, any>} r @returns {Item} */
function toItem(r) {
  return {
    id: r.id, kind: r.kind, flow: r.flow, customerpId: r.customerp_id, chargebeeId: r.chargebee_id, property: r.property,
    message: r.message, detail: r.detail ? JSON.parse(r.detail) : null, state: r.state, resolution: r.resolution,
    firstRun: r.first_run, lastRun: r.last_run, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export class Inbox {
  /** @param {import("./store.mjs").Store} store */
  constructor(store) {
    this.db = store.db;
    // A resolved item whose cause is back opens again; a dismissed one stays dismissed; a conflict stays decided.
    this.upsert = this.db.prepare(`INSERT INTO inbox (cause, kind, flow, customerp_id, chargebee_id, property, message, detail, state,
        first_run, last_run, created_at, updated_at)
      VALUES (@cause, @kind, @flow, @customerp, @chargebee, @property, @message, @detail, @state, @run, @run, @at, @at)
      ON CONFLICT (cause) DO UPDATE SET last_run = coalesce(excluded.last_run, inbox.last_run), message = excluded.message,
        detail = excluded.detail, updated_at = excluded.updated_at,
        state = CASE WHEN inbox.state = 'resolved' AND inbox.kind NOT IN ('conflict', 'guard') THEN 'open' ELSE inbox.state END,
        resolution = CASE WHEN inbox.state = 'resolved' AND inbox.kind NOT IN ('conflict', 'guard') THEN NULL ELSE inbox.resolution END
      RETURNING id, state, (first_run IS @run AND created_at = @at) AS fresh`);
  }

  /**
   * Records a cause seen in a run. Returns the item's id and whether it is new.
   * @param {Sighting} s @returns {{ id: number, state: State, fresh: boolean }}
   */
  see(s) {
    const r = /** @type {any} */ (this.upsert.get({
      cause: causeOf(s), kind: s.kind, flow: s.flow, customerp: s.customerp ?? null, chargebee: s.chargebee ?? null,
      property: s.property ?? null, message: s.message, detail: s.detail === undefined ? null : JSON.stringify(s.detail),
      state: s.kind === "conflict" ? "decided" : "open", run: s.run, at: now(),
    }));
    return { id: r.id, state: r.state, fresh: Boolean(r.fresh) };
  }

  /**
   * Closes the open items of a flow whose records a run planned (or read, for `ambiguous`) and whose
   * cause it did not see again.
   * @param {string} flow @param {number | null} run @param {{ customerp: Set<string>, chargebee: Set<string> }} planned
   * @param {Set<string>} seen causes seen in this run @param {readonly string[]} kinds
   */
  closeGone(flow, run, planned, seen, kinds) {
    const rows = /** @type {any[]} */ (this.db.prepare(
      `SELECT * FROM inbox WHERE flow = ? AND state = 'open' AND kind IN (${kinds.map(() => "?").join(",")})`).all(flow, ...kinds));
    // An item holding a record left over from an ambiguous match ("…|held") waits for a person.
    const gone = rows.filter((r) => !seen.has(r.cause) && !r.cause.endsWith("|held") && (
      r.kind === "ambiguous"
        ? [...idsIn(r.customerp_id)].every((id) => planned.customerp.has(id)) && [...idsIn(r.chargebee_id)].every((id) => planned.chargebee.has(id))
        : (r.customerp_id !== null && planned.customerp.has(r.customerp_id)) || (r.chargebee_id !== null && planned.chargebee.has(r.chargebee_id))));
    const close = this.db.prepare("UPDATE inbox SET state = 'resolved', resolution = ?, updated_at = ? WHERE id = ?");
    this.db.transaction(() => {
      for (const r of gone) close.run(`the cause is gone (run ${run ?? "-"})`, now(), r.id);
    })();
    return gone.length;
  }

  /** @param {number} id @returns {Item | undefined} */
  get(id) {
    const r = this.db.prepare("SELECT * FROM inbox WHERE id = ?").get(id);
    return r ? toItem(/** @type {any} */ (r)) : undefined;
  }

  /** @param {string} cause @returns {Item | undefined} */
  byCause(cause) {
    const r = this.db.prepare("SELECT * FROM inbox WHERE cause = ?").get(cause);
    return r ? toItem(/** @type {any} */ (r)) : undefined;
  }

  /**
   * Items, oldest first: the open and decided ones, or all with `all`.
   * @param {{ all?: boolean, kind?: string, flow?: string, state?: string, customerp?: string, chargebee?: string }} [f]
   * @returns {Item[]}
   */
  list(f = {}) {
    const where = [];
    /** @type {unknown[]} */
    const args = [];
    if (f.state) (where.push("state = ?"), args.push(f.state));
    else if (!f.all) where.push("state IN ('open', 'decided')");
    if (f.kind) (where.push("kind = ?"), args.push(f.kind));
    if (f.flow) (where.push("flow = ?"), args.push(f.flow));
    if (f.customerp) (where.push("(',' || customerp_id || ',') LIKE ?"), args.push(`%,${f.customerp},%`));
    if (f.chargebee) (where.push("(',' || chargebee_id || ',') LIKE ?"), args.push(`%,${f.chargebee},%`));
    const sql = `SELECT * FROM inbox ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id`;
    return /** @type {any[]} */ (this.db.prepare(sql).all(...args)).map(toItem);
  }

  /** Open (and decided) items by kind. @returns {Record<string, number>} */
  counts() {
    const rows = /** @type {{ kind: string, n: number }[]} */ (this.db.prepare("SELECT kind, count(*) AS n FROM inbox WHERE state IN ('open', 'decided') GROUP BY kind").all());
    return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
  }

  /** @param {number} id @param {State} state @param {string} resolution @param {unknown} [detail] a new detail, when given */
  settle(id, state, resolution, detail) {
    if (detail === undefined) this.db.prepare("UPDATE inbox SET state = ?, resolution = ?, updated_at = ? WHERE id = ?").run(state, resolution, now(), id);
    else this.db.prepare("UPDATE inbox SET state = ?, resolution = ?, detail = ?, updated_at = ? WHERE id = ?").run(state, resolution, JSON.stringify(detail), now(), id);
  }
}

/** "8,9" → {"8", "9"}. @param {string | null} v */
export const idsIn = (v) => new Set(v ? v.split(",") : []);
