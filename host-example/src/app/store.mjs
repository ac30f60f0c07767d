// The host's memory, in SQLite (better-sqlite3): links per flow with the last `base` of each pair,
// cursors per flow, system and type, records to retry, the run log (per run: conflicts, warnings,
// errors, …), the runs, the inbox (inbox.mjs), what a person decided (records held, pairs kept
// apart, first-sync sides, conflict overrides), the run lock (lock.mjs), the business entities
// learnt from Chargebee's events, and the quotes and orders waiting for the order Chargebee
// generates for their new invoice (option orders: "chargebee").
import Database from "better-sqlite3";
import { redactingDatabase } from "./redact.mjs";

/** @typedef {{ customerp: string | null, chargebee: string | null }} Link */
/** @typedef {{ flow: string, customerp_id: string, chargebee_id: string, base: string | null }} LinkRow */
/** @typedef {{ run?: number, flow?: string, kind: string, customerp?: string | null, chargebee?: string | null, property?: string, message: string, detail?: unknown }} LogEntry */

const SCHEMA = `
CREATE TABLE IF NOT EXISTS links (
  flow TEXT NOT NULL, customerp_id TEXT NOT NULL, chargebee_id TEXT NOT NULL,
  base TEXT, linked_by TEXT NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (flow, customerp_id), UNIQUE (flow, chargebee_id));
CREATE INDEX IF NOT EXISTS links_by_chargebee ON links (chargebee_id);
CREATE TABLE IF NOT EXISTS cursors (
  flow TEXT NOT NULL, system TEXT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (flow, system, type));
CREATE TABLE IF NOT EXISTS pending (
  flow TEXT NOT NULL, side TEXT NOT NULL, id TEXT NOT NULL, reason TEXT NOT NULL, attempts INTEGER NOT NULL,
  PRIMARY KEY (flow, side, id));
CREATE TABLE IF NOT EXISTS log (
  id INTEGER PRIMARY KEY, run INTEGER, at TEXT NOT NULL, flow TEXT, kind TEXT NOT NULL,
  customerp_id TEXT, chargebee_id TEXT, property TEXT, message TEXT NOT NULL, detail TEXT);
CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT, summary TEXT);
CREATE TABLE IF NOT EXISTS business_entities (id TEXT PRIMARY KEY, resource_version INTEGER, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbox (
  id INTEGER PRIMARY KEY, cause TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, flow TEXT, customerp_id TEXT, chargebee_id TEXT,
  property TEXT, message TEXT NOT NULL, detail TEXT, state TEXT NOT NULL, resolution TEXT,
  first_run INTEGER, last_run INTEGER, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS inbox_by_state ON inbox (state, kind, flow);
CREATE TABLE IF NOT EXISTS holds (
  flow TEXT NOT NULL, side TEXT NOT NULL, id TEXT NOT NULL, reason TEXT NOT NULL, item INTEGER,
  PRIMARY KEY (flow, side, id));
CREATE TABLE IF NOT EXISTS kept_apart (
  flow TEXT NOT NULL, customerp_id TEXT NOT NULL, chargebee_id TEXT NOT NULL, at TEXT NOT NULL,
  PRIMARY KEY (flow, customerp_id, chargebee_id));
CREATE TABLE IF NOT EXISTS first_sync_keep (
  flow TEXT NOT NULL, customerp_id TEXT NOT NULL, side TEXT NOT NULL, PRIMARY KEY (flow, customerp_id));
CREATE TABLE IF NOT EXISTS overrides (
  item INTEGER PRIMARY KEY, flow TEXT NOT NULL, customerp_id TEXT NOT NULL, chargebee_id TEXT NOT NULL,
  property TEXT NOT NULL, side TEXT NOT NULL, value TEXT);
CREATE TABLE IF NOT EXISTS order_waits (
  flow TEXT NOT NULL, customerp_id TEXT NOT NULL, invoice_id TEXT, base TEXT, since TEXT NOT NULL,
  PRIMARY KEY (flow, customerp_id));
CREATE INDEX IF NOT EXISTS order_waits_by_invoice ON order_waits (invoice_id);
CREATE TABLE IF NOT EXISTS run_lock (
  id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, host TEXT NOT NULL, started TEXT NOT NULL, heartbeat INTEGER NOT NULL);
`;

const now = () => new Date().toISOString();

export class Store {
  /** @param {string} path a file, or ":memory:" */
  constructor(path) {
    this.path = typeof path === "string" ? path : ":memory:";
    this.db = redactingDatabase(new Database(/** @type {any} */ (path)));
    this.db.pragma("busy_timeout = 5000");
    if (typeof path === "string") this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
    const db = this.db;
    this.q = {
      byCp: db.prepare("SELECT * FROM links WHERE flow = ? AND customerp_id = ?"),
      byCb: db.prepare("SELECT * FROM links WHERE flow = ? AND chargebee_id = ?"),
      cbFlows: db.prepare("SELECT flow FROM links WHERE chargebee_id = ?"),
      linksOf: db.prepare("SELECT customerp_id, chargebee_id FROM links WHERE flow = ?"),
      delCp: db.prepare("DELETE FROM links WHERE flow = ? AND customerp_id = ?"),
      delCb: db.prepare("DELETE FROM links WHERE flow = ? AND chargebee_id = ?"),
      upsert: db.prepare(`INSERT INTO links (flow, customerp_id, chargebee_id, base, linked_by, updated_at)
        VALUES (@flow, @customerp, @chargebee, @base, @by, @at)
        ON CONFLICT (flow, customerp_id) DO UPDATE SET chargebee_id = excluded.chargebee_id, base = excluded.base,
          updated_at = excluded.updated_at`),
      cursor: db.prepare("SELECT value FROM cursors WHERE flow = ? AND system = ? AND type = ?"),
      setCursor: db.prepare(`INSERT INTO cursors (flow, system, type, value) VALUES (?, ?, ?, ?)
        ON CONFLICT (flow, system, type) DO UPDATE SET value = excluded.value`),
      pending: db.prepare("SELECT side, id, reason, attempts FROM pending WHERE flow = ?"),
      addPending: db.prepare(`INSERT INTO pending (flow, side, id, reason, attempts) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (flow, side, id) DO UPDATE SET reason = excluded.reason, attempts = excluded.attempts`),
      clearPending: db.prepare("DELETE FROM pending WHERE flow = ?"),
      logged: db.prepare(`SELECT 1 FROM log WHERE kind = @kind AND flow IS @flow AND customerp_id IS @customerp
        AND chargebee_id IS @chargebee AND property IS @property AND detail IS @detail LIMIT 1`),
      log: db.prepare(`INSERT INTO log (run, at, flow, kind, customerp_id, chargebee_id, property, message, detail)
        VALUES (@run, @at, @flow, @kind, @customerp, @chargebee, @property, @message, @detail)`),
      wait: db.prepare("SELECT * FROM order_waits WHERE flow = ? AND customerp_id = ?"),
      waitByInvoice: db.prepare("SELECT * FROM order_waits WHERE invoice_id = ?"),
      unresolvedWaits: db.prepare("SELECT * FROM order_waits WHERE invoice_id IS NULL"),
      saveWait: db.prepare(`INSERT INTO order_waits (flow, customerp_id, invoice_id, base, since) VALUES (@flow, @customerp, @invoice, @base, @at)
        ON CONFLICT (flow, customerp_id) DO UPDATE SET invoice_id = excluded.invoice_id, base = excluded.base`),
      endWait: db.prepare("DELETE FROM order_waits WHERE flow = ? AND customerp_id = ?"),
      be: db.prepare("SELECT json FROM business_entities WHERE id = ?"),
      saveBe: db.prepare(`INSERT INTO business_entities (id, resource_version, json) VALUES (@id, @rv, @json)
        ON CONFLICT (id) DO UPDATE SET resource_version = excluded.resource_version, json = excluded.json
        WHERE excluded.resource_version >= business_entities.resource_version`),
    };
  }

  /** @param {string} flow @param {string} id @returns {LinkRow | undefined} */
  linkByCustomerp(flow, id) {
    return /** @type {LinkRow | undefined} */ (this.q.byCp.get(flow, id));
  }

  /** @param {string} flow @param {string} id @returns {LinkRow | undefined} */
  linkByChargebee(flow, id) {
    return /** @type {LinkRow | undefined} */ (this.q.byCb.get(flow, id));
  }

  /** Flows in which this Chargebee id is linked. @param {string} id @returns {string[]} */
  flowsLinkingChargebee(id) {
    return this.q.cbFlows.all(id).map((r) => /** @type {{ flow: string }} */ (r).flow);
  }

  /** Customerp id → Chargebee id, for `links` in the plan input. @param {string} flow */
  linksOf(flow) {
    /** @type {Record<string, string>} */
    const out = {};
    for (const r of /** @type {{ customerp_id: string, chargebee_id: string }[]} */ (this.q.linksOf.all(flow))) {
      out[r.customerp_id] = r.chargebee_id;
    }
    return out;
  }

  /** Links found by `match`: stored without a base (the next plan settles the first sync). */
  saveMatches(/** @type {string} */ flow, /** @type {{ customerp: string, chargebee: string, by: string }[]} */ links) {
    this.db.transaction(() => {
      for (const l of links) this.q.upsert.run({ flow, customerp: l.customerp, chargebee: l.chargebee, base: null, by: `match:${l.by}`, at: now() });
    })();
  }

  /**
   * After both sides are written: the pair's link and base in one transaction. A plan whose link is
   * {null, null} ends the link: the row and its base go.
   * @param {string} flow
   * @param {Link} previous the link the plan was made for (null ids when there was none)
   * @param {Link} link the link after the plan (with the id Customerp gave a created record)
   * @param {unknown} base
   */
  commitPair(flow, previous, link, base) {
    this.db.transaction(() => {
      if (previous.customerp && previous.customerp !== link.customerp) this.q.delCp.run(flow, previous.customerp);
      if (previous.chargebee && previous.chargebee !== link.chargebee) this.q.delCb.run(flow, previous.chargebee);
      if (link.customerp && link.chargebee) {
        this.q.delCb.run(flow, link.chargebee); // a Chargebee record is linked to one Customerp record per flow
        this.q.endWait.run(flow, link.customerp); // linked: it waits for no generated order any more
        this.q.upsert.run({ flow, customerp: link.customerp, chargebee: link.chargebee, base: base == null ? null : JSON.stringify(base), by: "plan", at: now() });
      } else if (link.customerp === null && link.chargebee === null && base == null) {
        if (previous.customerp) this.q.delCp.run(flow, previous.customerp);
        if (previous.chargebee) this.q.delCb.run(flow, previous.chargebee);
      }
    })();
  }

  // ---- orders Chargebee generates ----------------------------------------------------------

  /**
   * A quote or order whose create made an invoice and waits for the order Chargebee generates for it,
   * with the create plan's base. `invoice_id` is null while the invoice request is under way (stored
   * before it is sent, so a crash after it leaves a trace).
   * @typedef {{ flow: string, customerp_id: string, invoice_id: string | null, base: string | null, since: string }} OrderWait
   */

  /** @param {string} flow @param {string} customerp @returns {OrderWait | undefined} */
  orderWait(flow, customerp) {
    return /** @type {OrderWait | undefined} */ (this.q.wait.get(flow, customerp));
  }

  /** The wait (of any flow) for this invoice's order. @param {string} invoiceId @returns {OrderWait | undefined} */
  orderWaitForInvoice(invoiceId) {
    return /** @type {OrderWait | undefined} */ (this.q.waitByInvoice.get(invoiceId));
  }

  /** Waits whose invoice request has not answered yet. @returns {OrderWait[]} */
  unresolvedOrderWaits() {
    return /** @type {OrderWait[]} */ (this.q.unresolvedWaits.all());
  }

  /** @param {string} flow @param {string} customerp @param {string | null} invoiceId @param {unknown} base */
  saveOrderWait(flow, customerp, invoiceId, base) {
    this.q.saveWait.run({ flow, customerp, invoice: invoiceId, base: base == null ? null : JSON.stringify(base), at: now() });
  }

  /** @param {string} flow @param {string} customerp */
  endOrderWait(flow, customerp) {
    this.q.endWait.run(flow, customerp);
  }

  /** @param {string} flow @param {string} system @param {string} type @returns {string | null} */
  cursor(flow, system, type) {
    return /** @type {{ value: string } | undefined} */ (this.q.cursor.get(flow, system, type))?.value ?? null;
  }

  /**
   * The end of a flow's run, in one transaction: its new cursors, and its records to retry next run
   * (replacing the ones this run read again).
   * @param {string} flow
   * @param {{ system: string, type: string, value: string | null }[]} cursors
   * @param {{ side: string, id: string, reason: string, attempts: number }[]} retry
   */
  finishFlow(flow, cursors, retry) {
    this.db.transaction(() => {
      for (const c of cursors) if (c.value !== null) this.q.setCursor.run(flow, c.system, c.type, c.value);
      this.q.clearPending.run(flow);
      for (const p of retry) this.q.addPending.run(flow, p.side, p.id, p.reason, p.attempts);
    })();
  }

  /**
   * After records of a flow were synced on their own (retry, webhooks): their old retry rows go,
   * the new ones come; the flow's other rows and its cursors stay.
   * @param {string} flow @param {string[]} done "side:id" of the records synced
   * @param {{ side: string, id: string, reason: string, attempts: number }[]} retry
   */
  settlePending(flow, done, retry) {
    this.db.transaction(() => {
      const del = this.db.prepare("DELETE FROM pending WHERE flow = ? AND side = ? AND id = ?");
      for (const d of done) {
        const at = d.indexOf(":");
        del.run(flow, d.slice(0, at), d.slice(at + 1));
      }
      for (const p of retry) this.q.addPending.run(flow, p.side, p.id, p.reason, p.attempts);
    })();
  }

  /** @param {string} flow @returns {{ side: string, id: string, reason: string, attempts: number }[]} */
  pending(flow) {
    return /** @type {any} */ (this.q.pending.all(flow));
  }

  /**
   * Logs an entry unless the same one (kind, flow, pair, property, detail) is already there.
   * @param {LogEntry} e @returns {boolean} whether it was logged now
   */
  logOnce(e) {
    const detail = e.detail === undefined ? null : JSON.stringify(e.detail);
    const key = { kind: e.kind, flow: e.flow ?? null, customerp: e.customerp ?? null, chargebee: e.chargebee ?? null, property: e.property ?? null, detail };
    if (this.q.logged.get(key)) return false;
    this.log(e);
    return true;
  }

  /** @param {LogEntry} e */
  log(e) {
    this.q.log.run({
      run: e.run ?? null, at: now(), flow: e.flow ?? null, kind: e.kind, customerp: e.customerp ?? null,
      chargebee: e.chargebee ?? null, property: e.property ?? null, message: e.message,
      detail: e.detail === undefined ? null : JSON.stringify(e.detail),
    });
  }

  /** @param {{ run?: number, kind?: string }} [f] */
  logEntries(f = {}) {
    const where = [];
    /** @type {unknown[]} */
    const args = [];
    if (f.run !== undefined) (where.push("run = ?"), args.push(f.run));
    if (f.kind !== undefined) (where.push("kind = ?"), args.push(f.kind));
    const sql = `SELECT * FROM log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id`;
    return /** @type {Record<string, any>[]} */ (this.db.prepare(sql).all(...args));
  }

  beginRun() {
    return Number(this.db.prepare("INSERT INTO runs (started) VALUES (?)").run(now()).lastInsertRowid);
  }

  /** @param {number} run @param {unknown} summary */
  finishRun(run, summary) {
    this.db.prepare("UPDATE runs SET finished = ?, summary = ? WHERE id = ?").run(now(), JSON.stringify(summary), run);
  }

  /** A business entity from an event; an older version never overwrites a newer one. @param {Record<string, any>} be */
  saveBusinessEntity(be) {
    this.q.saveBe.run({ id: be.id, rv: be.resource_version ?? 0, json: JSON.stringify(be) });
  }

  /** @param {string[]} ids @returns {Record<string, any>[]} */
  businessEntities(ids) {
    return ids.map((id) => /** @type {{ json: string } | undefined} */ (this.q.be.get(id))).filter((r) => r !== undefined).map((r) => JSON.parse(r.json));
  }

  /** @param {string} flow */
  linkCount(flow) {
    return /** @type {{ n: number }} */ (this.db.prepare("SELECT count(*) AS n FROM links WHERE flow = ?").get(flow)).n;
  }

  /**
   * A copy of the whole store in memory, for a dry run: it plans from exactly this state, and whatever
   * it does to the copy never reaches the file.
   */
  snapshot() {
    const image = this.db.serialize();
    // A WAL file's header says so (bytes 18 and 19 = 2); a database in memory opens only as rollback-journal (1).
    image[18] = 1;
    image[19] = 1;
    const copy = new Store(/** @type {any} */ (image));
    copy.path = `${this.path} (a copy in memory)`;
    return copy;
  }

  // ---- what a person decided --------------------------------------------------------------

  /** @param {string} flow @param {"customerp" | "chargebee"} side @param {string} id @returns {{ reason: string, item: number | null } | undefined} */
  hold(flow, side, id) {
    return /** @type {any} */ (this.db.prepare("SELECT reason, item FROM holds WHERE flow = ? AND side = ? AND id = ?").get(flow, side, id));
  }

  /** @param {string} flow @returns {{ side: string, id: string, reason: string, item: number | null }[]} */
  holdsOf(flow) {
    return /** @type {any} */ (this.db.prepare("SELECT side, id, reason, item FROM holds WHERE flow = ?").all(flow));
  }

  /** @param {string} flow @param {string} side @param {string} id @param {string} reason @param {number | null} [item] */
  addHold(flow, side, id, reason, item = null) {
    this.db.prepare(`INSERT INTO holds (flow, side, id, reason, item) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (flow, side, id) DO UPDATE SET reason = excluded.reason, item = excluded.item`).run(flow, side, id, reason, item);
  }

  /** @param {string} flow @param {string} side @param {string} id */
  releaseHold(flow, side, id) {
    this.db.prepare("DELETE FROM holds WHERE flow = ? AND side = ? AND id = ?").run(flow, side, id);
  }

  /** @param {string} flow @param {string} customerp @param {string} chargebee */
  keepApart(flow, customerp, chargebee) {
    this.db.prepare("INSERT OR IGNORE INTO kept_apart (flow, customerp_id, chargebee_id, at) VALUES (?, ?, ?, ?)").run(flow, customerp, chargebee, now());
  }

  /** @param {string} flow @param {string} customerp @param {string} chargebee */
  keptApart(flow, customerp, chargebee) {
    return Boolean(this.db.prepare("SELECT 1 FROM kept_apart WHERE flow = ? AND customerp_id = ? AND chargebee_id = ?").get(flow, customerp, chargebee));
  }

  /** Ends "kept apart" for every pair with this record. @param {string} flow @param {"customerp" | "chargebee"} side @param {string} id */
  bringTogether(flow, side, id) {
    this.db.prepare(`DELETE FROM kept_apart WHERE flow = ? AND ${side === "customerp" ? "customerp_id" : "chargebee_id"} = ?`).run(flow, id);
  }

  /**
   * A link made by hand: stored without a base, so the next plan merges the pair as at a first sync;
   * `keep` makes differing values go that side's way in that merge.
   * @param {string} flow @param {string} customerp @param {string} chargebee @param {"customerp" | "chargebee" | null} keep
   */
  linkByHand(flow, customerp, chargebee, keep) {
    this.db.transaction(() => {
      this.q.upsert.run({ flow, customerp, chargebee, base: null, by: "hand", at: now() });
      if (keep) this.db.prepare("INSERT OR REPLACE INTO first_sync_keep (flow, customerp_id, side) VALUES (?, ?, ?)").run(flow, customerp, keep);
      else this.db.prepare("DELETE FROM first_sync_keep WHERE flow = ? AND customerp_id = ?").run(flow, customerp);
      for (const [side, id] of /** @type {const} */ ([["customerp", customerp], ["chargebee", chargebee]])) {
        this.releaseHold(flow, side, id);
        this.bringTogether(flow, side, id);
        this.q.addPending.run(flow, side, id, "linked by hand", 0);
      }
    })();
  }

  /** The side a first sync of this pair keeps, if a person chose one. @param {string} flow @param {string} customerp @returns {"customerp" | "chargebee" | undefined} */
  firstSyncKeep(flow, customerp) {
    return /** @type {any} */ (this.db.prepare("SELECT side FROM first_sync_keep WHERE flow = ? AND customerp_id = ?").get(flow, customerp))?.side;
  }

  /** Ends a link without touching either system, and keeps the pair apart. @param {string} flow @param {string} customerp @param {string} chargebee */
  unlinkByHand(flow, customerp, chargebee) {
    this.db.transaction(() => {
      this.q.delCp.run(flow, customerp);
      this.db.prepare("DELETE FROM first_sync_keep WHERE flow = ? AND customerp_id = ?").run(flow, customerp);
      this.keepApart(flow, customerp, chargebee);
      const reason = `unlinked by hand from ${chargebee}: not copied across until linked again or retried with --create`;
      this.addHold(flow, "customerp", customerp, reason);
      this.addHold(flow, "chargebee", chargebee, `unlinked by hand from Customerp ${customerp}: not copied across until linked again or retried with --create`);
    })();
  }

  /**
   * A conflict's decision overridden: the next run writes `value` (in Customerp's form) to both sides.
   * @param {{ item: number, flow: string, customerp: string, chargebee: string, property: string, side: string, value: unknown }} o
   */
  addOverride(o) {
    this.db.transaction(() => {
      this.db.prepare("INSERT OR REPLACE INTO overrides (item, flow, customerp_id, chargebee_id, property, side, value) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .run(o.item, o.flow, o.customerp, o.chargebee, o.property, o.side, JSON.stringify(o.value ?? null));
      this.q.addPending.run(o.flow, "customerp", o.customerp, "conflict overridden", 0);
    })();
  }

  /** @param {string} flow @param {string} customerp @returns {{ item: number, property: string, side: string, value: unknown }[]} */
  overridesOf(flow, customerp) {
    return /** @type {any[]} */ (this.db.prepare("SELECT item, property, side, value FROM overrides WHERE flow = ? AND customerp_id = ? ORDER BY item").all(flow, customerp))
      .map((r) => ({ ...r, value: JSON.parse(r.value) }));
  }

  /** @param {number} item */
  dropOverride(item) {
    this.db.prepare("DELETE FROM overrides WHERE item = ?").run(item);
  }

  /** Records to read again in the next run of a flow. @param {string} flow @param {"customerp" | "chargebee"} side @param {string} id @param {string} reason */
  readAgain(flow, side, id, reason) {
    this.q.addPending.run(flow, side, id, reason, 0);
  }

  // ---- runs -----------------------------------------------------------------------------

  /** The last runs, newest first, with their summaries. @param {number} [limit] */
  runs(limit = 20) {
    return /** @type {{ id: number, started: string, finished: string | null, summary: string | null }[]} */ (
      this.db.prepare("SELECT id, started, finished, summary FROM runs ORDER BY id DESC LIMIT ?").all(limit)
    ).map((r) => ({ ...r, summary: r.summary ? JSON.parse(r.summary) : null }));
  }

  /** One run with its summary, or undefined. @param {number} id */
  run(id) {
    const r = /** @type {{ id: number, started: string, finished: string | null, summary: string | null } | undefined} */ (
      this.db.prepare("SELECT id, started, finished, summary FROM runs WHERE id = ?").get(id));
    return r && { ...r, summary: r.summary ? JSON.parse(r.summary) : null };
  }

  close() {
    if (this.db.open) this.db.close();
  }
}
