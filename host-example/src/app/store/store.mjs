// The host's memory, for one tenant ('' when there are none), on SQLite or PostgreSQL (db.mjs): links
// per flow with the last `base` of each pair and each side's version as of that base, cursors per
// flow, system and type, records to retry, the run log, the runs, the inbox (inbox.mjs), what a
// person decided (records held, pairs kept apart, first-sync sides, conflict overrides), the leases
// that keep two runs of a flow apart (leases.mjs), the business entities learnt from Chargebee's
// events, the quotes and orders waiting for the order Chargebee generates for their new invoice,
// and the journal of every write (journal.mjs).
//
// A store may be fenced: once a run holds the lease of a flow, every write it makes for that flow
// checks, in the same transaction, that the lease's token is still its own. A run that stalled
// past its lease (another process took the flow over) writes no link, base or inbox row after.
import { sql } from "kysely";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb, postgresCopy } from "./db.mjs";
import { migrate, TENANT_TABLES } from "./schema.mjs";

/** @typedef {{ customerp: string | null, chargebee: string | null }} Link */
/** @typedef {{ flow: string, customerp_id: string, chargebee_id: string, base: string | null, customerp_version?: string | null, chargebee_version?: string | null }} LinkRow */
/** @typedef {{ run?: number, flow?: string, kind: string, customerp?: string | null, chargebee?: string | null, property?: string, message: string, detail?: unknown }} LogEntry */
/** @typedef {{ customerp?: string | null, chargebee?: string | null }} Versions */
/** @typedef {import("kysely").Kysely<any>} K */

const now = () => new Date().toISOString();

/**
 * Records to read again, added or updated. @param {Store} store @param {K} k @param {string} flow
 * @param {{ side: string, id: string, reason: string, attempts: number }[]} rows
 */
async function addPending(store, k, flow, rows) {
  // One row per record (the last wins): PostgreSQL refuses an upsert that names a row twice.
  rows = [...new Map(rows.map((r) => [`${r.side}:${r.id}`, r])).values()];
  for (let i = 0; i < rows.length; i += 200) {
    const part = rows.slice(i, i + 200).map((p) => ({ tenant: store.tenant, flow, side: p.side, id: p.id, reason: p.reason, attempts: p.attempts }));
    if (!part.length) continue;
    await k.insertInto("pending").values(part)
      .onConflict((oc) => oc.columns(["tenant", "flow", "side", "id"]).doUpdateSet((eb) => ({ reason: eb.ref("excluded.reason"), attempts: eb.ref("excluded.attempts") })))
      .execute();
  }
}

/** Raised when a write of a run that lost its lease is refused. */
export class FencedError extends Error {
  /** @param {string} flow @param {string} tenant */
  constructor(flow, tenant) {
    super(`the lease of ${tenant ? `tenant ${tenant}, ` : ""}flow ${flow} is no longer this run's (another process took it over after it stalled): nothing more is written`);
    this.name = "FencedError";
    this.fatal = true;
  }
}

export class Store {
  /**
   * Use `Store.open`. @param {import("./db.mjs").Db} db @param {string} tenant
   * @param {{ owned?: boolean, path?: string }} [o] owned: the store closes the database when it closes
   */
  constructor(db, tenant, o = {}) {
    this.db = db;
    this.k = db.k;
    this.tenant = tenant;
    this.dialect = db.dialect;
    this.path = o.path ?? db.target;
    this.owned = o.owned ?? true;
    /** @type {Map<string, number>} flow → the token of the lease this process holds; writes of that flow check it */
    this.fences = new Map();
    this.closed = false;
  }

  /**
   * Opens (and migrates) SYNC_DB for a tenant.
   * @param {string | Buffer} target a file path, ":memory:", or a postgres:// URL
   * @param {{ tenant?: string, migrate?: boolean }} [o]
   */
  static async open(target, o = {}) {
    const db = openDb(target);
    try {
      if (o.migrate !== false) await migrate(db);
    } catch (e) {
      await db.close();
      throw e;
    }
    return new Store(db, o.tenant ?? "");
  }

  /** The same database for another tenant (shares the connection; closing it does not close the database). @param {string} tenant */
  forTenant(tenant) {
    return new Store(this.db, tenant, { owned: false, path: this.path });
  }

  /**
   * This store inside a transaction: every method of the view runs in it (a transaction within a
   * transaction would wait for itself on SQLite's one connection). @param {K} trx @returns {Store}
   */
  within(trx) {
    const view = Object.create(this);
    view.k = trx;
    view.tx = async (/** @type {string | null | undefined} */ flow, /** @type {(k: K) => Promise<any>} */ fn) => {
      await this.checkFence(trx, flow);
      return fn(trx);
    };
    return view;
  }

  /** Runs `fn` with a view of this store in one transaction (fenced for `flow`). @template T @param {string | null} flow @param {(s: Store) => Promise<T>} fn @returns {Promise<T>} */
  async atomically(flow, fn) {
    return this.tx(flow, (trx) => fn(this.within(trx)));
  }

  /** Rows of this tenant. @param {string} table */
  from(table) {
    return this.k.selectFrom(table).where("tenant", "=", this.tenant);
  }

  /**
   * A transaction; with a flow whose lease this store holds, it first proves the lease is still
   * its own (and refreshes its heartbeat), or throws FencedError and writes nothing.
   * @template T @param {string | null | undefined} flow @param {(k: K) => Promise<T>} fn @returns {Promise<T>}
   */
  async tx(flow, fn) {
    return this.k.transaction().execute(async (trx) => {
      await this.checkFence(trx, flow);
      return fn(trx);
    });
  }

  /** @param {K} k @param {string | null | undefined} flow */
  async checkFence(k, flow) {
    if (!flow || !this.fences.has(flow)) return;
    const r = await k.updateTable("leases").set({ heartbeat: Date.now() })
      .where("tenant", "=", this.tenant).where("name", "=", flow).where("token", "=", /** @type {number} */ (this.fences.get(flow)))
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new FencedError(flow, this.tenant);
  }

  /**
   * Throws FencedError when this process held the lease of `flow` and holds it no more (another process
   * took it over after this one stalled): the write path asks before it sends anything.
   * @param {string} flow
   */
  async assertFence(flow) {
    const token = this.fences.get(flow);
    if (token === undefined) return;
    const r = await this.k.selectFrom("leases").select("token").where("tenant", "=", this.tenant).where("name", "=", flow).executeTakeFirst();
    if (!r || Number(r.token) !== token) throw new FencedError(flow, this.tenant);
  }

  // ---- links -------------------------------------------------------------------------------

  /** @param {string} flow @param {string} id @returns {Promise<LinkRow | undefined>} */
  async linkByCustomerp(flow, id) {
    return /** @type {any} */ (await this.from("links").selectAll().where("flow", "=", flow).where("customerp_id", "=", id).executeTakeFirst());
  }

  /** @param {string} flow @param {string} id @returns {Promise<LinkRow | undefined>} */
  async linkByChargebee(flow, id) {
    return /** @type {any} */ (await this.from("links").selectAll().where("flow", "=", flow).where("chargebee_id", "=", id).executeTakeFirst());
  }

  /**
   * The links of many records of one side at once (a page). @param {string} flow @param {"customerp" | "chargebee"} side
   * @param {string[]} ids @returns {Promise<Map<string, LinkRow>>} by that side's id
   */
  async linksBy(flow, side, ids) {
    /** @type {Map<string, LinkRow>} */
    const out = new Map();
    const col = side === "customerp" ? "customerp_id" : "chargebee_id";
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      if (!part.length) continue;
      const rows = await this.from("links").selectAll().where("flow", "=", flow).where(col, "in", part).execute();
      for (const r of rows) out.set(String(r[col]), /** @type {any} */ (r));
    }
    return out;
  }

  /** Flows in which this Chargebee id is linked. @param {string} id @returns {Promise<string[]>} */
  async flowsLinkingChargebee(id) {
    return (await this.from("links").select("flow").where("chargebee_id", "=", id).execute()).map((r) => String(r.flow));
  }

  /** Chargebee id → the flows linking it, for many ids. @param {string[]} ids @returns {Promise<Map<string, string[]>>} */
  async flowsLinkingChargebeeIds(ids) {
    /** @type {Map<string, string[]>} */
    const out = new Map();
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      if (!part.length) continue;
      for (const r of await this.from("links").select(["flow", "chargebee_id"]).where("chargebee_id", "in", part).execute()) {
        const list = out.get(r.chargebee_id) ?? [];
        list.push(r.flow);
        out.set(r.chargebee_id, list);
      }
    }
    return out;
  }

  /** Customerp id → Chargebee id of every link of a flow (small flows, `explain`). @param {string} flow */
  async linksOf(flow) {
    /** @type {Record<string, string>} */
    const out = {};
    for (const r of await this.from("links").select(["customerp_id", "chargebee_id"]).where("flow", "=", flow).execute()) out[r.customerp_id] = r.chargebee_id;
    return out;
  }

  /**
   * The links of a parent flow a page of plans names: Customerp ids → Chargebee ids for the ids given
   * on either side. @param {string} flow @param {{ customerp: string[], chargebee: string[] }} ids
   * @returns {Promise<Record<string, string>>}
   */
  async linksNamed(flow, ids) {
    /** @type {Record<string, string>} */
    const out = {};
    for (const side of /** @type {const} */ (["customerp", "chargebee"])) {
      for (const r of (await this.linksBy(flow, side, [...new Set(ids[side])])).values()) out[r.customerp_id] = r.chargebee_id;
    }
    return out;
  }

  /** @param {string} flow */
  async linkCount(flow) {
    const r = await this.from("links").select((e) => e.fn.countAll().as("n")).where("flow", "=", flow).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  /** Links found by `match`: stored without a base (the next plan settles the first sync). */
  async saveMatches(/** @type {string} */ flow, /** @type {{ customerp: string, chargebee: string, by: string }[]} */ links) {
    links = [...new Map(links.map((l) => [l.customerp, l])).values()];
    if (!links.length) return;
    await this.tx(flow, async (k) => {
      for (let i = 0; i < links.length; i += 200) {
        const rows = links.slice(i, i + 200).map((l) => ({ tenant: this.tenant, flow, customerp_id: l.customerp, chargebee_id: l.chargebee, base: null, linked_by: `match:${l.by}`, updated_at: now() }));
        await k.insertInto("links").values(rows)
          .onConflict((oc) => oc.columns(["tenant", "flow", "customerp_id"]).doUpdateSet((eb) => ({ chargebee_id: eb.ref("excluded.chargebee_id"), base: null, updated_at: eb.ref("excluded.updated_at") })))
          .execute();
      }
    });
  }

  /**
   * After both sides are written: the pair's link, base and versions in one transaction. A plan whose
   * link is {null, null} ends the link: the row and its base go.
   * @param {string} flow
   * @param {Link} previous the link the plan was made for (null ids when there was none)
   * @param {Link} link the link after the plan (with the id Customerp gave a created record)
   * @param {unknown} base
   * @param {Versions} [versions] each side's version as the base knows it
   */
  async commitPair(flow, previous, link, base, versions = {}) {
    await this.tx(flow, async (k) => {
      const links = () => k.deleteFrom("links").where("tenant", "=", this.tenant).where("flow", "=", flow);
      if (previous.customerp && previous.customerp !== link.customerp) await links().where("customerp_id", "=", previous.customerp).execute();
      if (previous.chargebee && previous.chargebee !== link.chargebee) await links().where("chargebee_id", "=", previous.chargebee).execute();
      if (link.customerp && link.chargebee) {
        // a Chargebee record is linked to one Customerp record per flow
        await links().where("chargebee_id", "=", link.chargebee).where("customerp_id", "!=", link.customerp).execute();
        await k.deleteFrom("order_waits").where("tenant", "=", this.tenant).where("flow", "=", flow).where("customerp_id", "=", link.customerp).execute();
        const row = {
          tenant: this.tenant, flow, customerp_id: link.customerp, chargebee_id: link.chargebee, base: base == null ? null : JSON.stringify(base),
          linked_by: "plan", updated_at: now(), customerp_version: versions.customerp ?? null, chargebee_version: versions.chargebee ?? null,
        };
        await k.insertInto("links").values(row)
          .onConflict((oc) => oc.columns(["tenant", "flow", "customerp_id"]).doUpdateSet((eb) => ({
            chargebee_id: eb.ref("excluded.chargebee_id"), base: eb.ref("excluded.base"), updated_at: eb.ref("excluded.updated_at"),
            customerp_version: eb.ref("excluded.customerp_version"), chargebee_version: eb.ref("excluded.chargebee_version"),
          })))
          .execute();
      } else if (link.customerp === null && link.chargebee === null && base == null) {
        if (previous.customerp) await links().where("customerp_id", "=", previous.customerp).execute();
        if (previous.chargebee) await links().where("chargebee_id", "=", previous.chargebee).execute();
      }
    });
  }

  // ---- orders Chargebee generates ----------------------------------------------------------

  /**
   * A quote or order whose create made an invoice and waits for the order Chargebee generates for it,
   * with the create plan's base. `invoice_id` is null while the invoice request is under way (stored
   * before it is sent, so a crash after it leaves a trace).
   * @typedef {{ flow: string, customerp_id: string, invoice_id: string | null, base: string | null, since: string }} OrderWait
   */

  /** @param {string} flow @param {string} customerp @returns {Promise<OrderWait | undefined>} */
  async orderWait(flow, customerp) {
    return /** @type {any} */ (await this.from("order_waits").selectAll().where("flow", "=", flow).where("customerp_id", "=", customerp).executeTakeFirst());
  }

  /** The wait (of any flow) for this invoice's order. @param {string} invoiceId @returns {Promise<OrderWait | undefined>} */
  async orderWaitForInvoice(invoiceId) {
    return /** @type {any} */ (await this.from("order_waits").selectAll().where("invoice_id", "=", invoiceId).executeTakeFirst());
  }

  /** Waits whose invoice request has not answered yet. @returns {Promise<OrderWait[]>} */
  async unresolvedOrderWaits() {
    return /** @type {any} */ (await this.from("order_waits").selectAll().where("invoice_id", "is", null).execute());
  }

  /** @param {string} flow @param {string} customerp @param {string | null} invoiceId @param {unknown} base */
  async saveOrderWait(flow, customerp, invoiceId, base) {
    await this.tx(flow, (k) => k.insertInto("order_waits")
      .values({ tenant: this.tenant, flow, customerp_id: customerp, invoice_id: invoiceId, base: base == null ? null : JSON.stringify(base), since: now() })
      .onConflict((oc) => oc.columns(["tenant", "flow", "customerp_id"]).doUpdateSet((eb) => ({ invoice_id: eb.ref("excluded.invoice_id"), base: eb.ref("excluded.base") })))
      .execute());
  }

  /** @param {string} flow @param {string} customerp */
  async endOrderWait(flow, customerp) {
    await this.tx(flow, (k) => k.deleteFrom("order_waits").where("tenant", "=", this.tenant).where("flow", "=", flow).where("customerp_id", "=", customerp).execute());
  }

  // ---- cursors and records to read again -----------------------------------------------------

  /** @param {string} flow @param {string} system @param {string} type @returns {Promise<string | null>} */
  async cursor(flow, system, type) {
    const r = await this.from("cursors").select("value").where("flow", "=", flow).where("system", "=", system).where("type", "=", type).executeTakeFirst();
    return r?.value ?? null;
  }

  /**
   * The end of a flow's run, in one transaction: its new cursors, and its records to retry next run
   * (replacing the ones this run read again).
   * @param {string} flow
   * @param {{ system: string, type: string, value: string | null }[]} cursors
   * @param {{ side: string, id: string, reason: string, attempts: number }[]} retry
   */
  async finishFlow(flow, cursors, retry) {
    await this.tx(flow, async (k) => {
      for (const c of cursors) {
        if (c.value === null) continue;
        await k.insertInto("cursors").values({ tenant: this.tenant, flow, system: c.system, type: c.type, value: c.value })
          .onConflict((oc) => oc.columns(["tenant", "flow", "system", "type"]).doUpdateSet({ value: c.value })).execute();
      }
      await k.deleteFrom("pending").where("tenant", "=", this.tenant).where("flow", "=", flow).execute();
      await addPending(this, k, flow, retry);
    });
  }

  /**
   * After records of a flow were synced on their own (retry, webhooks): their old retry rows go,
   * the new ones come; the flow's other rows and its cursors stay.
   * @param {string} flow @param {string[]} done "side:id" of the records synced
   * @param {{ side: string, id: string, reason: string, attempts: number }[]} retry
   */
  async settlePending(flow, done, retry) {
    await this.tx(flow, async (k) => {
      for (const d of done) {
        const at = d.indexOf(":");
        await k.deleteFrom("pending").where("tenant", "=", this.tenant).where("flow", "=", flow).where("side", "=", d.slice(0, at)).where("id", "=", d.slice(at + 1)).execute();
      }
      await addPending(this, k, flow, retry);
    });
  }

  /** @param {string} flow @returns {Promise<{ side: string, id: string, reason: string, attempts: number }[]>} */
  async pending(flow) {
    return /** @type {any} */ (await this.from("pending").select(["side", "id", "reason", "attempts"]).where("flow", "=", flow).execute());
  }

  /** Records to read again in the next run of a flow. @param {string} flow @param {"customerp" | "chargebee"} side @param {string} id @param {string} reason */
  async readAgain(flow, side, id, reason) {
    await addPending(this, this.k, flow, [{ side, id, reason, attempts: 0 }]);
  }

  // ---- the run log -------------------------------------------------------------------------

  /**
   * Logs an entry unless the same one (kind, flow, pair, property, detail) is already there.
   * @param {LogEntry} e @returns {Promise<boolean>} whether it was logged now
   */
  async logOnce(e) {
    const detail = e.detail === undefined ? null : JSON.stringify(e.detail);
    /** @param {string} col @param {string | null | undefined} v @returns {import("kysely").RawBuilder<import("kysely").SqlBool>} */
    const is = (col, v) => (v == null ? sql`${sql.ref(col)} IS NULL` : sql`${sql.ref(col)} = ${v}`).$castTo();
    const found = await this.from("log").select("id").where("kind", "=", e.kind)
      .where(is("flow", e.flow)).where(is("customerp_id", e.customerp)).where(is("chargebee_id", e.chargebee))
      .where(is("property", e.property)).where(is("detail", detail)).limit(1).executeTakeFirst();
    if (found) return false;
    await this.log(e);
    return true;
  }

  /** @param {LogEntry} e */
  async log(e) {
    await this.tx(e.flow, (k) => k.insertInto("log").values({
      tenant: this.tenant, run: e.run ?? null, at: now(), flow: e.flow ?? null, kind: e.kind, customerp_id: e.customerp ?? null,
      chargebee_id: e.chargebee ?? null, property: e.property ?? null, message: e.message,
      detail: e.detail === undefined ? null : JSON.stringify(e.detail),
    }).execute());
  }

  /** @param {{ run?: number, kind?: string }} [f] @returns {Promise<Record<string, any>[]>} */
  async logEntries(f = {}) {
    let q = this.from("log").selectAll();
    if (f.run !== undefined) q = q.where("run", "=", f.run);
    if (f.kind !== undefined) q = q.where("kind", "=", f.kind);
    return q.orderBy("id").execute();
  }

  // ---- runs -----------------------------------------------------------------------------

  /** @param {{ worker?: string, dryRun?: boolean }} [o] @returns {Promise<number>} */
  async beginRun(o = {}) {
    const r = await this.k.insertInto("runs").values({ tenant: this.tenant, started: now(), worker: o.worker ?? null, dry_run: o.dryRun ? 1 : 0 })
      .returning("id").executeTakeFirstOrThrow();
    return Number(r.id);
  }

  /** @param {number} run @param {unknown} summary @param {string} [outcome] */
  async finishRun(run, summary, outcome) {
    await this.k.updateTable("runs").set({ finished: now(), summary: JSON.stringify(summary), outcome: outcome ?? null })
      .where("tenant", "=", this.tenant).where("id", "=", run).execute();
  }

  /** A flow's part of a run begins (the run table shows that no two overlap). @param {number} run @param {string} flow @param {string} [worker] */
  async beginRunFlow(run, flow, worker) {
    await this.tx(flow, (k) => k.insertInto("run_flows").values({ run, tenant: this.tenant, flow, started: Date.now(), worker: worker ?? null, token: this.fences.get(flow) ?? null })
      .onConflict((oc) => oc.columns(["run", "flow"]).doUpdateSet({ started: Date.now() })).execute());
  }

  /** @param {number} run @param {string} flow @param {string} outcome @param {number} errors */
  async finishRunFlow(run, flow, outcome, errors) {
    await this.tx(flow, (k) => k.updateTable("run_flows").set({ finished: Date.now(), outcome, errors })
      .where("run", "=", run).where("flow", "=", flow).execute());
  }

  /** The last runs, newest first, with their summaries. @param {number} [limit] */
  async runs(limit = 20) {
    const rows = await this.from("runs").select(["id", "started", "finished", "summary", "outcome", "worker"]).where("dry_run", "=", 0).orderBy("id", "desc").limit(limit).execute();
    return rows.map((r) => ({ ...r, id: Number(r.id), summary: r.summary ? JSON.parse(r.summary) : null }));
  }

  /** One run with its summary, or undefined. @param {number} id */
  async run(id) {
    const r = await this.from("runs").select(["id", "started", "finished", "summary", "outcome", "worker"]).where("id", "=", id).executeTakeFirst();
    return r && { ...r, id: Number(r.id), summary: r.summary ? JSON.parse(r.summary) : null };
  }

  // ---- business entities -------------------------------------------------------------------

  /** A business entity from an event; an older version never overwrites a newer one. @param {Record<string, any>} be */
  async saveBusinessEntity(be) {
    const rv = be.resource_version ?? 0;
    await this.k.insertInto("business_entities").values({ tenant: this.tenant, id: be.id, resource_version: rv, json: JSON.stringify(be) })
      .onConflict((oc) => oc.columns(["tenant", "id"]).doUpdateSet((eb) => ({ resource_version: eb.ref("excluded.resource_version"), json: eb.ref("excluded.json") }))
        .where("business_entities.resource_version", "<=", rv))
      .execute();
  }

  /** @param {string[]} ids @returns {Promise<Record<string, any>[]>} */
  async businessEntities(ids) {
    if (!ids.length) return [];
    /** @type {Map<string, any>} */
    const byId = new Map();
    for (let i = 0; i < ids.length; i += 500) {
      for (const r of await this.from("business_entities").select(["id", "json"]).where("id", "in", ids.slice(i, i + 500)).execute()) byId.set(r.id, JSON.parse(r.json));
    }
    return ids.map((id) => byId.get(id)).filter((x) => x !== undefined);
  }

  // ---- what a person decided --------------------------------------------------------------

  /** @param {string} flow @param {"customerp" | "chargebee"} side @param {string} id @returns {Promise<{ reason: string, item: number | null } | undefined>} */
  async hold(flow, side, id) {
    return /** @type {any} */ (await this.from("holds").select(["reason", "item"]).where("flow", "=", flow).where("side", "=", side).where("id", "=", id).executeTakeFirst());
  }

  /** @param {string} flow @returns {Promise<{ side: string, id: string, reason: string, item: number | null }[]>} */
  async holdsOf(flow) {
    return /** @type {any} */ (await this.from("holds").select(["side", "id", "reason", "item"]).where("flow", "=", flow).execute());
  }

  /** @param {string} flow @param {string} side @param {string} id @param {string} reason @param {number | null} [item] @param {K} [k] */
  async addHold(flow, side, id, reason, item = null, k = this.k) {
    await k.insertInto("holds").values({ tenant: this.tenant, flow, side, id, reason, item })
      .onConflict((oc) => oc.columns(["tenant", "flow", "side", "id"]).doUpdateSet({ reason, item })).execute();
  }

  /** @param {string} flow @param {string} side @param {string} id @param {K} [k] */
  async releaseHold(flow, side, id, k = this.k) {
    await k.deleteFrom("holds").where("tenant", "=", this.tenant).where("flow", "=", flow).where("side", "=", side).where("id", "=", id).execute();
  }

  /** @param {string} flow @param {string} customerp @param {string} chargebee @param {K} [k] */
  async keepApart(flow, customerp, chargebee, k = this.k) {
    await k.insertInto("kept_apart").values({ tenant: this.tenant, flow, customerp_id: customerp, chargebee_id: chargebee, at: now() })
      .onConflict((oc) => oc.doNothing()).execute();
  }

  /** @param {string} flow @param {string} customerp @param {string} chargebee */
  async keptApart(flow, customerp, chargebee) {
    return Boolean(await this.from("kept_apart").select("flow").where("flow", "=", flow).where("customerp_id", "=", customerp).where("chargebee_id", "=", chargebee).executeTakeFirst());
  }

  /** Ends "kept apart" for every pair with this record. @param {string} flow @param {"customerp" | "chargebee"} side @param {string} id @param {K} [k] */
  async bringTogether(flow, side, id, k = this.k) {
    await k.deleteFrom("kept_apart").where("tenant", "=", this.tenant).where("flow", "=", flow).where(side === "customerp" ? "customerp_id" : "chargebee_id", "=", id).execute();
  }

  /**
   * A link made by hand: stored without a base, so the next plan merges the pair as at a first sync;
   * `keep` makes differing values go that side's way in that merge. `more` runs in the same transaction.
   * @param {string} flow @param {string} customerp @param {string} chargebee @param {"customerp" | "chargebee" | null} keep
   * @param {(k: K) => Promise<void>} [more]
   */
  async linkByHand(flow, customerp, chargebee, keep, more) {
    await this.tx(flow, async (k) => {
      await k.insertInto("links").values({ tenant: this.tenant, flow, customerp_id: customerp, chargebee_id: chargebee, base: null, linked_by: "hand", updated_at: now() })
        .onConflict((oc) => oc.columns(["tenant", "flow", "customerp_id"]).doUpdateSet({ chargebee_id: chargebee, base: null, updated_at: now(), customerp_version: null, chargebee_version: null }))
        .execute();
      await k.deleteFrom("first_sync_keep").where("tenant", "=", this.tenant).where("flow", "=", flow).where("customerp_id", "=", customerp).execute();
      if (keep) await k.insertInto("first_sync_keep").values({ tenant: this.tenant, flow, customerp_id: customerp, side: keep }).execute();
      for (const [side, id] of /** @type {const} */ ([["customerp", customerp], ["chargebee", chargebee]])) {
        await this.releaseHold(flow, side, id, k);
        await this.bringTogether(flow, side, id, k);
        await addPending(this, k, flow, [{ side, id, reason: "linked by hand", attempts: 0 }]);
      }
      await more?.(k);
    });
  }

  /** The side a first sync of this pair keeps, if a person chose one. @param {string} flow @param {string} customerp @returns {Promise<"customerp" | "chargebee" | undefined>} */
  async firstSyncKeep(flow, customerp) {
    return /** @type {any} */ ((await this.from("first_sync_keep").select("side").where("flow", "=", flow).where("customerp_id", "=", customerp).executeTakeFirst())?.side);
  }

  /**
   * Ends a link without touching either system, keeps the pair apart and holds both records.
   * @param {string} flow @param {string} customerp @param {string} chargebee @param {{ customerp: string, chargebee: string }} [why] the holds' reasons
   */
  async unlinkByHand(flow, customerp, chargebee, why) {
    await this.tx(flow, async (k) => {
      await k.deleteFrom("links").where("tenant", "=", this.tenant).where("flow", "=", flow).where("customerp_id", "=", customerp).execute();
      await k.deleteFrom("first_sync_keep").where("tenant", "=", this.tenant).where("flow", "=", flow).where("customerp_id", "=", customerp).execute();
      await this.keepApart(flow, customerp, chargebee, k);
      await this.addHold(flow, "customerp", customerp, why?.customerp ?? `unlinked by hand from ${chargebee}: not copied across until linked again or retried with --create`, null, k);
      await this.addHold(flow, "chargebee", chargebee, why?.chargebee ?? `unlinked by hand from Customerp ${customerp}: not copied across until linked again or retried with --create`, null, k);
    });
  }

  /**
   * A conflict's decision overridden: the next run writes `value` (in Customerp's form) to both sides.
   * @param {{ item: number, flow: string, customerp: string, chargebee: string, property: string, side: string, value: unknown }} o
   */
  async addOverride(o) {
    await this.tx(o.flow, async (k) => {
      await k.insertInto("overrides").values({ tenant: this.tenant, item: o.item, flow: o.flow, customerp_id: o.customerp, chargebee_id: o.chargebee, property: o.property, side: o.side, value: JSON.stringify(o.value ?? null) })
        .onConflict((oc) => oc.column("item").doUpdateSet({ flow: o.flow, customerp_id: o.customerp, chargebee_id: o.chargebee, property: o.property, side: o.side, value: JSON.stringify(o.value ?? null) }))
        .execute();
      await addPending(this, k, o.flow, [{ side: "customerp", id: o.customerp, reason: "conflict overridden", attempts: 0 }]);
    });
  }

  /** @param {string} flow @param {string} customerp @returns {Promise<{ item: number, property: string, side: string, value: unknown }[]>} */
  async overridesOf(flow, customerp) {
    const rows = await this.from("overrides").select(["item", "property", "side", "value"]).where("flow", "=", flow).where("customerp_id", "=", customerp).orderBy("item").execute();
    return rows.map((r) => ({ ...r, item: Number(r.item), value: JSON.parse(r.value) }));
  }

  /** Whether any override waits, for any flow (a run skips the per-pair lookup when none does). */
  async anyOverrides() {
    return Boolean(await this.from("overrides").select("item").limit(1).executeTakeFirst());
  }

  /** @param {number} item */
  async dropOverride(item) {
    await this.k.deleteFrom("overrides").where("tenant", "=", this.tenant).where("item", "=", item).execute();
  }

  /** @param {number} item */
  async hasOverride(item) {
    return Boolean(await this.from("overrides").select("item").where("item", "=", item).executeTakeFirst());
  }

  // ---- the dry run's copy ---------------------------------------------------------------------

  /**
   * A copy of this tenant's state, for a dry run: it plans from exactly this state, and whatever it
   * does to the copy never reaches the store. SQLite: the whole file, in memory. PostgreSQL: the
   * tenant's rows in session tables of one connection.
   */
  async snapshot() {
    if (this.db.sqlite) {
      if (this.path === ":memory:") {
        const image = this.db.sqlite.serialize();
        const copy = await Store.open(image, { tenant: this.tenant, migrate: false });
        copy.path = `${this.path} (a copy in memory)`;
        return copy;
      }
      // A file beside the run's spool, made by SQLite's online backup: a dry run learns a link for every pair it
      // plans, so a copy in memory grew with the site (1M contacts: over a gigabyte); on disk SQLite's page
      // cache bounds it. Named like a spool, so a run killed outright leaves nothing the next one keeps.
      const dir = mkdtempSync(join(process.env.SYNC_SPOOL_DIR ?? tmpdir(), `customerp-chargebee-spool-${process.pid}-`));
      const file = join(dir, "dry-run-copy.sqlite");
      try {
        await this.db.sqlite.backup(file);
        const copy = await Store.open(file, { tenant: this.tenant, migrate: false });
        copy.path = `${this.path} (a copy for a dry run)`;
        const close = copy.close.bind(copy);
        copy.close = async () => {
          await close();
          rmSync(dir, { recursive: true, force: true });
        };
        return copy;
      } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
    }
    const db = await postgresCopy(/** @type {import("pg").Pool} */ (this.db.pool), this.path, TENANT_TABLES, this.tenant);
    return new Store(db, this.tenant, { path: db.target });
  }

  /** The schema version (the migrations applied). */
  async schemaVersion() {
    const { appliedNames } = await import("./schema.mjs");
    return (await appliedNames(this.db)).length;
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) await this.db.close();
  }
}
