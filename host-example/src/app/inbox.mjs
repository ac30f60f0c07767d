// The inbox: what needs a person, one item per cause across runs. An item is found again by its cause
// key (kind, flow, records, and what is specific to the cause), so a cause seen on every run stays one
// item, and two runs can never make two (the key is UNIQUE in the store). Items close themselves when
// a run plans their records and the cause is gone; conflicts are `decided` (a person may still
// override them); a person resolves or dismisses the rest.

/** @typedef {"ambiguous" | "manual" | "conflict" | "error" | "waiting" | "guard" | "drift" | "undo"} Kind */
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

// `undo`: what an undo did not put back (a value changed since the run) or could not do; a person closes it.
export const KINDS = /** @type {const} */ (["ambiguous", "manual", "conflict", "error", "waiting", "guard", "drift", "undo"]);
/** Kinds that close themselves when a run plans their records and does not see the cause again. */
export const SELF_CLOSING = /** @type {const} */ (["manual", "error", "waiting", "drift"]);

import { sql } from "kysely";

const now = () => new Date().toISOString();

/** @param {Sighting} s */
export const causeOf = (s) => [s.kind, s.flow, s.customerp ?? "", s.chargebee ?? "", s.key ?? ""].join("|");

/** @param {Record<string, any>} r @returns {Item} */
function toItem(r) {
  return {
    id: Number(r.id), kind: r.kind, flow: r.flow, customerpId: r.customerp_id, chargebeeId: r.chargebee_id, property: r.property,
    message: r.message, detail: r.detail ? JSON.parse(r.detail) : null, state: r.state, resolution: r.resolution,
    firstRun: r.first_run == null ? null : Number(r.first_run), lastRun: r.last_run == null ? null : Number(r.last_run), createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export class Inbox {
  /** @param {import("./store/store.mjs").Store} store */
  constructor(store) {
    this.store = store;
  }

  /** @param {import("kysely").Kysely<any>} [k] */
  rows(k = this.store.k) {
    return k.selectFrom("inbox").selectAll().where("tenant", "=", this.store.tenant);
  }

  /**
   * Records a cause seen in a run. Returns the item's id and whether it is new. A resolved item whose
   * cause is back opens again; a dismissed one stays dismissed; a conflict stays decided.
   * @param {Sighting} s @returns {Promise<{ id: number, state: State, fresh: boolean }>}
   */
  async see(s) {
    const at = now();
    const cause = causeOf(s);
    return this.store.tx(s.flow, async (k) => {
      const detail = s.detail === undefined ? null : JSON.stringify(s.detail);
      const inserted = await k.insertInto("inbox").values({
        tenant: this.store.tenant, cause, kind: s.kind, flow: s.flow, customerp_id: s.customerp ?? null, chargebee_id: s.chargebee ?? null,
        property: s.property ?? null, message: s.message, detail, state: s.kind === "conflict" ? "decided" : "open",
        first_run: s.run, last_run: s.run, created_at: at, updated_at: at,
      }).onConflict((oc) => oc.columns(["tenant", "cause"]).doNothing()).returning(["id", "state"]).executeTakeFirst();
      if (inserted) return { id: Number(inserted.id), state: /** @type {State} */ (inserted.state), fresh: true };
      // An undo's note stays closed once a person closed it: running the same undo again says the same.
      const reopen = sql`CASE WHEN state = 'resolved' AND kind NOT IN ('conflict', 'guard', 'undo') THEN 'open' ELSE state END`;
      const resolution = sql`CASE WHEN state = 'resolved' AND kind NOT IN ('conflict', 'guard', 'undo') THEN NULL ELSE resolution END`;
      const r = await k.updateTable("inbox").set({
        last_run: s.run === null ? sql`last_run` : s.run, message: s.message, detail, updated_at: at, state: reopen, resolution,
      }).where("tenant", "=", this.store.tenant).where("cause", "=", cause).returning(["id", "state"]).executeTakeFirstOrThrow();
      return { id: Number(r.id), state: /** @type {State} */ (r.state), fresh: false };
    });
  }

  /**
   * Closes the open items of a flow whose records a run planned (or read, for `ambiguous`) and whose
   * cause it did not see again.
   * @param {string} flow @param {number | null} run @param {{ customerp: Set<string>, chargebee: Set<string> }} planned
   * @param {Set<string>} seen causes seen in this run @param {readonly string[]} kinds
   */
  async closeGone(flow, run, planned, seen, kinds) {
    const rows = await this.rows().where("flow", "=", flow).where("state", "=", "open").where("kind", "in", [...kinds]).execute();
    // An item holding a record left over from an ambiguous match ("…|held") waits for a person.
    const gone = rows.filter((r) => !seen.has(r.cause) && !r.cause.endsWith("|held") && (
      r.kind === "ambiguous"
        ? [...idsIn(r.customerp_id)].every((id) => planned.customerp.has(id)) && [...idsIn(r.chargebee_id)].every((id) => planned.chargebee.has(id))
        : (r.customerp_id !== null && planned.customerp.has(r.customerp_id)) || (r.chargebee_id !== null && planned.chargebee.has(r.chargebee_id))));
    if (gone.length === 0) return 0;
    await this.store.tx(flow, async (k) => {
      for (const r of gone) {
        await k.updateTable("inbox").set({ state: "resolved", resolution: `the cause is gone (run ${run ?? "-"})`, updated_at: now() }).where("id", "=", r.id).execute();
      }
    });
    return gone.length;
  }

  /** @param {number} id @returns {Promise<Item | undefined>} */
  async get(id) {
    const r = await this.rows().where("id", "=", id).executeTakeFirst();
    return r ? toItem(r) : undefined;
  }

  /** @param {string} cause @returns {Promise<Item | undefined>} */
  async byCause(cause) {
    const r = await this.rows().where("cause", "=", cause).executeTakeFirst();
    return r ? toItem(r) : undefined;
  }

  /**
   * Items, oldest first: the open and decided ones, or all with `all`.
   * @param {{ all?: boolean, kind?: string, flow?: string, state?: string, customerp?: string, chargebee?: string, limit?: number }} [f]
   * @returns {Promise<Item[]>}
   */
  async list(f = {}) {
    let q = this.rows();
    if (f.state) q = q.where("state", "=", f.state);
    else if (!f.all) q = q.where("state", "in", ["open", "decided"]);
    if (f.kind) q = q.where("kind", "=", f.kind);
    if (f.flow) q = q.where("flow", "=", f.flow);
    if (f.customerp) q = q.where(sql`(',' || customerp_id || ',')`, "like", `%,${f.customerp},%`);
    if (f.chargebee) q = q.where(sql`(',' || chargebee_id || ',')`, "like", `%,${f.chargebee},%`);
    if (f.limit) q = q.limit(f.limit);
    return (await q.orderBy("id").execute()).map(toItem);
  }

  /** Open (and decided) items by kind. @returns {Promise<Record<string, number>>} */
  async counts() {
    const rows = await this.store.k.selectFrom("inbox").select(["kind", (e) => e.fn.countAll().as("n")])
      .where("tenant", "=", this.store.tenant).where("state", "in", ["open", "decided"]).groupBy("kind").execute();
    return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
  }

  /** @param {number} id @param {State} state @param {string} resolution @param {unknown} [detail] a new detail, when given */
  async settle(id, state, resolution, detail) {
    /** @type {Record<string, unknown>} */
    const set = { state, resolution, updated_at: now() };
    if (detail !== undefined) set.detail = JSON.stringify(detail);
    await this.store.k.updateTable("inbox").set(set).where("tenant", "=", this.store.tenant).where("id", "=", id).execute();
  }
}

/** "8,9" → {"8", "9"}. @param {string | null} v */
export const idsIn = (v) => new Set(v ? v.split(",") : []);
