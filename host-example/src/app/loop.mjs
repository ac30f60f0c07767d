// The host's loop (api.md): per flow, in dependency order, read what changed on both sides, match
// unlinked records, plan the pairs in pages with planBatch, let the guard look at the destructive
// actions planned, execute each plan (Chargebee requests in order, then the Customerp change,
// re-reading the targets first), and store link and base together. What needs a person goes to the
// inbox; a dry run does all of it but the writes, on a copy of the store.
import { match, plan as planOne, planBatch } from "customerp-chargebee";
import { FLOWS, flowAvailable } from "./flows.mjs";
import { chargebeeResources } from "./clients/chargebee-resources.mjs";
import { settle, waitForOrder } from "./pair.mjs";
import { progressLine } from "./report.mjs";
import { Inbox, SELF_CLOSING, causeOf } from "./inbox.mjs";
import { destructiveActions, shortHash } from "./plans.mjs";
import { optionsFor, GUARD_DEFAULTS } from "./config.mjs";
import { UnreachableError } from "./errors.mjs";
import { applyOverrides, droppedByReadOnly } from "./decisions.mjs";
import { events } from "./events.mjs";

/** @typedef {Record<string, any>} Json */
/** @typedef {import("customerp-chargebee").Plan} Plan */
/** @typedef {import("customerp-chargebee").Options} Options */
/** @typedef {import("./flows.mjs").FlowSpec} FlowSpec */
/** @typedef {import("./store/store.mjs").Link} Link */
/** @typedef {{ customerp: Json | null, chargebee: Json | null, base: Json | null, links: Json }} Input */
/** @typedef {{ stored: Link, input: Input, options: Options, keep?: string, overrides: { item: number, property: string, side: string, value: unknown }[] }} Work */

const PAGE = 100; // pairs per planBatch call

export function newStats() {
  return {
    read: { customerp: 0, chargebee: 0 }, matched: 0, ambiguous: 0,
    created: { customerp: 0, chargebee: 0 }, updated: { customerp: 0, chargebee: 0 }, deleted: { customerp: 0, chargebee: 0 },
    conflicts: 0, warnings: 0, waiting: 0, manual: 0, held: 0, replanned: 0, rechecked: 0, errors: 0, drift: 0, planned: 0, written: 0,
    /** @type {null | { counts: Record<string, number>, linked: number, item: number }} the guard stopped this flow */
    guard: null,
  };
}
/** @typedef {ReturnType<typeof newStats>} FlowStats */

/**
 * A write a run plans, as a dry run lists it and `explain` shows it.
 * @typedef {object} PlannedWrite
 * @property {string} flow
 * @property {"customerp" | "chargebee"} side
 * @property {string} action create, update, delete, manual, or follow-up
 * @property {string | null} customerpId
 * @property {string | null} chargebeeId
 * @property {string | null} method
 * @property {string | null} path
 * @property {Json | null} params
 * @property {{ property: string, from: unknown, to: unknown }[]} changes
 * @property {import("customerp-chargebee").Conflict[]} conflicts
 * @property {import("customerp-chargebee").PlanWarning[]} warnings
 * @property {string | null} reason
 * @property {boolean} followUp a write a create leaves to a second plan, made from the create's answer
 */

/**
 * Progress of a flow, for progress lines.
 * @typedef {{ flow: string, phase: "read" | "plan" | "write", read: number, planned: number, written: number, total: number | null }} Progress
 */

/**
 * @typedef {object} SyncOptions
 * @property {import("./clients/customerp.mjs").CustomerpClient} customerp
 * @property {import("./clients/chargebee.mjs").ChargebeeClient} chargebee
 * @property {import("./store/store.mjs").Store} store
 * @property {Options} [options] passed to match / plan / planBatch, for every flow
 * @property {Record<string, Options>} [flowOptions] per flow, over `options`
 * @property {(line: string) => void} [out] one line per flow as it ends
 * @property {(p: Progress) => void} [onProgress] called often; the caller decides how often to show it
 * @property {boolean} [full] ignore the cursors: read everything, and report drift
 * @property {boolean} [repair] with full: plan drifted pairs as at a first sync for the differing properties
 * @property {boolean} [dryRun] plan, send no write (the store should be a snapshot: see Store.snapshot)
 * @property {string[]} [only] run only these flows
 * @property {{ max: number, percent: number }} [guard]
 * @property {import("./flows.mjs").FlowSpec[]} [flows] the flows in dependency order (default FLOWS)
 * @property {import("./events.mjs").HostEvents} [events] where writes and runs are reported (default: the process's)
 * @property {number} [maxWaits] waits for an answer a pair's writes may take in one run (default: the Chargebee client's maxAttempts, 8)
 * @property {(ms: number) => Promise<void>} [sleep]
 * @property {{ afterChargebeeRequest?: (e: { flow: string, plan: Plan, index: number }) => void | Promise<void>,
 *   afterChargebeeWrite?: (e: { flow: string, plan: Plan }) => void | Promise<void>,
 *   beforeExecute?: (e: { flow: string, plan: Plan, round: number }) => void }} [hooks] test seams: a hook
 *   that throws an error with `fatal: true` stops the run there, as a crash would
 */

/** What one run carries from flow to flow. */
export class RunContext {
  /** @param {number} run */
  constructor(run) {
    this.run = run;
    /** @type {PlannedWrite[]} */
    this.planned = [];
    /** @type {Set<string>} inbox causes seen in this run */
    this.seen = new Set();
  }
}

export class Sync {
  /** @param {SyncOptions} o */
  constructor(o) {
    this.cp = o.customerp;
    this.cb = o.chargebee;
    this.store = o.store;
    this.options = o.options ?? {};
    this.flowOptions = o.flowOptions ?? {};
    this.out = o.out ?? (() => {});
    this.onProgress = o.onProgress ?? (() => {});
    this.full = o.full ?? false;
    this.repair = o.repair ?? false;
    this.dryRun = o.dryRun ?? false;
    this.only = o.only;
    this.guard = o.guard ?? GUARD_DEFAULTS;
    this.flows = o.flows ?? FLOWS;
    this.hooks = o.hooks ?? {};
    this.events = o.events ?? events;
    /** Waits for an answer a pair's writes may take in one run (429, 5xx, a lost answer), each followed by a new check. */
    this.maxWaits = o.maxWaits ?? this.cb.retry?.maxAttempts ?? 8;
    this.sleep = o.sleep ?? ((/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms)));
    /** How long each write left after the last answer about its pair, ms: the measured side of CHECK_BOUND_MS. @type {number[]} */
    this.writeGaps = [];
    this.readers = chargebeeResources(this.cb, this.store);
    /** Chargebee records whose link a plan ended in this process (a delete released them): what was read of
     * them before is stale, so they are not planned as new records in the same run. @type {Set<string>} */
    this.released = new Set();
    /** The orders of an invoice, read once a run (an invoice's generated twin is looked for by every order flow). @type {Map<string, Promise<Json[]>>} */
    this.invoiceOrders = new Map();
    this.inbox = new Inbox(this.store);
  }

  /** The plan options of a flow. @param {string} flow @returns {Options} */
  optionsOf(flow) {
    return optionsFor({ options: this.options, flowOptions: this.flowOptions }, flow);
  }

  /** One full pass over every flow. Returns the run's summary. */
  async run() {
    const ctx = new RunContext(await this.store.beginRun({ dryRun: this.dryRun }));
    this.released.clear();
    this.invoiceOrders.clear();
    const before = this.requestCounts();
    /** @type {Record<string, FlowStats | { skipped: string }>} */
    const flows = {};
    const active = [];
    for (const f of this.flows) {
      if (this.only && !this.only.includes(f.id)) continue;
      if (flowAvailable(f.id)) active.push(f);
      else {
        flows[f.id] = { skipped: "not in this build of customerp-chargebee (plan throws unknown_flow)" };
        this.out(`  ${f.id.padEnd(25)} skipped: this build of customerp-chargebee does not plan it yet`);
      }
    }
    /** @type {Map<string, Promise<any>>} one read per resource and cursor in a run */
    const reads = new Map();
    const batches = new Map();
    for (const f of active) batches.set(f.id, await this.collect(f, ctx, { reads }));
    for (const f of active) {
      const started = Date.now();
      const stats = await this.syncFlow(f, batches.get(f.id), ctx, { saveCursors: true });
      flows[f.id] = stats;
      this.out(progressLine(f.id, stats, Date.now() - started));
    }
    return await this.finish(ctx, flows, before);
  }

  /**
   * Syncs the given records of one flow now: reads them (and their partners), plans their pairs and
   * writes them, without touching the flow's cursors. For `retry`, and for a host that learns of
   * changed records another way (webhooks). `create` lets held records (ambiguous, unlinked by hand)
   * be copied across.
   * @param {string} flowId @param {{ customerp?: string[], chargebee?: string[] }} ids @param {{ create?: boolean }} [o]
   */
  async syncRecords(flowId, ids, o = {}) {
    const f = this.flows.find((x) => x.id === flowId);
    if (!f) throw new Error(`unknown flow ${flowId}`);
    const ctx = new RunContext(await this.store.beginRun({ dryRun: this.dryRun }));
    this.released.clear();
    this.invoiceOrders.clear();
    const before = this.requestCounts();
    if (o.create && !this.dryRun) {
      for (const side of /** @type {const} */ (["customerp", "chargebee"])) {
        for (const id of ids[side] ?? []) {
          await this.store.releaseHold(f.id, side, id);
          await this.store.bringTogether(f.id, side, id);
        }
      }
    }
    const batch = await this.collect(f, ctx, { given: ids, create: o.create });
    const stats = await this.syncFlow(f, batch, ctx, { saveCursors: false, given: ids });
    return await this.finish(ctx, { [f.id]: stats }, before);
  }

  /**
   * Syncs the records events named, several flows in one run, parents first (the flows' order), with the
   * same plans and store as a polling run; the cursors are left to the polls.
   * @param {Record<string, { customerp?: string[], chargebee?: string[] }>} touched flow → ids per side
   */
  async syncTouched(touched) {
    const ctx = new RunContext(await this.store.beginRun({ dryRun: this.dryRun }));
    this.released.clear();
    this.invoiceOrders.clear();
    const before = this.requestCounts();
    /** @type {Record<string, FlowStats | { skipped: string }>} */
    const flows = {};
    for (const f of this.flows) {
      const ids = touched[f.id];
      if (!ids || (this.only && !this.only.includes(f.id)) || !flowAvailable(f.id)) continue;
      const batch = await this.collect(f, ctx, { given: ids });
      flows[f.id] = await this.syncFlow(f, batch, ctx, { saveCursors: false, given: ids });
    }
    return await this.finish(ctx, flows, before);
  }

  /** @param {RunContext} ctx @param {Record<string, FlowStats | { skipped: string }>} flows @param {ReturnType<Sync["requestCounts"]>} before */
  async finish(ctx, flows, before) {
    const after = this.requestCounts();
    const summary = {
      run: ctx.run,
      dryRun: this.dryRun,
      flows,
      requests: {
        customerp: diff(after.customerp, before.customerp),
        chargebee: diff(after.chargebee, before.chargebee),
      },
      planned: ctx.planned,
    };
    await this.store.finishRun(ctx.run, { ...summary, planned: undefined });
    return summary;
  }

  requestCounts() {
    return { customerp: { ...this.cp.counters }, chargebee: { ...this.cb.counters } };
  }

  /**
   * A cause for a person: into the run log and the inbox.
   * @param {RunContext} ctx @param {import("./inbox.mjs").Sighting} s
   */
  see(ctx, s) {
    ctx.seen.add(causeOf(s));
    return this.inbox.see(s);
  }

  /**
   * Phase 1 of a flow: read what changed (and what waits for a retry), or the given records; then match
   * unlinked records.
   * @param {FlowSpec} f @param {RunContext} ctx
   * @param {{ reads?: Map<string, Promise<any>>, given?: { customerp?: string[], chargebee?: string[] }, create?: boolean }} o
   */
  async collect(f, ctx, o) {
    const run = ctx.run;
    const stats = newStats();
    const reader = this.readers[f.chargebee];
    const options = this.optionsOf(f.id);
    /** @type {Map<string, Json>} */
    const cpRecs = new Map();
    /** @type {Map<string, Json>} */
    const cbRecs = new Map();
    /** @type {{ system: string, type: string, value: string | null }[]} */
    let cursors = [];
    /** @type {{ side: string, id: string, reason: string, attempts: number }[]} */
    let pending = [];
    if (o.given) {
      for (const r of await this.cp.getMany(f.customerp, o.given.customerp ?? [])) cpRecs.set(String(r.id), r);
      for (const r of await reader.byIds(o.given.chargebee ?? [])) cbRecs.set(r.id, r);
    } else {
      const reads = /** @type {Map<string, Promise<any>>} */ (o.reads);
      const cpCursor = this.full ? null : await this.store.cursor(f.id, "customerp", f.customerp);
      /** @type {Record<string, string | null>} */
      const cbCursors = {};
      for (const t of reader.cursorTypes) cbCursors[t] = this.full ? null : await this.store.cursor(f.id, "chargebee", t);
      const once = (/** @type {string} */ key, /** @type {() => Promise<any>} */ read) => {
        if (!reads.has(key)) reads.set(key, read());
        return /** @type {Promise<any>} */ (reads.get(key));
      };
      const cpRead = await once(`cp ${f.customerp} ${cpCursor}`, () => this.cp.changes(f.customerp, cpCursor));
      const cbRead = await once(`cb ${f.chargebee} ${JSON.stringify(cbCursors)}`, () => reader.changed(cbCursors));
      for (const r of cpRead.records) cpRecs.set(String(r.id), r);
      for (const r of cbRead.records) cbRecs.set(r.id, r);
      pending = await this.store.pending(f.id);
      const again = (/** @type {string} */ side, /** @type {Map<string, Json>} */ have) =>
        pending.filter((p) => p.side === side && !have.has(p.id)).map((p) => p.id);
      for (const r of await this.cp.getMany(f.customerp, again("customerp", cpRecs))) cpRecs.set(String(r.id), r);
      for (const r of await reader.byIds(again("chargebee", cbRecs))) cbRecs.set(r.id, r);
      cursors = [
        { system: "customerp", type: f.customerp, value: cpRead.cursor },
        ...reader.cursorTypes.map((t) => ({ system: "chargebee", type: t, value: cbRead.cursors[t] })),
      ];
    }
    stats.read = { customerp: cpRecs.size, chargebee: cbRecs.size };
    this.onProgress({ flow: f.id, phase: "read", read: cpRecs.size + cbRecs.size, planned: 0, written: 0, total: null });

    /** @type {{ customerp: Map<string, string>, chargebee: Map<string, string> }} record → why it is held */
    const held = { customerp: new Map(), chargebee: new Map() };
    const cpLinks = await this.store.linksBy(f.id, "customerp", [...cpRecs.keys()]);
    const unlinkedCp = [...cpRecs.values()].filter((r) => !cpLinks.has(String(r.id)));
    const cbLinked = await this.linkedInResourceIds(f, [...cbRecs.keys()]);
    const unlinkedCb = [...cbRecs.values()].filter((r) => !cbLinked.has(r.id));
    for (const h of await this.store.holdsOf(f.id)) {
      const side = /** @type {"customerp" | "chargebee"} */ (h.side);
      if ((side === "customerp" ? unlinkedCp : unlinkedCb).some((r) => String(r.id) === h.id)) held[side].set(h.id, h.reason);
    }
    if (unlinkedCp.length > 0 && unlinkedCb.length > 0) {
      try {
        const m = match(/** @type {any} */ (f.id), unlinkedCp, unlinkedCb, options);
        // A pair a person unlinked is never matched again.
        const apart = new Set();
        for (const l of m.links) if (await this.store.keptApart(f.id, l.customerp, l.chargebee)) apart.add(l);
        const links = m.links.filter((l) => !apart.has(l));
        for (const l of m.links.filter((x) => !links.includes(x))) {
          held.customerp.set(l.customerp, `kept apart from ${l.chargebee}`);
          held.chargebee.set(l.chargebee, `kept apart from Customerp ${l.customerp}`);
        }
        await this.store.saveMatches(f.id, links);
        stats.matched = links.length;
        for (const a of m.ambiguous) {
          stats.ambiguous++;
          const message = `ambiguous match by ${a.by}: Customerp ${a.customerp.join(", ")} and Chargebee ${a.chargebee.join(", ")}; not linked and not copied until a person links them (or dismisses this)`;
          const item = await this.see(ctx, { run, kind: "ambiguous", flow: f.id, customerp: a.customerp.join(","), chargebee: a.chargebee.join(","), message, detail: a });
          await this.store.logOnce({ run, flow: f.id, kind: "ambiguous", customerp: a.customerp.join(","), chargebee: a.chargebee.join(","), message, detail: a });
          if (item.state === "dismissed") continue; // a person said: not the same records; each is synced on its own
          a.customerp.forEach((id) => held.customerp.set(id, `ambiguous match (inbox item ${item.id})`));
          a.chargebee.forEach((id) => held.chargebee.set(id, `ambiguous match (inbox item ${item.id})`));
        }
      } catch (e) {
        if (e instanceof UnreachableError) throw e;
        // No match, no copy: copying unmatched records now could make twins of records that would match.
        stats.errors++;
        unlinkedCp.forEach((r) => held.customerp.set(String(r.id), "match failed"));
        unlinkedCb.forEach((r) => held.chargebee.set(r.id, "match failed"));
        await this.logError(ctx, f.id, null, null, e, "match failed; unlinked records wait for the next run");
      }
    }
    /** @type {Map<string, string>} Customerp record → the invoice whose generated order it waits for */
    const waits = new Map();
    return { stats, cpRecs, cbRecs, held, waits, cursors, pending, readIds: { customerp: new Set(cpRecs.keys()), chargebee: new Set(cbRecs.keys()) } };
  }

  /**
   * Why an unlinked order Chargebee generated is not copied to Customerp, if it is not: while a create's
   * invoice request has not answered (a crash after it), any generated order may be that invoice's, so
   * it waits a run; and an order generated for an invoice whose other order is linked (the sync made it
   * with `POST /orders`, option orders: "create", on a site that generates orders) is a second order for
   * one Customerp record: reported for a person, never copied.
   * @param {FlowSpec} f @param {Json} order @returns {Promise<string | undefined>}
   */
  async generatedTwin(f, order) {
    if (order.order_type !== "system_generated" || order.invoice_id == null) return undefined;
    const same = FLOWS.filter((g) => g.chargebee === f.chargebee).map((g) => g.id);
    if ((await this.store.unresolvedOrderWaits()).some((w) => same.includes(/** @type {any} */ (w.flow)))) {
      return "waiting: a create's invoice request has not answered yet, and this generated order may be its invoice's";
    }
    const invoice = String(order.invoice_id);
    if (!this.invoiceOrders.has(invoice)) this.invoiceOrders.set(invoice, /** @type {any} */ (this.readers[f.chargebee]).ofInvoice(invoice));
    const orders = await /** @type {Promise<Json[]>} */ (this.invoiceOrders.get(invoice));
    const linkedIds = await this.linkedInResourceIds(f, orders.map((o) => o.id));
    const linked = orders.find((/** @type {Json} */ o) => o.id !== order.id && linkedIds.has(o.id));
    if (!linked) return undefined;
    const parts = [];
    for (const fl of await this.store.flowsLinkingChargebee(linked.id)) parts.push(`${fl} ${(await this.store.linkByChargebee(fl, linked.id))?.customerp_id}`);
    const pair = parts.join(", ");
    return `Chargebee generated order ${order.id} for invoice ${invoice}, whose order ${linked.id} the sync made and links (${pair}): a second order for one Customerp record, not copied. This site generates orders: set the plan option orders: "chargebee", and cancel one of the two orders in Chargebee`;
  }

  /** Whether a Chargebee record is linked in this flow or in another flow of the same resource. @param {FlowSpec} f @param {string} id */
  async linkedInResource(f, id) {
    return (await this.linkedInResourceIds(f, [id])).has(id);
  }

  /** The Chargebee records of these that are linked in this flow or another flow of the same resource. @param {FlowSpec} f @param {string[]} ids */
  async linkedInResourceIds(f, ids) {
    const same = FLOWS.filter((g) => g.chargebee === f.chargebee).map((g) => g.id);
    const byId = await this.store.flowsLinkingChargebeeIds(ids);
    return new Set(ids.filter((id) => (byId.get(id) ?? []).some((fl) => same.includes(/** @type {any} */ (fl)))));
  }

  /**
   * The pairs of a flow to plan, from the records read: linked partners are read too; held records are left out.
   * @param {FlowSpec} f @param {Awaited<ReturnType<Sync["collect"]>>} batch
   * @returns {Promise<Work[]>}
   */
  async pairsOf(f, batch) {
    const { cpRecs, cbRecs, held } = batch;
    /** @type {Map<string, { link: Link, base: string | null }>} */
    const pairs = new Map();
    const orders = this.readers[f.chargebee].ofInvoice;
    for (const id of cpRecs.keys()) {
      if (held.customerp.has(id)) continue;
      const l = await this.store.linkByCustomerp(f.id, id);
      const from = f.takesOver && !l ? cpRecs.get(id)?.[f.takesOver.field] : null;
      const fromWait = from != null && f.takesOver ? await this.store.orderWait(f.takesOver.flow, String(from)) : undefined;
      if (fromWait) {
        held.customerp.set(id, `waiting: ${f.takesOver?.flow} ${from} waits for the order Chargebee generates for its invoice, which this record takes over`);
        continue;
      }
      const wait = !l && orders ? await this.store.orderWait(f.id, id) : undefined;
      if (wait?.invoice_id) {
        // Its invoice is made: the order Chargebee generated for it, adopted with the create's base.
        const listed = await /** @type {NonNullable<typeof orders>} */ (orders)(wait.invoice_id);
        const taken = await this.linkedInResourceIds(f, listed.map((o) => o.id));
        const order = listed.find((o) => !taken.has(o.id));
        if (order) {
          cbRecs.set(order.id, order);
          pairs.set(`cp:${id}`, { link: { customerp: id, chargebee: order.id }, base: wait.base });
        } else batch.waits.set(id, wait.invoice_id);
        continue;
      }
      pairs.set(`cp:${id}`, l ? { link: { customerp: id, chargebee: l.chargebee_id }, base: l.base } : { link: { customerp: id, chargebee: null }, base: null });
    }
    for (const id of cbRecs.keys()) {
      if (held.chargebee.has(id)) continue;
      const l = await this.store.linkByChargebee(f.id, id);
      if (l) pairs.set(`cp:${l.customerp_id}`, { link: { customerp: l.customerp_id, chargebee: id }, base: l.base });
      else if (!(await this.linkedInResource(f, id)) && !this.released.has(id)) {
        const rec = /** @type {Json} */ (cbRecs.get(id));
        const wait = orders && rec.invoice_id != null ? await this.store.orderWaitForInvoice(String(rec.invoice_id)) : undefined;
        if (wait) {
          // The order Chargebee generated for a quote's or order's new invoice: adopted by that record's
          // flow, never copied to Customerp as a record of its own.
          if (wait.flow === f.id) {
            batch.waits.delete(wait.customerp_id);
            pairs.set(`cp:${wait.customerp_id}`, { link: { customerp: wait.customerp_id, chargebee: id }, base: wait.base });
          }
          continue;
        }
        const why = orders ? await this.generatedTwin(f, rec) : undefined;
        if (why) held.chargebee.set(id, why);
        else pairs.set(`cb:${id}`, { link: { customerp: null, chargebee: id }, base: null });
      }
    }
    const needCp = [...pairs.values()].map((p) => p.link.customerp).filter((id) => id !== null && !cpRecs.has(id));
    const needCb = [...pairs.values()].map((p) => p.link.chargebee).filter((id) => id !== null && !cbRecs.has(id));
    for (const r of await this.cp.getMany(f.customerp, /** @type {string[]} */ (needCp))) cpRecs.set(String(r.id), r);
    for (const r of await this.readers[f.chargebee].byIds(/** @type {string[]} */ (needCb))) cbRecs.set(r.id, r);
    /** @type {Json} */
    const links = {};
    for (const p of f.parents) links[p] = await this.store.linksOf(p);
    const out = [];
    for (const p of pairs.values()) {
      out.push(await this.work(f, p.link, p.base, {
        customerp: p.link.customerp ? cpRecs.get(p.link.customerp) ?? null : null,
        chargebee: p.link.chargebee ? cbRecs.get(p.link.chargebee) ?? null : null,
      }, links));
    }
    return out;
  }

  /**
   * One pair to plan, with the options a run plans it with: a first sync linked by hand with a side
   * to keep plans with `conflicts` of that side; a conflict a person overrode is applied after planning.
   * @param {FlowSpec} f @param {Link} link @param {string | null} base @param {{ customerp: Json | null, chargebee: Json | null }} records @param {Json} links
   * @returns {Promise<Work>}
   */
  async work(f, link, base, records, links) {
    const linked = Boolean(link.customerp && link.chargebee);
    let options = this.optionsOf(f.id);
    const keep = linked && !base ? await this.store.firstSyncKeep(f.id, /** @type {string} */ (link.customerp)) : undefined;
    if (keep) options = { ...options, conflicts: keep, propertyWinners: undefined };
    return {
      // the link as stored: both ids, or none for a record without a partner yet
      stored: linked ? link : { customerp: null, chargebee: null },
      input: { ...records, base: base ? JSON.parse(base) : null, links },
      options,
      keep,
      overrides: linked ? await this.store.overridesOf(f.id, /** @type {string} */ (link.customerp)) : [],
    };
  }

  /**
   * Plans pairs as a run does: pages of planBatch for the flow's options, one by one for pairs with
   * options of their own; overrides applied; with `full`, drift found (and with `repair`, planned).
   * @param {FlowSpec} f @param {Work[]} work @param {(done: number) => void} [progress]
   * @returns {{ work: Work, result: { ok: true, plan: Plan } | { ok: false, error: any }, drift: import("customerp-chargebee").Conflict[], dropped: { side: string, properties: string[] } | null }[]}
   */
  planAll(f, work, progress = () => {}) {
    const options = this.optionsOf(f.id);
    const plain = work.filter((w) => w.options === options);
    /** @type {Map<Work, any>} */
    const results = new Map();
    for (let i = 0; i < plain.length; i += PAGE) {
      const page = plain.slice(i, i + PAGE);
      planBatch(/** @type {any} */ (f.id), page.map((w) => w.input), options).forEach((r, j) => results.set(page[j], r));
      progress(results.size);
    }
    for (const w of work.filter((x) => x.options !== options)) {
      try {
        results.set(w, { ok: true, plan: planOne(/** @type {any} */ (f.id), w.input, w.options) });
      } catch (e) {
        results.set(w, { ok: false, error: e });
      }
    }
    const probeDrift = this.full;
    return work.map((w) => {
      let result = results.get(w);
      /** @type {import("customerp-chargebee").Conflict[]} */
      let drift = [];
      let dropped = null;
      if (result.ok) {
        if (probeDrift && w.input.base && w.input.customerp && w.input.chargebee) {
          const repaired = planOne(/** @type {any} */ (f.id), w.input, { ...w.options, repair: true });
          drift = repaired.conflicts.filter((c) => c.rule.startsWith("repair"));
          if (this.repair && drift.length) result = { ok: true, plan: repaired };
        }
        if (w.overrides.length) result = applyOverrides(f, w, result.plan);
        dropped = droppedByReadOnly(f, w, result.plan);
      }
      return { work: w, result, drift, dropped };
    });
  }

  /**
   * Phase 2 of a flow: plan every touched pair, let the guard look, execute the plans.
   * @param {FlowSpec} f @param {Awaited<ReturnType<Sync["collect"]>>} batch @param {RunContext} ctx
   * @param {{ saveCursors: boolean, given?: { customerp?: string[], chargebee?: string[] } }} o
   */
  async syncFlow(f, batch, ctx, o) {
    const { stats, held } = batch;
    const run = ctx.run;
    const work = await this.pairsOf(f, batch);
    const total = work.length;
    const read = stats.read.customerp + stats.read.chargebee;
    const progress = (/** @type {"plan" | "write"} */ phase) =>
      this.onProgress({ flow: f.id, phase, read, planned: stats.planned, written: stats.written, total });
    const planned = this.planAll(f, work, (n) => {
      stats.planned = n;
      progress("plan");
    });
    stats.planned = planned.length;

    /** @type {Map<string, { side: string, id: string, reason: string, attempts: number }>} */
    const retry = new Map();
    const attempts = new Map(batch.pending.map((p) => [`${p.side}:${p.id}`, p.attempts]));
    const later = (/** @type {Link} */ link, /** @type {string} */ reason) => {
      for (const side of /** @type {const} */ (["customerp", "chargebee"])) {
        const id = link[side];
        if (id) retry.set(`${side}:${id}`, { side, id, reason, attempts: (attempts.get(`${side}:${id}`) ?? 0) + 1 });
      }
    };
    // Ambiguous records are read again every run (a person may fix an e-mail); records held by a
    // person's decision (unlinked by hand, left over from a link) wait for the next decision.
    for (const [id, why] of held.customerp) if (why.startsWith("ambiguous") || why === "match failed" || why.startsWith("waiting")) later({ customerp: id, chargebee: null }, why);
    for (const [id, why] of held.chargebee) {
      if (why.startsWith("ambiguous") || why === "match failed" || why.startsWith("waiting")) later({ customerp: null, chargebee: id }, why);
      else if (why.startsWith("Chargebee generated order")) {
        const item = { run, kind: /** @type {const} */ ("manual"), flow: f.id, customerp: null, chargebee: id, message: why };
        await this.see(ctx, item);
        await this.store.logOnce({ ...item, kind: "warning" });
      }
    }
    stats.held += held.customerp.size + held.chargebee.size;
    for (const [id, invoice] of batch.waits) later({ customerp: id, chargebee: null }, await waitForOrder(this, f, stats, ctx, id, invoice));

    const stop = await this.guardCheck(f, planned, stats, ctx);
    /** @type {{ customerp: Set<string>, chargebee: Set<string> }} the records whose pairs were planned cleanly */
    const clean = { customerp: new Set(), chargebee: new Set() };
    if (!stop) {
      for (const { work: w, result: r, drift, dropped } of planned) {
        const { input, stored } = w;
        const ids = { customerp: input.customerp?.id != null ? String(input.customerp.id) : null, chargebee: input.chargebee?.id ?? null };
        if (!r.ok) {
          stats.errors++;
          await this.logError(ctx, f.id, ids.customerp, ids.chargebee, r.error, "not planned (fix the record; it is planned again when it changes)");
          continue;
        }
        await this.reportDrift(ctx, f, ids, drift, dropped, stats);
        try {
          const why = await settle(this, f, input, stored, r.plan, stats, ctx, w.options);
          // A record whose Chargebee side a person makes by hand is read again every run, so the run after
          // the person acted matches it with what they made.
          const byHand = r.plan.chargebee.action === "manual" && !r.plan.link.chargebee ? "a manual step in Chargebee" : undefined;
          if (why || byHand) later(ids, why ?? /** @type {string} */ (byHand));
          else {
            if (ids.customerp) clean.customerp.add(ids.customerp);
            if (ids.chargebee) clean.chargebee.add(ids.chargebee);
          }
          if (!this.dryRun && !why) for (const ov of w.overrides) await this.overrideWritten(ctx, ov);
        } catch (e) {
          if (/** @type {any} */ (e)?.fatal || e instanceof UnreachableError) throw e;
          stats.errors++;
          await this.logError(ctx, f.id, ids.customerp, ids.chargebee, e, "failed; retried next run");
          later(ids, e instanceof Error ? e.message : String(e));
        }
        stats.written++;
        progress("write");
      }
    } else {
      // Nothing of this flow is written: read again next run, from the same cursors.
      for (const { work: w } of planned) later({ customerp: w.input.customerp ? String(w.input.customerp.id) : null, chargebee: w.input.chargebee?.id ?? null }, "stopped by the guard");
    }
    // Pairs planned without error or wait close the inbox items whose cause is gone.
    if (!stop) {
      await this.inbox.closeGone(f.id, run, clean, ctx.seen, SELF_CLOSING);
      await this.inbox.closeGone(f.id, run, batch.readIds, ctx.seen, ["ambiguous"]);
    }
    if (o.saveCursors && !stop) await this.store.finishFlow(f.id, batch.cursors, [...retry.values()]);
    else if (o.saveCursors) await this.store.finishFlow(f.id, [], [...batch.pending, ...retry.values()]);
    else await this.store.settlePending(f.id, [...(o.given?.customerp ?? []).map((id) => `customerp:${id}`), ...(o.given?.chargebee ?? []).map((id) => `chargebee:${id}`)], [...retry.values()]);
    return stats;
  }

  /**
   * The guard: above `max` destructive actions *and* above `percent` of the flow's linked pairs, the
   * flow writes nothing and an inbox item holds the counts and ten examples, unless a person
   * confirmed that item (then this run goes through, once).
   * @param {FlowSpec} f @param {ReturnType<Sync["planAll"]>} planned @param {FlowStats} stats @param {RunContext} ctx
   */
  async guardCheck(f, planned, stats, ctx) {
    /** @type {Record<string, number>} */
    const counts = {};
    /** @type {{ customerpId: string | null, chargebeeId: string | null, what: string }[]} */
    const examples = [];
    for (const { work: w, result: r } of planned) {
      if (!r.ok) continue;
      for (const d of destructiveActions(r.plan, w.stored)) {
        counts[d.system] = (counts[d.system] ?? 0) + 1;
        if (examples.length < 10) examples.push({ customerpId: r.plan.link.customerp ?? w.stored.customerp, chargebeeId: r.plan.link.chargebee ?? w.stored.chargebee, what: `${d.system}: ${d.what}` });
      }
    }
    const linked = await this.store.linkCount(f.id);
    const worst = Math.max(0, ...Object.values(counts));
    const { max, percent } = this.guard;
    if (!(worst > max && worst > (percent / 100) * linked)) return false;
    const cause = { kind: /** @type {const} */ ("guard"), flow: f.id, customerp: null, chargebee: null };
    const existing = await this.inbox.byCause(`guard|${f.id}|||`);
    if (existing?.state === "resolved" && existing.resolution?.startsWith("confirmed") && !existing.resolution.includes("used")) {
      if (!this.dryRun) await this.inbox.settle(existing.id, "resolved", `${existing.resolution}; used in run ${ctx.run}`);
      return false;
    }
    const what = Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(", ");
    const message = `the guard stopped ${f.id}: it planned ${what} destructive actions, above guard.max ${max} and ${percent}% of its ${linked} linked pairs; nothing of this flow was written. Check the examples, then \`confirm\` this item to let the next run go through once.`;
    const item = await this.see(ctx, { ...cause, run: ctx.run, message, detail: { counts, linked, max, percent, examples } });
    if (existing && existing.state !== "open") await this.inbox.settle(item.id, "open", "");
    await this.store.log({ run: ctx.run, flow: f.id, kind: "guard", message, detail: { counts, linked, examples } });
    stats.guard = { counts, linked, item: item.id };
    return true;
  }

  /**
   * @param {RunContext} ctx @param {FlowSpec} f @param {Link} ids @param {import("customerp-chargebee").Conflict[]} drift
   * @param {{ side: string, properties: string[] } | null} dropped @param {FlowStats} stats
   */
  async reportDrift(ctx, f, ids, drift, dropped, stats) {
    // One item per pair and property whose sides differ with no plan to bring them together: first
    // seen as a change a read-only side dropped, later (with --full) as drift.
    for (const c of drift) {
      stats.drift++;
      const ro = /** @type {string[] | undefined} */ (this.optionsOf(f.id).readOnly)?.length;
      const fix = ro ? "a side is read-only for this flow" : this.repair ? `repaired: ${c.winner} wins (${c.rule})` : "run with --full --repair to bring them together";
      await this.see(ctx, { run: ctx.run, kind: "drift", flow: f.id, ...ids, property: c.property, key: c.property,
        message: `${c.property} differs: Customerp ${JSON.stringify(c.customerp)}, Chargebee ${JSON.stringify(c.chargebee)}, and neither changed since the last sync, so no plan brings them together; ${fix}`, detail: c });
    }
    for (const property of dropped?.properties ?? []) {
      const side = /** @type {{ side: string }} */ (dropped).side;
      const other = side === "customerp" ? "Chargebee" : "Customerp";
      const ro = side === "customerp" ? "Customerp" : "Chargebee";
      const message = `${property} changed in ${other}, but ${ro} is read-only for this flow: not copied (the last synced state takes ${other}'s value; run --full --repair when the flow is two-way again)`;
      if ((await this.see(ctx, { run: ctx.run, kind: "drift", flow: f.id, ...ids, property, key: property, message, detail: { readOnly: side, property } })).fresh) {
        await this.store.log({ run: ctx.run, flow: f.id, kind: "warning", ...ids, property, message: `read_only: ${message}`, detail: { readOnly: side, property } });
      }
    }
  }

  /** A conflict override was written: the item and the run log say so, and the override goes. @param {RunContext} ctx @param {{ item: number, property: string, side: string }} ov */
  async overrideWritten(ctx, ov) {
    await this.store.dropOverride(ov.item);
    const item = await this.inbox.get(ov.item);
    if (!item) return;
    await this.inbox.settle(ov.item, "resolved", `overridden: ${ov.side}'s value kept, written in run ${ctx.run}`);
    await this.store.log({ run: ctx.run, flow: item.flow ?? undefined, kind: "override", customerp: item.customerpId, chargebee: item.chargebeeId, property: ov.property,
      message: `${ov.property}: a person kept ${ov.side}'s value (inbox item ${ov.item}); written to both sides`, detail: ov });
  }

  /** @param {RunContext} ctx @param {string} flow @param {string | null} cp @param {string | null} cb @param {unknown} e @param {string} what */
  async logError(ctx, flow, cp, cb, e, what) {
    const err = /** @type {any} */ (e);
    const code = err?.code ?? err?.apiErrorCode;
    const message = `${what}: ${err?.name ?? "Error"}${code ? ` ${code}` : ""}${err?.path ? ` at ${err.path}` : ""}: ${err?.message ?? String(e)}`;
    const detail = { code, path: err?.path, recordId: err?.recordId };
    await this.store.log({ run: ctx.run, flow, kind: "error", customerp: cp, chargebee: cb, message, detail });
    await this.see(ctx, { run: ctx.run, kind: "error", flow, customerp: cp, chargebee: cb, key: cp || cb ? "" : shortHash(what), message, detail });
  }
}

/** @template {Record<string, number>} T @param {T} a @param {T} b @returns {T} */
function diff(a, b) {
  return /** @type {T} */ (Object.fromEntries(Object.keys(a).map((k) => [k, a[k] - (b[k] ?? 0)])));
}
