// The host's loop (api.md): per flow, in dependency order, read what changed on both sides, match
// unlinked records, plan the pairs in pages with planBatch, execute each plan (Chargebee requests in
// order, then the Customerp change, re-reading the targets first), and store link and base together.
import { match, planBatch } from "customerp-chargebee";
import { FLOWS, flowAvailable } from "./flows.mjs";
import { chargebeeResources } from "./clients/chargebee-resources.mjs";
import { settle } from "./pair.mjs";
import { progressLine } from "./report.mjs";

/** @typedef {Record<string, any>} Json */
/** @typedef {import("customerp-chargebee").Plan} Plan */
/** @typedef {import("./flows.mjs").FlowSpec} FlowSpec */
/** @typedef {import("./store.mjs").Link} Link */
/** @typedef {{ customerp: Json | null, chargebee: Json | null, base: Json | null, links: Json }} Input */

const PAGE = 100; // pairs per planBatch call

export function newStats() {
  return {
    read: { customerp: 0, chargebee: 0 }, matched: 0, ambiguous: 0,
    created: { customerp: 0, chargebee: 0 }, updated: { customerp: 0, chargebee: 0 }, deleted: { customerp: 0, chargebee: 0 },
    conflicts: 0, warnings: 0, waiting: 0, manual: 0, held: 0, replanned: 0, errors: 0,
  };
}
/** @typedef {ReturnType<typeof newStats>} FlowStats */

/**
 * @typedef {object} SyncOptions
 * @property {import("./clients/customerp.mjs").CustomerpClient} customerp
 * @property {import("./clients/chargebee.mjs").ChargebeeClient} chargebee
 * @property {import("./store.mjs").Store} store
 * @property {import("customerp-chargebee").Options} [options] passed to match / plan / planBatch
 * @property {(line: string) => void} [out] progress lines
 * @property {boolean} [full] ignore the cursors: read everything
 * @property {string[]} [only] run only these flows
 * @property {import("./flows.mjs").FlowSpec[]} [flows] the flows in dependency order (default FLOWS)
 * @property {{ afterChargebeeRequest?: (e: { flow: string, plan: Plan, index: number }) => void | Promise<void>,
 *   afterChargebeeWrite?: (e: { flow: string, plan: Plan }) => void | Promise<void> }} [hooks] test seams: a hook
 *   that throws an error with `fatal: true` stops the run there, as a crash would
 */

export class Sync {
  /** @param {SyncOptions} o */
  constructor(o) {
    this.cp = o.customerp;
    this.cb = o.chargebee;
    this.store = o.store;
    this.options = o.options ?? {};
    this.out = o.out ?? (() => {});
    this.full = o.full ?? false;
    this.only = o.only;
    this.flows = o.flows ?? FLOWS;
    this.hooks = o.hooks ?? {};
    this.readers = chargebeeResources(this.cb, this.store);
  }

  /** One full pass over every flow. Returns the run's summary. */
  async run() {
    const run = this.store.beginRun();
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
    for (const f of active) batches.set(f.id, await this.collect(f, run, reads));
    for (const f of active) {
      const started = Date.now();
      const stats = await this.syncFlow(f, batches.get(f.id), run);
      flows[f.id] = stats;
      this.out(progressLine(f.id, stats, Date.now() - started));
    }
    const after = this.requestCounts();
    const summary = {
      run,
      flows,
      requests: {
        customerp: diff(after.customerp, before.customerp),
        chargebee: diff(after.chargebee, before.chargebee),
      },
    };
    this.store.finishRun(run, summary);
    return summary;
  }

  /**
   * Syncs just these records (named by webhooks), per flow in dependency order, with the same reads by
   * id, matching, plans, store and log as `run`. Cursors stay where they are: the next `run` still reads
   * everything changed since the last one, so a record whose notification was lost is caught there.
   * @param {Record<string, { customerp?: string[], chargebee?: string[] }>} touched ids by flow id
   */
  async syncRecords(touched) {
    const run = this.store.beginRun();
    const before = this.requestCounts();
    /** @type {Record<string, FlowStats>} */
    const flows = {};
    const active = this.flows.filter((f) => touched[f.id] && (!this.only || this.only.includes(f.id)) && flowAvailable(f.id));
    const batches = new Map();
    for (const f of active) batches.set(f.id, await this.collect(f, run, new Map(), touched[f.id]));
    for (const f of active) flows[f.id] = await this.syncFlow(f, batches.get(f.id), run);
    const after = this.requestCounts();
    const summary = { run, trigger: "records", flows, requests: { customerp: diff(after.customerp, before.customerp), chargebee: diff(after.chargebee, before.chargebee) } };
    this.store.finishRun(run, summary);
    return summary;
  }

  requestCounts() {
    return { customerp: { ...this.cp.counters }, chargebee: { ...this.cb.counters } };
  }

  /**
   * Phase 1 of a flow: read what changed (and what waits for a retry), then match unlinked records.
   * With `ids`, those records are read instead of the changes, and the cursors are left alone.
   * @param {FlowSpec} f @param {number} run @param {Map<string, Promise<any>>} reads
   * @param {{ customerp?: string[], chargebee?: string[] }} [ids]
   */
  async collect(f, run, reads, ids) {
    const stats = newStats();
    const reader = this.readers[f.chargebee];
    const cpCursor = this.full ? null : this.store.cursor(f.id, "customerp", f.customerp);
    /** @type {Record<string, string | null>} */
    const cbCursors = Object.fromEntries(reader.cursorTypes.map((t) => [t, this.full ? null : this.store.cursor(f.id, "chargebee", t)]));
    const once = (/** @type {string} */ key, /** @type {() => Promise<any>} */ read) => {
      if (!reads.has(key)) reads.set(key, read());
      return /** @type {Promise<any>} */ (reads.get(key));
    };
    const cpRead = ids ? { records: await this.cp.getMany(f.customerp, ids.customerp ?? []), cursor: null }
      : await once(`cp ${f.customerp} ${cpCursor}`, () => this.cp.changes(f.customerp, cpCursor));
    const cbRead = ids ? { records: await reader.byIds(ids.chargebee ?? []), cursors: {} }
      : await once(`cb ${f.chargebee} ${JSON.stringify(cbCursors)}`, () => reader.changed(cbCursors));
    /** @type {Map<string, Json>} */
    const cpRecs = new Map(cpRead.records.map((/** @type {Json} */ r) => [String(r.id), r]));
    /** @type {Map<string, Json>} */
    const cbRecs = new Map(cbRead.records.map((/** @type {Json} */ r) => [r.id, r]));
    const pending = this.store.pending(f.id);
    const again = (/** @type {string} */ side, /** @type {Map<string, Json>} */ have) =>
      pending.filter((p) => p.side === side && !have.has(p.id)).map((p) => p.id);
    for (const r of await this.cp.getMany(f.customerp, again("customerp", cpRecs))) cpRecs.set(String(r.id), r);
    for (const r of await reader.byIds(again("chargebee", cbRecs))) cbRecs.set(r.id, r);
    stats.read = { customerp: cpRecs.size, chargebee: cbRecs.size };

    const held = { customerp: new Set(), chargebee: new Set() };
    const unlinkedCp = [...cpRecs.values()].filter((r) => !this.store.linkByCustomerp(f.id, String(r.id)));
    const unlinkedCb = [...cbRecs.values()].filter((r) => !this.linkedInResource(f, r.id));
    if (unlinkedCp.length > 0 && unlinkedCb.length > 0) {
      try {
        const m = match(f.id, unlinkedCp, unlinkedCb, this.options);
        this.store.saveMatches(f.id, m.links);
        stats.matched = m.links.length;
        for (const a of m.ambiguous) {
          stats.ambiguous++;
          a.customerp.forEach((id) => held.customerp.add(id));
          a.chargebee.forEach((id) => held.chargebee.add(id));
          this.store.log({ run, flow: f.id, kind: "ambiguous", customerp: a.customerp.join(","), chargebee: a.chargebee.join(","),
            message: `ambiguous match by ${a.by}: Customerp ${a.customerp.join(", ")} and Chargebee ${a.chargebee.join(", ")}; not linked and not copied until a person resolves it`, detail: a });
        }
      } catch (e) {
        // No match, no copy: copying unmatched records now could make twins of records that would match.
        stats.errors++;
        unlinkedCp.forEach((r) => held.customerp.add(String(r.id)));
        unlinkedCb.forEach((r) => held.chargebee.add(r.id));
        this.logError(run, f.id, null, null, e, "match failed; unlinked records wait for the next run");
      }
    }
    const cursors = ids ? [] : [
      { system: "customerp", type: f.customerp, value: cpRead.cursor },
      ...reader.cursorTypes.map((t) => ({ system: "chargebee", type: t, value: /** @type {Record<string, string | null>} */ (cbRead.cursors)[t] })),
    ];
    return { stats, cpRecs, cbRecs, held, cursors, pending };
  }

  /** Whether a Chargebee record is linked in this flow or in another flow of the same resource. @param {FlowSpec} f @param {string} id */
  linkedInResource(f, id) {
    const same = FLOWS.filter((g) => g.chargebee === f.chargebee).map((g) => g.id);
    return this.store.flowsLinkingChargebee(id).some((fl) => same.includes(/** @type {any} */ (fl)));
  }

  /**
   * Phase 2 of a flow: plan every touched pair and execute the plans.
   * @param {FlowSpec} f @param {Awaited<ReturnType<Sync["collect"]>>} batch @param {number} run
   */
  async syncFlow(f, batch, run) {
    const { stats, cpRecs, cbRecs, held } = batch;
    /** @type {Map<string, { link: Link, base: string | null }>} */
    const pairs = new Map();
    for (const id of cpRecs.keys()) {
      if (held.customerp.has(id)) continue;
      const l = this.store.linkByCustomerp(f.id, id);
      pairs.set(`cp:${id}`, l ? { link: { customerp: id, chargebee: l.chargebee_id }, base: l.base } : { link: { customerp: id, chargebee: null }, base: null });
    }
    for (const id of cbRecs.keys()) {
      if (held.chargebee.has(id)) continue;
      const l = this.store.linkByChargebee(f.id, id);
      if (l) pairs.set(`cp:${l.customerp_id}`, { link: { customerp: l.customerp_id, chargebee: id }, base: l.base });
      else if (!this.linkedInResource(f, id)) pairs.set(`cb:${id}`, { link: { customerp: null, chargebee: id }, base: null });
    }
    const needCp = [...pairs.values()].map((p) => p.link.customerp).filter((id) => id !== null && !cpRecs.has(id));
    const needCb = [...pairs.values()].map((p) => p.link.chargebee).filter((id) => id !== null && !cbRecs.has(id));
    for (const r of await this.cp.getMany(f.customerp, /** @type {string[]} */ (needCp))) cpRecs.set(String(r.id), r);
    for (const r of await this.readers[f.chargebee].byIds(/** @type {string[]} */ (needCb))) cbRecs.set(r.id, r);

    const links = Object.fromEntries(f.parents.map((p) => [p, this.store.linksOf(p)]));
    const work = [...pairs.values()].map((p) => ({
      // the link as stored: both ids, or none for a record without a partner yet
      stored: p.link.customerp && p.link.chargebee ? p.link : { customerp: null, chargebee: null },
      input: /** @type {Input} */ ({
        customerp: p.link.customerp ? cpRecs.get(p.link.customerp) ?? null : null,
        chargebee: p.link.chargebee ? cbRecs.get(p.link.chargebee) ?? null : null,
        base: p.base ? JSON.parse(p.base) : null,
        links,
      }),
    }));
    /** @type {Map<string, { side: string, id: string, reason: string, attempts: number }>} */
    const retry = new Map();
    const attempts = new Map(batch.pending.map((p) => [`${p.side}:${p.id}`, p.attempts]));
    const later = (/** @type {Link} */ link, /** @type {string} */ reason) => {
      for (const side of /** @type {const} */ (["customerp", "chargebee"])) {
        const id = link[side];
        if (id) retry.set(`${side}:${id}`, { side, id, reason, attempts: (attempts.get(`${side}:${id}`) ?? 0) + 1 });
      }
    };
    held.customerp.forEach((id) => later({ customerp: id, chargebee: null }, "ambiguous or unmatched"));
    held.chargebee.forEach((id) => later({ customerp: null, chargebee: id }, "ambiguous or unmatched"));

    for (let i = 0; i < work.length; i += PAGE) {
      const page = work.slice(i, i + PAGE);
      const results = planBatch(f.id, page.map((w) => w.input), this.options);
      for (const [j, r] of results.entries()) {
        const { input, stored } = page[j];
        const ids = { customerp: input.customerp?.id != null ? String(input.customerp.id) : null, chargebee: input.chargebee?.id ?? null };
        if (!r.ok) {
          stats.errors++;
          this.logError(run, f.id, ids.customerp, ids.chargebee, r.error, "not planned (fix the record; it is planned again when it changes)");
          continue;
        }
        try {
          const why = await settle(this, f, input, stored, r.plan, stats, run);
          if (why) later(ids, why);
        } catch (e) {
          if (/** @type {any} */ (e)?.fatal) throw e;
          stats.errors++;
          this.logError(run, f.id, ids.customerp, ids.chargebee, e, "failed; retried next run");
          later(ids, e instanceof Error ? e.message : String(e));
        }
      }
    }
    this.store.finishFlow(f.id, batch.cursors, [...retry.values()]);
    return stats;
  }

  /** @param {number} run @param {string} flow @param {string | null} cp @param {string | null} cb @param {unknown} e @param {string} what */
  logError(run, flow, cp, cb, e, what) {
    const err = /** @type {any} */ (e);
    const code = err?.code ?? err?.apiErrorCode;
    const message = `${what}: ${err?.name ?? "Error"}${code ? ` ${code}` : ""}${err?.path ? ` at ${err.path}` : ""}: ${err?.message ?? String(e)}`;
    this.store.log({ run, flow, kind: "error", customerp: cp, chargebee: cb, message, detail: { code, path: err?.path, recordId: err?.recordId } });
  }
}

/** @template {Record<string, number>} T @param {T} a @param {T} b @returns {T} */
function diff(a, b) {
  return /** @type {T} */ (Object.fromEntries(Object.keys(a).map((k) => [k, a[k] - (b[k] ?? 0)])));
}
