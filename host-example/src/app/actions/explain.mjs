// `explain`: one pair, property by property — both values, the last synced ones, the decision — and
// the requests the next run would send. Reads both systems, writes nothing.
import { flowSpec, readRecord, recordRef, syncOf } from "../app.mjs";
import { UsageError } from "../errors.mjs";
import { plannedWrites } from "../plans.mjs";
import { propertyRows } from "../decisions.mjs";
import { Inbox } from "../inbox.mjs";

/**
 * @param {import("../app.mjs").App} app @param {{ flow: string, record: string }} a
 */
export async function explainPair(app, a) {
  const f = flowSpec(a.flow);
  const { side, id } = recordRef(a.record);
  const store = app.store;
  const row = side === "customerp" ? await store.linkByCustomerp(f.id, id) : await store.linkByChargebee(f.id, id);
  const link = { customerp: side === "customerp" ? id : row?.customerp_id ?? null, chargebee: side === "chargebee" ? id : row?.chargebee_id ?? null };
  const [customerp, chargebee] = await Promise.all([
    link.customerp ? readRecord(app, f, "customerp", link.customerp) : null,
    link.chargebee ? readRecord(app, f, "chargebee", link.chargebee) : null,
  ]);
  if (!customerp && !chargebee) throw new UsageError(`neither Customerp nor Chargebee has ${a.record} in ${f.id}`);
  const sync = syncOf(app, { full: true, dryRun: true });
  /** @type {Record<string, any>} */
  const links = {};
  for (const p of f.parents) links[p] = await store.linksOf(p);
  const w = await sync.work(f, link, row?.base ?? null, { customerp, chargebee }, links);
  const [planned] = sync.planAll(f, [w]);
  const inbox = new Inbox(store);
  const items = await inbox.list({ flow: f.id, [side]: id });
  const hold = await store.hold(f.id, side, id);
  const ambiguous = items.find((i) => i.kind === "ambiguous" && i.state === "open");
  const held = row ? null : hold?.reason ?? (ambiguous ? `ambiguous match (inbox item ${ambiguous.id})` : null);
  const out = {
    flow: f.id, linked: Boolean(row), linkedBy: row ? /** @type {any} */ (row).linked_by : null, link, held,
    customerp, chargebee, base: w.input.base, keep: w.keep ?? null, overrides: w.overrides, items,
  };
  if (!planned.result.ok) return { ...out, error: { code: planned.result.error?.code ?? null, message: String(planned.result.error?.message ?? planned.result.error), path: planned.result.error?.path ?? null }, rows: [], writes: [] };
  const plan = planned.result.plan;
  return {
    ...out,
    rows: propertyRows(f.id, w.input, plan, w.options, planned.drift, w.overrides),
    writes: held ? [] : plannedWrites(f, plan, w.input),
    conflicts: plan.conflicts, warnings: plan.warnings, waitingFor: plan.waitingFor, drift: planned.drift,
    reason: plan.chargebee.reason ?? plan.customerp.reason ?? null,
  };
}
