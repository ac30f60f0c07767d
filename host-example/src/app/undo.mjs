// Undo: a run's writes taken back, as plans like any other. The journal says what the run wrote (its
// rows with outcome ok, each with the plugin's PlanChange list); the plugin's planUndo decides the
// requests for each pair from the records as they are now: a value goes back on the side the run
// wrote it, only where that side still holds what the run wrote (the others are `skipped`, reported
// in the inbox with both values and not written); a record the run created is released as a safe
// delete releases one (never a hard delete) and its link ends, after the pair's other record is
// held, so the next sync does not copy it again. Every request goes through the one write path
// (pair.mjs settle: rate tokens, check, re-plan with planUndo when the target moved, send with the
// key, journal as `undo <action>` with `undo_of`), and the undo's base is stored with the link, so
// the next sync neither copies the old values back nor reports them as conflicts. The guard's limits
// apply per flow to the destructive actions an undo plans. Running an undo again writes nothing:
// values already back are left alone (the plugin sees them back), and a record already released is
// not released twice.
import { planUndo } from "customerp-chargebee";
import { reread, settle } from "./pair.mjs";
import { newStats } from "./loop.mjs";
import { Journal } from "./journal.mjs";
import { destructiveActions, hasWrites, shortHash } from "./plans.mjs";
import { UnreachableError } from "./errors.mjs";
import { FencedError } from "./store/store.mjs";

/** @typedef {Record<string, any>} Json */
/** @typedef {"customerp" | "chargebee"} Side */
/** @typedef {import("customerp-chargebee").Plan} Plan */
/** @typedef {import("customerp-chargebee").UndoPlan} UndoPlan */
/** @typedef {import("customerp-chargebee").UndoProperty} UndoProperty */
/** @typedef {import("customerp-chargebee").PlanChange} PlanChange */
/** @typedef {Awaited<ReturnType<Journal["ofRun"]>>[number]} Row */
/** @typedef {import("./flows.mjs").FlowSpec} FlowSpec */
/** @typedef {import("./store/store.mjs").Link} Link */
/** @typedef {import("./loop.mjs").Sync} Sync */
/** @typedef {import("./loop.mjs").RunContext} RunContext */
/** @typedef {import("./loop.mjs").FlowStats} FlowStats */
/** @typedef {import("./loop.mjs").Input} Input */

/**
 * A pair a run wrote, as its journal rows tell it: the ids it had (a create's row names the id
 * Customerp gave), the sides on which the run created the record, and the values it wrote elsewhere.
 * @typedef {{ flow: string, customerp: string | null, chargebee: string | null, rows: Row[], created: Side[], properties: UndoProperty[] }} Touched
 */

/**
 * One step of a pair's undo: put values back, or release the record the run created on one side, each
 * planned from the records as they are then.
 * @typedef {{ kind: "restore", properties: UndoProperty[] } | { kind: "release", side: Side }} Step
 */

/**
 * A value the undo did not put back, its inbox item and why.
 * @typedef {{ flow: string, customerp: string | null, chargebee: string | null, side: Side, property: string, chargebee_attribute: string,
 *   line?: { customerp: string | null, chargebee: string | null }, before: unknown, wrote: unknown, now: unknown, item: number | null }} Skip
 */

/**
 * What an undo did (or, in a dry run, would do).
 * @typedef {object} UndoReport
 * @property {number} undoOf the run taken back
 * @property {{ flow: string, customerp: string | null, chargebee: string | null, side: Side, property: string, line?: unknown, from: unknown, to: unknown }[]} values
 *   values put back: from what the run wrote (now) to what was there before it
 * @property {{ flow: string, customerp: string | null, chargebee: string | null, side: Side, already: boolean, held: { side: Side, id: string }[] }[]} released
 *   records the run created, released (`already`: released by an undo before this one; the link ended now)
 * @property {Skip[]} skipped
 * @property {{ flow: string, customerp: string | null, chargebee: string | null, message: string, item: number | null }[]} notes what could not be undone, and why
 * @property {{ flow: string, counts: Record<string, number>, linked: number, item: number }[]} guard flows the guard stopped
 */

/** Customerp or Chargebee, for messages. @param {Side} s */
const name = (s) => (s === "customerp" ? "Customerp" : "Chargebee");
/** @param {unknown} v */
const show = (v) => (v === null || v === undefined ? "(empty)" : JSON.stringify(v));
/** The same value, as JSON compares it. @param {unknown} a @param {unknown} b */
const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
/** A change's row: side, property, attribute and line. @param {{ side: string, property: string, chargebee?: string, line?: unknown }} c */
const rowKey = (c) => `${c.side}|${c.property}|${c.chargebee ?? ""}|${JSON.stringify(c.line ?? null)}`;

/**
 * The pairs a run's rows wrote, per flow: rows that share a Customerp or a Chargebee id are one pair.
 * @param {Row[]} rows the run's rows with outcome ok, in the order they were written
 * @returns {Touched[]}
 */
export function pairsOf(rows) {
  /** @type {Map<string, Row[]>} */
  const groups = new Map();
  /** @type {Map<string, string>} id key → its group */
  const owner = new Map();
  for (const r of rows) {
    const keys = [r.customerp ? `${r.flow}|cp|${r.customerp}` : null, r.chargebee ? `${r.flow}|cb|${r.chargebee}` : null].filter((k) => k !== null);
    const found = [...new Set(keys.map((k) => owner.get(/** @type {string} */ (k))).filter((g) => g !== undefined))];
    const into = found[0] ?? `g${groups.size}|${r.id}`;
    if (!groups.has(into)) groups.set(into, []);
    for (const other of found.slice(1)) {
      // two groups meet in this row (a relink): one pair
      for (const x of /** @type {Row[]} */ (groups.get(other))) /** @type {Row[]} */ (groups.get(into)).push(x);
      groups.delete(other);
      for (const [k, g] of owner) if (g === other) owner.set(k, into);
    }
    /** @type {Row[]} */ (groups.get(into)).push(r);
    for (const k of keys) owner.set(/** @type {string} */ (k), into);
  }
  return [...groups.values()].map((g) => {
    g.sort((a, b) => a.id - b.id);
    const last = (/** @type {"customerp" | "chargebee"} */ side) => g.map((r) => r[side]).filter((x) => x != null).at(-1) ?? null;
    const created = /** @type {Side[]} */ ([...new Set(g.filter((r) => r.action === "create").map((r) => r.side))]);
    /** @type {Map<string, UndoProperty>} the first value before and the last one written, per row and line */
    const byRow = new Map();
    for (const r of g) {
      if (created.includes(/** @type {Side} */ (r.side))) continue; // a record the run made is released, not written back
      for (const c of r.changes ?? []) {
        const k = rowKey(c);
        const had = byRow.get(k);
        if (had) had.after = c.to;
        else byRow.set(k, { side: c.side, property: c.property, chargebee: c.chargebee, ...(c.line ? { line: c.line } : {}), before: c.from, after: c.to });
      }
    }
    // A value the run wrote and then wrote back (A → B → A) is no change of the run.
    const properties = [...byRow.values()].filter((p) => !same(p.before, p.after));
    return { flow: g[0].flow, customerp: last("customerp"), chargebee: last("chargebee"), rows: g, created, properties };
  });
}

/**
 * The steps of a pair's undo: a pair whose record the run created is released (its link ends; what the
 * run wrote to its other record, the tag naming the new one, goes with it); any other pair has its
 * values put back. @param {Touched} t @returns {Step[]}
 */
export function stepsOf(t) {
  if (t.created.length) return t.created.map((side) => ({ kind: /** @type {const} */ ("release"), side }));
  return t.properties.length ? [{ kind: "restore", properties: t.properties }] : [];
}

/** Whether planUndo refused a release because that side's record is not live any more (deleted since). @param {unknown} e */
const notLive = (e) => /** @type {any} */ (e)?.code === "invalid_value" && /** @type {any} */ (e)?.path === "/undo/release";

/**
 * A pair ready to undo: its records now, its link and base, and each step's first plan (made now, from
 * the same records, so the guard can count the flow's releases before anything is written).
 * @typedef {{ t: Touched, steps: Step[], stored: Link, input: Input,
 *   plans: ({ plan: UndoPlan } | { already: true } | { error: any })[] }} Ready
 */

export class Undoer {
  /**
   * @param {Sync} sync the sync whose store, clients, options, guard and write path the undo uses (dryRun: a store's copy)
   * @param {RunContext} ctx the undo's own run; `ctx.undoOf` the run it takes back
   */
  constructor(sync, ctx) {
    this.s = sync;
    this.ctx = ctx;
    this.undoOf = /** @type {number} */ (ctx.undoOf);
    /** @type {UndoReport} */
    this.report = { undoOf: this.undoOf, values: [], released: [], skipped: [], notes: [], guard: [] };
    /** Records an undo of this run released before (its journal rows): `flow|side|id`. @type {Set<string>} */
    this.releasedRows = new Set();
  }

  /**
   * What undos of this run already wrote, per flow: a record they released is not released again. A
   * record the run created is written by its undo only to release it (values go back on the other side).
   * @param {FlowSpec} f
   */
  async learn(f) {
    for (const r of await new Journal(this.s.store).undoneOf(this.undoOf, { flow: f.id })) {
      if (r.outcome !== "ok" || r.run === this.ctx.run) continue;
      const id = r.side === "customerp" ? r.customerp : r.chargebee;
      if (id) this.releasedRows.add(`${f.id}|${r.side}|${id}`);
    }
  }

  /** Whether an undo of this run released that side of the pair before. @param {FlowSpec} f @param {Touched} t @param {Side} side */
  releasedBefore(f, t, side) {
    const id = side === "customerp" ? t.customerp : t.chargebee;
    return id !== null && this.releasedRows.has(`${f.id}|${side}|${id}`);
  }

  /** Plans one step from `input`. @param {FlowSpec} f @param {Step} step @param {Input} input @returns {UndoPlan} */
  planStep(f, step, input) {
    const undo = step.kind === "restore" ? { properties: step.properties } : { release: step.side };
    return planUndo(/** @type {any} */ (f.id), /** @type {any} */ (input), undo, this.s.optionsOf(f.id));
  }

  /**
   * The pairs of one flow, read a page at a time (both sides by ids, the parent links they name) and planned.
   * @param {FlowSpec} f @param {Touched[]} touched @returns {Promise<Ready[]>}
   */
  async prepare(f, touched) {
    const s = this.s;
    /** @type {Ready[]} */
    const out = [];
    for (let i = 0; i < touched.length; i += s.pageSize) {
      const page = touched.slice(i, i + s.pageSize);
      const byCp = await s.store.linksBy(f.id, "customerp", page.map((t) => t.customerp).filter((x) => x !== null));
      const byCb = await s.store.linksBy(f.id, "chargebee", page.map((t) => t.chargebee).filter((x) => x !== null));
      const links = page.map((t) => (t.customerp ? byCp.get(t.customerp) : undefined) ?? (t.chargebee ? byCb.get(t.chargebee) : undefined));
      const ids = page.map((t, k) => ({ customerp: links[k]?.customerp_id ?? t.customerp, chargebee: links[k]?.chargebee_id ?? t.chargebee }));
      const cpIds = [...new Set(ids.map((x) => x.customerp).filter((x) => x !== null))];
      const cbIds = [...new Set(ids.map((x) => x.chargebee).filter((x) => x !== null))];
      const cps = new Map((cpIds.length ? await s.cp.getMany(f.customerp, cpIds) : []).map((r) => [String(r.id), r]));
      const cbs = new Map((cbIds.length ? await s.readers[f.chargebee].byIds(cbIds) : []).map((r) => [String(r.id), r]));
      const records = ids.map((x) => ({ customerp: x.customerp ? cps.get(x.customerp) ?? null : null, chargebee: x.chargebee ? cbs.get(x.chargebee) ?? null : null }));
      const parents = await s.parentLinks(f, records);
      page.forEach((t, k) => {
        const l = links[k];
        const stored = l ? { customerp: l.customerp_id, chargebee: l.chargebee_id } : { customerp: null, chargebee: null };
        const input = { ...records[k], base: l?.base ? JSON.parse(l.base) : null, links: parents };
        const steps = stepsOf(t);
        const plans = steps.map((step) => {
          if (step.kind === "release" && this.releasedBefore(f, t, step.side)) return /** @type {const} */ ({ already: true });
          try {
            return { plan: this.planStep(f, step, input) };
          } catch (e) {
            return step.kind === "release" && notLive(e) ? /** @type {const} */ ({ already: true }) : { error: e };
          }
        });
        out.push({ t, steps, stored, input, plans });
      });
    }
    return out;
  }

  /**
   * The guard's rule, for an undo: above `guard.max` and `guard.percent` % of the flow's linked pairs, the
   * destructive actions it plans (releases, the link ends) stop that flow's undo; a `guard` item of its own
   * (one per run undone and flow) waits for `confirm`, and the undo run again goes through once.
   * @param {FlowSpec} f @param {Ready[]} ready @param {FlowStats} stats @returns {Promise<boolean>} whether it stops
   */
  async guardStops(f, ready, stats) {
    const s = this.s;
    /** @type {Record<string, number>} */
    const counts = {};
    /** @type {{ customerpId: string | null, chargebeeId: string | null, what: string }[]} */
    const examples = [];
    for (const r of ready) {
      for (const [n, p] of r.plans.entries()) {
        if (!("plan" in p)) continue;
        const found = destructiveActions(p.plan, r.stored);
        // A release lets go of a record on its side, whatever form the plugin gives it (tag, deactivate, cancel, archive).
        const step = r.steps[n];
        if (step.kind === "release" && hasWrites(p.plan) && !found.some((d) => d.system === step.side)) {
          found.push({ system: step.side, what: `release ${step.side === "customerp" ? r.t.customerp : r.t.chargebee}` });
        }
        for (const d of found) {
          counts[d.system] = (counts[d.system] ?? 0) + 1;
          if (examples.length < 10) examples.push({ customerpId: r.t.customerp, chargebeeId: r.t.chargebee, what: `${d.system}: ${d.what}` });
        }
      }
    }
    const linked = await s.store.linkCount(f.id);
    const worst = Math.max(0, ...Object.values(counts));
    const { max, percent } = s.guard;
    if (!(worst > max && worst > (percent / 100) * linked)) return false;
    const key = `undo of run ${this.undoOf}`;
    const existing = await s.inbox.byCause(`guard|${f.id}|||${key}`);
    if (existing?.state === "resolved" && existing.resolution?.startsWith("confirmed") && !existing.resolution.includes("used")) {
      await s.inbox.settle(existing.id, "resolved", `${existing.resolution}; used in run ${this.ctx.run}`);
      return false;
    }
    const what = Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(", ");
    const message = `the guard stopped the undo of run ${this.undoOf} in ${f.id}: it planned ${what} destructive actions (records run ${this.undoOf} created, released; their links ended), above guard.max ${max} and ${percent}% of the flow's ${linked} linked pairs; nothing of this flow was written. Check the examples, then \`confirm\` this item and run the undo again.`;
    const item = await s.see(this.ctx, { run: this.ctx.run, kind: "guard", flow: f.id, key, message, detail: { counts, linked, max, percent, examples, undoOf: this.undoOf } });
    if (existing && existing.state !== "open") await s.inbox.settle(item.id, "open", "");
    await s.store.log({ run: this.ctx.run, flow: f.id, kind: "guard", message, detail: { counts, linked, examples, undoOf: this.undoOf } });
    stats.guard = { counts, linked, item: item.id };
    this.report.guard.push({ flow: f.id, counts, linked, item: item.id });
    return true;
  }

  /**
   * Undoes one pair, step by step, each through the write path. Errors of the pair are logged and
   * counted; a crash (an error with `fatal`), a system out of reach and a lost lease stop the undo.
   * @param {FlowSpec} f @param {Ready} r @param {FlowStats} stats
   */
  async pair(f, r, stats) {
    const s = this.s;
    const { t } = r;
    for (const [n, step] of r.steps.entries()) {
      try {
        let input = r.input;
        let stored = r.stored;
        let first = r.plans[n];
        if (n > 0) {
          // A later step plans from the records as the steps before left them.
          ({ input, stored } = await this.current(f, t));
          if (step.kind === "release" && this.releasedBefore(f, t, step.side)) first = { already: true };
          else try {
            first = { plan: this.planStep(f, step, input) };
          } catch (e) {
            first = step.kind === "release" && notLive(e) ? { already: true } : { error: e };
          }
        }
        if (step.kind === "restore" && (!stored.customerp || !stored.chargebee)) {
          // A record this undo releases (or an undo before it released) has its link end: its other values are moot.
          if (r.steps.some((x) => x.kind === "release")) continue;
          await this.note(f, t, `the values run ${this.undoOf} wrote to this pair are not put back: the pair is not linked now (its link ended after run ${this.undoOf}); nothing was written`);
          continue;
        }
        if ("error" in first) throw first.error;
        /** @type {{ side: Side, id: string }[]} */
        let held = [];
        if (step.kind === "release") held = await this.hold(f, t, step.side, stored);
        if ("already" in first) {
          // Released by an undo before this one (a crash after its request, or this undo run again): the
          // link ends now if it has not, and nothing is written.
          if (!s.dryRun && (stored.customerp || stored.chargebee)) await s.store.commitPair(f.id, stored, { customerp: null, chargebee: null }, null);
          if (step.kind === "release") this.report.released.push({ flow: f.id, customerp: t.customerp, chargebee: t.chargebee, side: step.side, already: true, held });
          continue;
        }
        /** @type {UndoPlan} the last plan made: its `skipped` are the values left as they are */
        let last = first.plan;
        const replan = (/** @type {Input} */ i) => (last = this.planStep(f, step, i));
        let why;
        try {
          why = await settle(s, f, input, stored, last, stats, this.ctx, s.optionsOf(f.id), replan);
        } catch (e) {
          if (step.kind === "release" && !/** @type {any} */ (e)?.fatal) await this.unhold(f, held);
          throw e;
        }
        if (step.kind === "release" && !why) this.report.released.push({ flow: f.id, customerp: t.customerp, chargebee: t.chargebee, side: step.side, already: false, held });
        if (s.dryRun && hasWrites(last)) {
          for (const c of (last.changes ?? []).filter((x) => x.reason === "undo")) this.report.values.push({ flow: f.id, customerp: t.customerp, chargebee: t.chargebee, side: c.side, property: c.property, ...(c.line ? { line: c.line } : {}), from: c.from, to: c.to });
        }
        if (step.kind === "restore") {
          for (const k of last.skipped ?? []) await this.skipped(f, t, step, k);
          // What the plugin leaves as it is and says why: a side read-only for the flow, a value Chargebee cannot empty.
          for (const w of last.warnings ?? []) if (w.code === "not_clearable" || w.code === "read_only") await this.note(f, t, w.message);
        }
        if (why) await this.note(f, t, `the undo of this pair is not finished: ${why}; run the undo again once that is settled`);
      } catch (e) {
        if (/** @type {any} */ (e)?.fatal || e instanceof UnreachableError || e instanceof FencedError) throw e;
        stats.errors++;
        await s.logError(this.ctx, f.id, t.customerp, t.chargebee, e, `the undo of run ${this.undoOf} failed for this pair; run the undo again`);
        this.report.notes.push({ flow: f.id, customerp: t.customerp, chargebee: t.chargebee, message: `failed: ${e instanceof Error ? e.message : String(e)}`, item: null });
        return;
      }
    }
  }

  /**
   * The pair's records and link now (the link as the store has it; a pair whose link ended is read by
   * the ids the journal names). @param {FlowSpec} f @param {Touched} t @returns {Promise<{ input: Input, stored: Link }>}
   */
  async current(f, t) {
    const s = this.s;
    const l = (t.customerp ? await s.store.linkByCustomerp(f.id, t.customerp) : undefined) ?? (t.chargebee ? await s.store.linkByChargebee(f.id, t.chargebee) : undefined);
    const ids = l ? { customerp: l.customerp_id, chargebee: l.chargebee_id } : { customerp: t.customerp, chargebee: t.chargebee };
    const records = await reread(s, f, ids, l?.base ? JSON.parse(l.base) : null, {});
    const links = await s.parentLinks(f, [records]);
    return { input: { ...records, links }, stored: l ? ids : { customerp: null, chargebee: null } };
  }

  /**
   * Before a release: the pair's records are held (and kept apart), so the next sync copies neither
   * across again; a hold on a record still linked does nothing until its link ends, so a crash after
   * the hold and before the release leaves nothing to clean up. Not in a dry run.
   * @param {FlowSpec} f @param {Touched} t @param {Side} side the side released @param {Link} stored
   * @returns {Promise<{ side: Side, id: string }[]>}
   */
  async hold(f, t, side, stored) {
    const cp = stored.customerp ?? t.customerp;
    const cb = stored.chargebee ?? t.chargebee;
    const other = side === "customerp" ? "chargebee" : "customerp";
    const releasedId = side === "customerp" ? cp : cb;
    const by = `the undo of run ${this.undoOf} (run ${this.ctx.run})`;
    /** @type {{ side: Side, id: string, reason: string }[]} */
    const holds = [];
    if (releasedId) holds.push({ side, id: releasedId, reason: `released by ${by}, which run ${this.undoOf} created: not copied across until linked again or retried with --create` });
    const survivor = other === "customerp" ? cp : cb;
    if (survivor) {
      holds.push({ side: other, id: survivor, reason: `${by} released its ${name(side)} copy ${releasedId ?? ""}: held, not copied across again until linked again or retried with --create` });
    }
    if (!this.s.dryRun) {
      await this.s.store.atomically(f.id, async (st) => {
        if (cp && cb) await st.keepApart(f.id, cp, cb, st.k);
        for (const h of holds) await st.addHold(f.id, h.side, h.id, h.reason, null, st.k);
      });
    }
    return holds.map(({ side: hs, id }) => ({ side: hs, id }));
  }

  /**
   * A release that failed (not a crash): the holds made for it go again while the pair is still linked.
   * @param {FlowSpec} f @param {{ side: Side, id: string }[]} held
   */
  async unhold(f, held) {
    const s = this.s;
    if (s.dryRun || held.length === 0) return;
    const still = await (held[0].side === "customerp" ? s.store.linkByCustomerp(f.id, held[0].id) : s.store.linkByChargebee(f.id, held[0].id));
    if (!still) return;
    for (const h of held) {
      await s.store.releaseHold(f.id, h.side, h.id);
      await s.store.bringTogether(f.id, h.side, h.id);
    }
  }

  /**
   * A value not put back: an `undo` item for a person with both values, and a line in the run log.
   * @param {FlowSpec} f @param {Touched} t @param {Extract<Step, { kind: "restore" }>} step @param {import("customerp-chargebee").UndoSkipped} k
   */
  async skipped(f, t, step, k) {
    const s = this.s;
    const entry = step.properties.find((p) => p.side === k.side && p.property === k.property && (p.chargebee ?? k.chargebee) === k.chargebee && same(p.line ?? null, k.line ?? null))
      ?? step.properties.find((p) => p.side === k.side && p.property === k.property && same(p.line ?? null, k.line ?? null));
    const before = entry ? entry.before : null;
    const line = k.line ? ` (line ${k.line.customerp ?? k.line.chargebee ?? "?"})` : "";
    const message = `undo of run ${this.undoOf}: ${k.property}${line} not put back in ${name(k.side)}: run ${this.undoOf} wrote ${show(k.wrote)}, ${name(k.side)} holds ${show(k.now)} now (changed since); before run ${this.undoOf} it was ${show(before)}. Nothing was written for it: the value changed since stays.`;
    const detail = { undoOf: this.undoOf, side: k.side, property: k.property, chargebee: k.chargebee, ...(k.line ? { line: k.line } : {}), before, wrote: k.wrote, now: k.now };
    const ids = { customerp: t.customerp, chargebee: t.chargebee };
    const item = await s.see(this.ctx, { run: this.ctx.run, kind: "undo", flow: f.id, ...ids, property: k.property, key: `run ${this.undoOf}|${rowKey(k)}`, message, detail });
    await s.store.logOnce({ run: this.ctx.run, flow: f.id, kind: "undo", ...ids, property: k.property, message, detail });
    this.report.skipped.push({ flow: f.id, ...ids, side: k.side, property: k.property, chargebee_attribute: k.chargebee, ...(k.line ? { line: k.line } : {}),
      before, wrote: k.wrote, now: k.now, item: s.dryRun ? null : item.id });
  }

  /** What the undo could not do for a pair: an `undo` item and a line in the run log. @param {FlowSpec} f @param {Touched} t @param {string} what */
  async note(f, t, what) {
    const s = this.s;
    const message = `undo of run ${this.undoOf}: ${what}`;
    const ids = { customerp: t.customerp, chargebee: t.chargebee };
    const item = await s.see(this.ctx, { run: this.ctx.run, kind: "undo", flow: f.id, ...ids, key: `run ${this.undoOf}|note|${shortHash(what)}`, message, detail: { undoOf: this.undoOf } });
    await s.store.logOnce({ run: this.ctx.run, flow: f.id, kind: "undo", ...ids, message, detail: { undoOf: this.undoOf } });
    this.report.notes.push({ flow: f.id, ...ids, message: what, item: s.dryRun ? null : item.id });
  }

  /**
   * Undoes the pairs of one flow: planned first (the guard counts them), then up to `concurrency`
   * pairs in flight, each pair's steps in order.
   * @param {FlowSpec} f @param {Touched[]} touched @param {FlowStats} stats
   */
  async flow(f, touched, stats) {
    const s = this.s;
    await this.learn(f);
    const ready = await this.prepare(f, touched);
    stats.planned = ready.length;
    stats.read = { customerp: ready.filter((r) => r.input.customerp).length, chargebee: ready.filter((r) => r.input.chargebee).length };
    const progress = () => s.onProgress({ flow: f.id, phase: "write", read: ready.length, planned: ready.length, written: stats.written, total: ready.length });
    if (await this.guardStops(f, ready, stats)) return;
    let next = 0;
    /** @type {unknown} */
    let fatal = null;
    const worker = async () => {
      while (fatal === null && next < ready.length) {
        const r = ready[next++];
        try {
          await this.pair(f, r, stats);
        } catch (e) {
          fatal = e;
          return;
        }
        stats.written++;
        progress();
      }
    };
    await Promise.all(Array.from({ length: Math.min(s.concurrency, ready.length) }, worker));
    if (fatal !== null) throw fatal;
  }

  /**
   * The values this undo put back, from its own journal rows (a real undo): each change with reason `undo`.
   */
  async valuesWritten() {
    const rows = await new Journal(this.s.store).ofRun(this.ctx.run);
    for (const r of rows) {
      if (r.outcome !== "ok") continue;
      for (const c of r.changes ?? []) {
        if (c.reason !== "undo") continue;
        this.report.values.push({ flow: r.flow, customerp: r.customerp, chargebee: r.chargebee, side: c.side, property: c.property, ...(c.line ? { line: c.line } : {}), from: c.from, to: c.to });
      }
    }
  }
}

/**
 * Takes back the writes of a run (the journal rows given, of that run), flow by flow, children first.
 * Returns the undo run's summary (as a sync run's, with `undoOf`) and what it did.
 * @param {Sync} sync @param {number} undoOf @param {Row[]} rows
 */
export async function undoWrites(sync, undoOf, rows) {
  const ctx = await sync.begin();
  ctx.undoOf = undoOf;
  const before = sync.requestCounts();
  const undo = new Undoer(sync, ctx);
  const touched = pairsOf(rows);
  /** @type {Record<string, FlowStats>} */
  const flows = {};
  for (const f of [...sync.flows].reverse()) {
    const mine = touched.filter((t) => t.flow === f.id);
    if (mine.length === 0) continue;
    const stats = newStats();
    flows[f.id] = stats;
    if (!sync.dryRun) await sync.store.beginRunFlow(ctx.run, f.id, sync.worker);
    let outcome = "ok";
    try {
      await undo.flow(f, mine, stats);
      if (stats.guard) outcome = "guard";
      else if (stats.errors > 0) outcome = "failed";
    } catch (e) {
      outcome = e instanceof FencedError ? "fenced" : "failed";
      throw e;
    } finally {
      if (!sync.dryRun) {
        if (outcome !== "fenced") await sync.store.finishRunFlow(ctx.run, f.id, outcome, stats.errors).catch(() => {});
        sync.events.run({ flow: f.id, outcome: /** @type {any} */ (outcome), run: ctx.run, tenant: sync.store.tenant, at: Date.now(), counts: { ...stats, guard: undefined } });
      }
    }
  }
  if (!sync.dryRun) await undo.valuesWritten();
  const summary = await sync.finish(ctx, flows, before);
  return { summary, report: undo.report };
}
