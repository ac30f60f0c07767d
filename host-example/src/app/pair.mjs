// One pair at a time: execute its plan (Chargebee requests in order, then the Customerp change, then
// link and base in one transaction), re-reading the targets first and re-planning when they moved.
import { plan as planOne } from "customerp-chargebee";
import { RetryLater } from "./errors.mjs";
import { WriteScope, inScope } from "./clients/write-scope.mjs";
import { chargebeeVersion, customerpVersion } from "./versions.mjs";
import { changesByRequest } from "./journal.mjs";
import { ChargebeeError } from "./clients/chargebee.mjs";
import { CustomerpError } from "./clients/customerp.mjs";
import { describeConflict, hasWrites, matchesExpect, plannedWrites, resolveRefs, sameJson, shortHash } from "./plans.mjs";

/** @typedef {Record<string, any>} Json */
/** @typedef {import("customerp-chargebee").Plan} Plan */
/** @typedef {import("./flows.mjs").FlowSpec} FlowSpec */
/** @typedef {import("./store/store.mjs").Link} Link */
/** @typedef {import("./loop.mjs").Input} Input */
/** @typedef {import("./loop.mjs").FlowStats} FlowStats */
/** @typedef {import("./loop.mjs").Sync} Sync */

const MAX_ROUNDS = 5; // plans per pair in one run: expect re-plans, and re-plans after writes

/** Thrown when Customerp refused a write because the record moved (412): the pair is re-planned. */
class Moved extends Error {}

/** Thrown when Chargebee refused a create because its deterministic id exists (a create retried after a crash). */
class Exists extends Error {
  /** @param {string} id @param {ChargebeeError} refusal */
  constructor(id, refusal) {
    super(`${id} exists`);
    this.id = id;
    this.refusal = refusal;
  }
}

/** Whether a create's first request makes the resource with the deterministic id, so Chargebee itself refuses a twin. @param {Plan} plan */
const createsById = (plan) =>
  plan.chargebee.action === "create" && Boolean(plan.chargebee.id) && plan.chargebee.requests[0]?.params?.id === plan.chargebee.id;

/**
 * Whether a create leaves the record to Chargebee (an order it generates for the new invoice, option
 * `orders: "chargebee"`): the plan names no Chargebee id. @param {Plan} plan
 */
export const leftToChargebee = (plan) => plan.chargebee.action === "create" && !plan.chargebee.id && plan.chargebee.requests.length > 0;

/** A refusal of the invoice request (bad input, not found): Chargebee made nothing. @param {unknown} e */
const refused = (e) => e instanceof ChargebeeError && e.status >= 400 && e.status < 500 && e.status !== 429;

/**
 * Executes a pair's plan, re-planning when a target moved or a create found its id taken. After a
 * write the pair is planned again, until a plan writes nothing, wherever that costs no read or is
 * needed: from the record Chargebee answered a write with (customers, orders), after a relink, after
 * a Customerp create (the tag holding its new id) and after a Chargebee create that leaves rows to a
 * second plan (`followsUp`). A pair left unplanned (an item, a Customerp update) is read by the next
 * run, whose incremental reads include it, and plans nothing there. At most MAX_ROUNDS plans; returns
 * a reason to retry next run, or undefined.
 * In a dry run the first plan that writes is listed (with what it leaves to a follow-up) instead of
 * executed.
 * @param {Sync} s @param {FlowSpec} f @param {Input} input @param {Link} stored the link as the store has it
 * @param {Plan} plan @param {FlowStats} stats @param {import("./loop.mjs").RunContext} ctx
 * @param {import("customerp-chargebee").Options} options the options this pair is planned with
 * @param {(input: Input) => Plan} [replan] how the pair is planned again from fresh records (after a move, a wait,
 *   a write): by default `plan` with `options`; an undo plans with `planUndo` again
 * @returns {Promise<string | undefined>}
 */
export async function settle(s, f, input, stored, plan, stats, ctx, options, replan) {
  const run = ctx.run;
  const again = replan ?? ((/** @type {Input} */ i) => planOne(f.id, i, options));
  let link = stored;
  /** When input.chargebee is what this loop's own write just returned: when Chargebee gave it (no read before the next write). */
  /** @type {number | null} */
  let fresh = null;
  /** Waits for an answer (429, 5xx, a lost answer) and checks that were too old or found no token. */
  let waits = 0;
  let rechecks = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (plan.waitingFor.length > 0) {
      stats.waiting++;
      const on = plan.waitingFor.map((w) => `${w.flow} ${w.customerpId}`).join(", ");
      const message = `waiting for ${on}: nothing is written until it is linked`;
      await s.store.log({ run, flow: f.id, kind: "waiting", customerp: plan.link.customerp, chargebee: plan.link.chargebee, message: `waiting for ${on}` });
      await s.see(ctx, { run, kind: "waiting", flow: f.id, customerp: plan.link.customerp, chargebee: plan.link.chargebee, message, detail: plan.waitingFor });
      return `waiting for ${on}`;
    }
    if (leftToChargebee(plan) && !(await anyShippable(s, plan))) {
      // Chargebee generates orders for shippable lines only: for an invoice without one it makes none,
      // so this create makes its order itself, as on a site that generates none.
      options = { ...options, orders: "create" };
      plan = planOne(f.id, input, options);
      await s.store.log({ run, flow: f.id, kind: "warning", customerp: plan.link.customerp, chargebee: plan.link.chargebee,
        message: "no line of this record is a shippable item, so Chargebee generates no order for its invoice: the order is created with POST /orders" });
      continue;
    }
    // One check-and-write, in a scope of its own: its Chargebee tokens are paid for before the check, and
    // nothing in it waits between the check and the writes (write-scope.mjs).
    const scope = new WriteScope(0);
    if (fresh !== null) scope.heard.chargebee = fresh;
    /** @type {Step} */
    let step;
    try {
      step = await inScope(scope, () => attempt(s, f, { input, plan, link, fresh: fresh !== null, round, stats, ctx, options, scope, replan: again }));
    } catch (e) {
      if (!(e instanceof RetryLater)) throw e;
      // Back off above the check, never below it: after the wait the pair is read and planned again,
      // and the new plan decides (its conflicts are reported); the request as it was is never re-sent.
      const answered = e.reason === "answer" || e.reason === "network";
      if (answered ? ++waits > s.maxWaits : ++rechecks > 20) throw e.error ?? e;
      stats.rechecked++;
      // A write answered 429, 5xx or not at all is tried again, after a new check: a retry in the client's counts.
      if (answered) (e.system === "Chargebee" ? s.cb : s.cp).counters.retries++;
      s.events.write({ system: e.system === "Chargebee" ? "chargebee" : "customerp", flow: f.id, outcome: "replanned", tenant: s.store.tenant });
      await backOff(s, e, waits);
      const rec = await reread(s, f, { customerp: input.customerp?.id != null ? String(input.customerp.id) : null, chargebee: input.chargebee?.id ?? null }, input.base, input.links);
      input = rec;
      plan = again(input);
      fresh = null;
      round--; // a wait is not a plan of its own
      continue;
    } finally {
      s.cb.bucket.refund(scope.tokens);
      scope.tokens = 0;
      s.writeGaps.push(...scope.gaps);
      s.writeGapsSeen.writes += scope.gaps.length;
      for (const g of scope.gaps) s.writeGapsSeen.longestMs = Math.max(s.writeGapsSeen.longestMs, g);
    }
    if ("done" in step) return step.done;
    ({ input, plan, link } = step);
    fresh = step.fresh ? scope.heard.chargebee : null;
  }
  stats.errors++;
  await s.logError(ctx, f.id, link.customerp, link.chargebee, new Error(`not settled after ${MAX_ROUNDS} plans`), "retried next run");
  return "not settled";
}

/** @typedef {{ done: string | undefined } | { input: Input, plan: Plan, link: Link, fresh: boolean }} Step */

/**
 * One round of a pair: pays for its Chargebee requests, checks the targets, writes the plan if they
 * have not moved, and says what comes next: done (with a reason to retry next run, or none), or the
 * next plan (after a re-plan, or a follow-up from a write's answer).
 * @param {Sync} s @param {FlowSpec} f
 * @param {{ input: Input, plan: Plan, link: Link, fresh: boolean, round: number, stats: FlowStats, ctx: import("./loop.mjs").RunContext,
 *   options: import("customerp-chargebee").Options, scope: WriteScope, replan: (input: Input) => Plan }} a
 * @returns {Promise<Step>}
 */
async function attempt(s, f, a) {
  let { input, plan, link } = a;
  const { stats, ctx, options, scope, replan } = a;
  if (!s.dryRun) {
    const need = checkReads(f, plan, a.fresh) + plan.chargebee.requests.length;
    if (need > 0) {
      await s.cb.bucket.take(need);
      scope.tokens = need;
    }
  }
  // A process that stalled past its lease (and woke up after another took the flow over) sends nothing.
  if (!s.dryRun) await s.store.assertFence(f.id);
  const check = await checkExpect(s, f, input, plan, a.fresh);
  if (check.replan) {
    stats.replanned++;
    input = check.replan;
    return { input, plan: replan(input), link, fresh: false };
  }
  if (!hasWrites(plan) && plan.chargebee.action !== "manual" && !storable(plan, link, input.base)) {
    if (!plan.link.customerp || !plan.link.chargebee) stats.held++;
    return { done: undefined };
  }
  if (s.dryRun) {
    listPlan(f, input, plan, stats, ctx);
    // The copy of the store learns the link as a write would make it, so the flows after this one
    // plan their records as the real run will (a new Customerp record's id stands in as "(new:…)").
    const made = plan.customerp.action === "create" ? `(new:${plan.link.chargebee})` : plan.link.customerp;
    if (plan.base && made && plan.link.chargebee) await s.store.commitPair(f.id, link, { customerp: made, chargebee: plan.link.chargebee }, plan.base);
    // …and that a record waits for the order Chargebee generates for its new invoice (an order made from this
    // quote waits with it), the invoice standing in as "(new:…)".
    if (leftToChargebee(plan) && plan.link.customerp) await s.store.saveOrderWait(f.id, plan.link.customerp, `(new:${plan.link.customerp})`, plan.base);
    return { done: undefined };
  }
  await s.hooks.beforeExecute?.({ flow: f.id, plan, round: a.round });
  let result;
  try {
    result = await execute(s, f, input, plan, link, check.etag, stats, ctx);
  } catch (e) {
    if (e instanceof Exists) {
      const found = await s.readers[f.chargebee].get(e.id);
      if (!found || found.deleted) throw e.refusal;
      stats.replanned++;
      input = { ...input, chargebee: found, base: null };
      return { input, plan: replan(input), link, fresh: false };
    }
    if (!(e instanceof Moved)) throw e;
    stats.replanned++;
    input = await reread(s, f, { customerp: input.customerp?.id ?? null, chargebee: input.chargebee?.id ?? null }, input.base, input.links);
    return { input, plan: replan(input), link, fresh: false };
  }
  link = result.link;
  if (result.awaiting) {
    // Chargebee generates the order for the new invoice (about two seconds after payment): adopted
    // at once when the invoice's answer already lists it, else by a later run or its order_created event.
    const listed = result.awaiting.orders[0];
    const order = listed ? await s.readers[f.chargebee].get(listed) : null;
    if (!order || order.deleted) return { done: await waitForOrder(s, f, stats, ctx, /** @type {string} */ (link.customerp), result.awaiting.invoice) };
    input = { customerp: input.customerp, chargebee: order, base: plan.base, links: input.links };
    return { input, plan: planOne(f.id, input, options), link: { customerp: null, chargebee: null }, fresh: false };
  }
  if (!link.customerp || !link.chargebee) return { done: undefined }; // the plan ended the link (a delete)
  let fresh = false;
  if (result.relinked) {
    input = await reread(s, f, link, plan.base, input.links);
  } else if (result.followUp || (result.answered && plan.customerp.action === "none")) {
    // Only what this plan wrote is read again, and Chargebee's side not when its answer is the record.
    // A Customerp create or update answers with the whole record as it now is (the contract): no read.
    const customerp = plan.customerp.action === "none" ? input.customerp
      : result.customerpAnswered ?? (await s.cp.get(f.customerp, link.customerp))?.record ?? null;
    const written = plan.chargebee.requests.length > 0;
    const chargebee = result.answered ?? (written ? await s.readers[f.chargebee].get(link.chargebee) : input.chargebee);
    fresh = Boolean(result.answered);
    input = { customerp, chargebee, base: plan.base, links: input.links };
  } else {
    return { done: undefined };
  }
  return { input, plan: replan(input), link, fresh };
}

/** Chargebee reads the check of a plan makes (checkExpect): the target by id (an item with its prices: two). @param {FlowSpec} f @param {Plan} plan @param {boolean} fresh */
function checkReads(f, plan, fresh) {
  const cb = plan.chargebee;
  const perRecord = f.chargebee === "item" ? 2 : f.chargebee === "business_entity" ? 0 : 1;
  if (cb.action === "create" && cb.id && /** @type {any} */ (cb.expect)?.exists === false && !createsById(plan)) return perRecord;
  if ((cb.action === "update" || cb.action === "delete") && cb.id && cb.expect && !fresh) return perRecord;
  return 0;
}

/**
 * The wait before a pair is checked again: a 429 waits for its Retry-After (a Chargebee 429 has also
 * paused the site's bucket for every pair); a 5xx or a lost answer backs off exponentially; a check
 * that was too old, or found no token, waits for nothing but its new check.
 * @param {Sync} s @param {RetryLater} e @param {number} waits
 */
async function backOff(s, e, waits) {
  if (e.reason === "stale" || e.reason === "rate") return;
  const base = s.cb.retry.baseDelayMs ?? 500;
  const cap = s.cb.retry.maxDelayMs ?? 60_000;
  const backoff = Math.min(cap, base * 2 ** (waits - 1)) * (0.75 + Math.random() / 2);
  await s.sleep(Math.min(cap, e.retryAfterMs ?? backoff));
}

/**
 * Whether an invoice request holds an item price of a shippable item: only then does Chargebee
 * generate an order for it. The items are read (two requests per 100 items).
 * @param {Sync} s @param {Plan} plan
 */
async function anyShippable(s, plan) {
  const params = plan.chargebee.requests[0].params;
  const currency = String(params.currency_code ?? "");
  const ids = (/** @type {Json[]} */ (params.item_prices ?? [])).map((p) => String(p.item_price_id).slice(0, -(currency.length + 1)));
  const items = await s.readers.item.byIds([...new Set(ids)]);
  return items.some((i) => i.is_shippable === true);
}

/**
 * A quote or order whose invoice is made waits for the order Chargebee generates for it: reported
 * (the inbox item closes itself when the order is adopted) and read again next run.
 * @param {Sync} s @param {FlowSpec} f @param {FlowStats} stats @param {import("./loop.mjs").RunContext} ctx @param {string} customerp @param {string} invoice
 */
export async function waitForOrder(s, f, stats, ctx, customerp, invoice) {
  stats.waiting++;
  const message = `waiting for the order Chargebee generates for invoice ${invoice} (orders: "chargebee"); Chargebee generates orders for the shippable lines of a paid invoice, or of one in a status the site's order settings select`;
  await s.store.log({ run: ctx.run, flow: f.id, kind: "waiting", customerp, chargebee: null, message, detail: { invoice } });
  await s.see(ctx, { run: ctx.run, kind: "waiting", flow: f.id, customerp, chargebee: null, message, detail: { invoice } });
  return `waiting for the order of invoice ${invoice}`;
}

/** A write Chargebee refused for its input (400 param_wrong_value / invalid_request): retrying it as is cannot help. @param {unknown} e */
const isRefusedWrite = (e) => e instanceof ChargebeeError && e.status === 400 && (e.apiErrorCode === "param_wrong_value" || e.apiErrorCode === "invalid_request");

/**
 * A dry run's record of a plan: its writes listed, and counted as a run would count them.
 * @param {FlowSpec} f @param {Input} input @param {Plan} plan @param {FlowStats} stats
 * @param {import("./loop.mjs").RunContext} ctx
 */
function listPlan(f, input, plan, stats, ctx) {
  ctx.plan(plannedWrites(f, plan, input));
  stats.conflicts += plan.conflicts.length;
  stats.warnings += plan.warnings.length;
  const cb = plan.chargebee;
  if (cb.action === "manual") stats.manual++;
  if (cb.requests.length > 0 && (cb.action === "create" || cb.action === "update" || cb.action === "delete")) {
    stats[cb.action === "create" ? "created" : cb.action === "update" ? "updated" : "deleted"].chargebee++;
  }
  const cp = plan.customerp.action;
  if (cp === "create" || cp === "update" || cp === "delete") stats[cp === "create" ? "created" : cp === "update" ? "updated" : "deleted"].customerp++;
}

/**
 * An item with its prices as the plan's answers leave it (an item's answer carries no prices): the
 * item of the last answer that has one, its prices as read with those the answers hold put in.
 * @param {Json | null} before @param {Json[]} responses @returns {Json | null}
 */
function itemAfter(before, responses) {
  const item = responses.filter((r) => r?.item).at(-1)?.item ?? before;
  if (!item) return null;
  /** @type {Map<string, Json>} */
  const prices = new Map((before?.item_prices ?? []).map((/** @type {Json} */ p) => [p.id, p]));
  for (const r of responses) if (r?.item_price) prices.set(r.item_price.id, r.item_price);
  return { ...item, item_prices: [...prices.values()].filter((p) => p.item_id === item.id).sort((a, b) => (a.id < b.id ? -1 : 1)) };
}

/** Whether a plan without writes still changes what the store holds. @param {Plan} plan @param {Link} link @param {Json | null} base */
function storable(plan, link, base) {
  const { customerp, chargebee } = plan.link;
  if (customerp && chargebee) return customerp !== link.customerp || chargebee !== link.chargebee || !sameJson(plan.base, base);
  return !customerp && !chargebee && plan.base == null && Boolean(link.customerp || link.chargebee);
}

/**
 * Re-reads the targets of the plan's writes and compares them with `expect`. A Chargebee create whose
 * deterministic id already exists (e.g. after a crash) is re-planned with that record and no base:
 * looked up first when the create starts with another resource (an order's invoice), else found out
 * from Chargebee's `duplicate_entry` answer. A Chargebee record this loop's write just returned
 * (`justWritten`) is not read again.
 * @param {Sync} s @param {FlowSpec} f @param {Input} input @param {Plan} plan @param {boolean} justWritten
 * @returns {Promise<{ replan?: Input, etag?: string | null }>}
 */
async function checkExpect(s, f, input, plan, justWritten) {
  const reader = s.readers[f.chargebee];
  const cb = plan.chargebee;
  const cp = plan.customerp;
  if (cb.action === "create" && cb.id && /** @type {any} */ (cb.expect)?.exists === false && !createsById(plan)) {
    const found = await reader.get(cb.id);
    if (found && !found.deleted) return { replan: { ...input, chargebee: found, base: null } };
  }
  let moved = false;
  /** @type {Json | null | undefined} */
  let cbFresh;
  /** @type {Json | null | undefined} */
  let cpFresh;
  /** @type {string | null} */
  let etag = null;
  if ((cb.action === "update" || cb.action === "delete") && cb.id && cb.expect) {
    cbFresh = justWritten ? input.chargebee : await reader.get(cb.id);
    moved = !cbFresh || !matchesExpect(cb.expect, cbFresh);
  }
  if ((cp.action === "update" || cp.action === "delete") && cp.id) {
    const got = await s.cp.get(f.customerp, cp.id);
    etag = got?.etag ?? null;
    cpFresh = got?.record ?? null;
    moved ||= !got || (cp.expect !== undefined && !matchesExpect(cp.expect, got.record));
  }
  if (!moved) return { etag };
  const fresh = await reread(s, f, { customerp: cpFresh === undefined ? input.customerp?.id ?? null : null, chargebee: cbFresh === undefined ? input.chargebee?.id ?? null : null }, input.base, input.links);
  return {
    replan: {
      ...fresh,
      customerp: cpFresh === undefined ? fresh.customerp : cpFresh,
      chargebee: cbFresh === undefined ? fresh.chargebee : cbFresh,
    },
  };
}

/** Current records of a pair. @param {Sync} s @param {FlowSpec} f @param {Link} link @param {Json | null} base @param {Json} links @returns {Promise<Input>} */
export async function reread(s, f, link, base, links) {
  const customerp = link.customerp ? (await s.cp.get(f.customerp, String(link.customerp)))?.record ?? null : null;
  const chargebee = link.chargebee ? await s.readers[f.chargebee].get(link.chargebee) : null;
  return { customerp, chargebee, base, links };
}

/**
 * Writes one plan: Chargebee requests in order, then the Customerp change, then link and base in one
 * transaction. Returns the new link, whether it moved to another Chargebee record (`relinked`), whether
 * a create left work to a second plan (`followUp`), and the record Chargebee answered with (`answered`).
 * Warnings are logged when the plan writes or links, not again for each re-read of a settled pair.
 * @param {Sync} s @param {FlowSpec} f @param {Input} input @param {Plan} plan @param {Link} link @param {string | null | undefined} etag
 * @param {FlowStats} stats @param {import("./loop.mjs").RunContext} ctx
 */
async function execute(s, f, input, plan, link, etag, stats, ctx) {
  const run = ctx.run;
  const ids = { customerp: plan.link.customerp, chargebee: plan.link.chargebee };
  // Logged before the writes, so a crash after them cannot lose the report; logged once, so the
  // re-plan after a crash (the same conflict, planned from the same state) does not repeat it.
  for (const c of plan.conflicts) {
    if (await s.store.logOnce({ run, flow: f.id, kind: "conflict", ...ids, property: c.property, message: describeConflict(c), detail: c })) {
      stats.conflicts++;
    }
    await s.see(ctx, { run, kind: "conflict", flow: f.id, ...ids, property: c.property, key: `${c.property}|${shortHash(c)}`, message: describeConflict(c), detail: c });
  }
  const fresh = link.customerp !== ids.customerp || link.chargebee !== ids.chargebee;
  for (const w of hasWrites(plan) || fresh ? plan.warnings : []) {
    stats.warnings++;
    await s.store.log({ run, flow: f.id, kind: "warning", ...ids, property: w.property, message: `${w.code}: ${w.message}`, detail: w });
  }
  const cb = plan.chargebee;
  if (cb.action === "manual") {
    stats.manual++;
    const message = cb.reason ?? "a change to make by hand in Chargebee";
    await s.store.log({ run, flow: f.id, kind: "manual", ...ids, message });
    await s.see(ctx, { run, kind: "manual", flow: f.id, ...ids, message, detail: { action: cb.action, id: cb.id ?? null } });
  }
  /** @type {Json[]} */
  const responses = [];
  /** @type {ChargebeeError | undefined} an update request Chargebee refused as bad input */
  let refusedWrite;
  // Remembered before the invoice is asked for: a crash after it leaves a trace that holds back the
  // order Chargebee generates until the retried create (the same request and key: Chargebee replays
  // the same invoice) names the invoice.
  const generated = leftToChargebee(plan) && plan.link.customerp ? plan.link.customerp : null;
  // The last look before anything is sent: the lease must still be this process's.
  await s.store.assertFence(f.id);
  if (generated) await s.store.saveOrderWait(f.id, generated, null, plan.base);
  const changes = /** @type {import("customerp-chargebee").PlanChange[]} */ (/** @type {any} */ (plan).changes ?? []);
  const cbChanges = changesByRequest(changes.filter((c) => c.side === "chargebee"), cb.requests);
  /** @param {Partial<import("./journal.mjs").JournalEntry>} e */
  const journal = (e) => (s.dryRun ? undefined : s.journal.record(/** @type {import("./journal.mjs").JournalEntry} */ ({
    // A plan that ends the link (a delete, an undo's release) names the pair as it was.
    run, flow: f.id, customerp: plan.link.customerp ?? (input.customerp?.id != null ? String(input.customerp.id) : null), chargebee: plan.link.chargebee ?? cb.id ?? input.chargebee?.id ?? null,
    undoOf: ctx.undoOf ?? null, ...e,
  })));
  for (const [index, req] of cb.requests.entries()) {
    const params = resolveRefs(req.params, responses);
    const entry = { side: /** @type {const} */ ("chargebee"), action: ctx.undoOf ? `undo ${cb.action}` : cb.action, method: req.method, path: req.path, params, idempotencyKey: req.idempotencyKey };
    try {
      const body = (await s.cb.send(req.method, req.path, params, { idempotencyKey: req.idempotencyKey })).body;
      responses.push(body);
      const rec = body && typeof body === "object" ? Object.values(body).find((v) => v && typeof v === "object" && "resource_version" in v) : null;
      await journal({ ...entry, status: 200, outcome: "ok", version: rec?.resource_version != null ? String(rec.resource_version) : null, changes: cbChanges[index] });
      s.events.write({ system: "chargebee", flow: f.id, outcome: "ok", tenant: s.store.tenant });
    } catch (e) {
      const err = /** @type {any} */ (e);
      await journal({ ...entry, status: err?.status ?? 0, outcome: e instanceof RetryLater ? "retried" : "failed", error: err?.message ?? String(e) });
      if (!(e instanceof RetryLater)) s.events.write({ system: "chargebee", flow: f.id, outcome: "failed", tenant: s.store.tenant });
      if (generated && refused(e)) await s.store.endOrderWait(f.id, generated);
      const taken = e instanceof ChargebeeError && e.apiErrorCode === "duplicate_entry" && e.param === "id";
      if (taken && index === 0 && createsById(plan) && cb.id) throw new Exists(cb.id, e);
      // One refused field must not block the pair: the plan's other requests and its Customerp change are
      // still written; the base is not stored, so the refused write is planned (and reported) again next run.
      if (cb.action === "update" && isRefusedWrite(e) && !refusedWrite) {
        refusedWrite = /** @type {ChargebeeError} */ (e);
        continue;
      }
      throw e;
    }
    await s.hooks.afterChargebeeRequest?.({ flow: f.id, plan, index });
  }
  if (cb.requests.length > 0 && (cb.action === "create" || cb.action === "update" || cb.action === "delete")) {
    stats[cb.action === "create" ? "created" : cb.action === "update" ? "updated" : "deleted"].chargebee++;
  }
  /** @type {{ invoice: string, orders: string[] } | undefined} */
  let awaiting;
  if (generated) {
    const invoice = responses[0]?.invoice;
    if (!invoice?.id) throw new Error(`the invoice request answered without an invoice id: ${JSON.stringify(responses[0] ?? null).slice(0, 200)}`);
    await s.store.saveOrderWait(f.id, generated, String(invoice.id), plan.base);
    awaiting = { invoice: String(invoice.id), orders: (invoice.linked_orders ?? []).map((/** @type {Json} */ o) => String(o.id)) };
  }
  await s.hooks.afterChargebeeWrite?.({ flow: f.id, plan });

  let cpId = plan.link.customerp;
  const cp = plan.customerp;
  /** Customerp's record after this plan: its answer, or the record as read when the plan leaves it. @type {Json | null} */
  let cpAfter = cp.action === "none" ? input.customerp : null;
  if ((cp.action === "update" || cp.action === "delete") && cp.id && !etag) {
    // No ETag holds this write to the version it was planned on: the record is read again right before it.
    const again = await s.cp.get(f.customerp, cp.id);
    if (!again || (cp.expect !== undefined && !matchesExpect(cp.expect, again.record))) throw new Moved();
    etag = again.etag;
  }
  const cpChanges = changes.filter((c) => c.side === "customerp");
  const cpKey = cp.action === "create" ? `${f.id}:${plan.link.chargebee ?? ""}:${shortHash(cp.changes)}` : null;
  const cpEntry = {
    side: /** @type {const} */ ("customerp"), action: ctx.undoOf ? `undo ${cp.action}` : cp.action,
    method: cp.action === "create" ? "POST" : cp.action === "update" ? "PATCH" : "DELETE",
    path: `/api/${f.customerp}${cp.id ? `/${encodeURIComponent(cp.id)}` : ""}`, params: cp.changes ?? null, idempotencyKey: cpKey,
  };
  try {
    if (cp.action === "create") {
      cpAfter = await s.cp.create(f.customerp, cp.changes ?? {}, /** @type {string} */ (cpKey));
      cpId = String(/** @type {Json} */ (cpAfter).id);
      s.events.write({ system: "customerp", flow: f.id, outcome: "ok", tenant: s.store.tenant });
      stats.created.customerp++;
    } else if (cp.action === "update" && cp.id) {
      cpAfter = await s.cp.update(f.customerp, cp.id, cp.changes ?? {}, etag);
      s.events.write({ system: "customerp", flow: f.id, outcome: "ok", tenant: s.store.tenant });
      stats.updated.customerp++;
    } else if (cp.action === "delete" && cp.id) {
      await s.cp.remove(f.customerp, cp.id, etag);
      s.events.write({ system: "customerp", flow: f.id, outcome: "ok", tenant: s.store.tenant });
      stats.deleted.customerp++;
    }
  } catch (e) {
    const err = /** @type {any} */ (e);
    if (cp.action !== "none") {
      const moved = e instanceof CustomerpError && e.status === 412;
      await journal({ ...cpEntry, customerp: cpId ?? cp.id ?? null, status: err?.status ?? 0, outcome: moved || e instanceof RetryLater ? "retried" : "failed", error: err?.message ?? String(e) });
    }
    if (e instanceof CustomerpError && e.status === 412) throw new Moved();
    if (!(e instanceof RetryLater)) s.events.write({ system: "customerp", flow: f.id, outcome: "failed", tenant: s.store.tenant });
    throw e;
  }
  if (cp.action !== "none") await journal({ ...cpEntry, customerp: cpId ?? cp.id ?? null, status: cp.action === "create" ? 201 : 200, outcome: "ok", version: customerpVersion(cpAfter), changes: cpChanges });
  const next = { customerp: cpId, chargebee: plan.link.chargebee };
  if (refusedWrite) throw refusedWrite;
  const answered = cb.requests.length > 0 ? s.readers[f.chargebee].fromResponse(responses.at(-1)) : null;
  const cbAfter = cb.requests.length === 0 ? input.chargebee : f.chargebee === "item" ? itemAfter(input.chargebee, responses) : answered;
  await s.store.commitPair(f.id, link, next, plan.base, { customerp: customerpVersion(cpAfter), chargebee: chargebeeVersion(f.chargebee, cbAfter) });
  if (link.chargebee && !next.chargebee) s.released.add(link.chargebee);
  // A relink (an order taking over its quote's order) is planned again with the other record; so is a
  // create that leaves rows to a second plan: a Chargebee order's date and statuses, and the tag
  // holding a new Customerp record's id. `answered` is the record Chargebee's last answer holds.
  const relinked = next.chargebee !== null && next.chargebee !== (input.chargebee?.id ?? null) && cb.action !== "create";
  return {
    link: next,
    relinked,
    awaiting,
    followUp: (cb.action === "create" && Boolean(f.followsUp)) || cp.action === "create",
    answered,
    customerpAnswered: cp.action === "create" || cp.action === "update" ? cpAfter : null,
  };
}
