// What the host adds to a plan from a person's decisions and the flow's configuration, and how it
// reads a plan property by property: a conflict override written to both sides, changes dropped
// because a side is read-only, and the per-property decisions `explain` shows.
import { flows, plan as planOne, toCustomerp, toChargebee } from "customerp-chargebee";
import { sameJson, valueAt } from "./plans.mjs";

/** @typedef {Record<string, any>} Json */
/** @typedef {import("customerp-chargebee").Plan} Plan */

/** Flow descriptions by the configuration's mappings (JSON): rows it maps are the flow's too. @type {Map<string, Map<string, import("customerp-chargebee").FlowInfo>>} */
const infos = new Map();
/**
 * The flow's properties as the plugin describes them, with the rows `options.mappings` adds.
 * @param {string} flow @param {import("customerp-chargebee").Options} [options]
 */
export function flowInfo(flow, options) {
  const mappings = options?.mappings ?? null;
  const key = JSON.stringify(mappings);
  let byFlow = infos.get(key);
  if (!byFlow) {
    byFlow = new Map(flows(mappings ? { mappings } : undefined).map((f) => [f.id, f]));
    infos.set(key, byFlow);
  }
  const info = byFlow.get(flow);
  if (!info) throw new Error(`unknown flow ${flow}`);
  return info;
}

/** A copy of `rec` with the value at a dotted path set. @param {Json} rec @param {string} path @param {unknown} value */
function withValue(rec, path, value) {
  const out = structuredClone(rec);
  const parts = path.split(".");
  /** @type {any} */
  let at = out;
  for (const k of parts.slice(0, -1)) {
    if (at[k] === null || typeof at[k] !== "object") at[k] = {};
    at = at[k];
  }
  at[parts[parts.length - 1]] = value;
  return out;
}

/**
 * A conflict a person overrode (`resolve --keep`): the kept value, in Customerp's form, is planned as
 * if Customerp held it, so the plugin writes it to Chargebee (with `expect`), and Customerp gets it
 * in the same plan's update (with If-Match).
 * @param {import("./flows.mjs").FlowSpec} f
 * @param {import("./loop.mjs").Work} w
 * @param {Plan} plan
 * @returns {{ ok: true, plan: Plan } | { ok: false, error: unknown }}
 */
export function applyOverrides(f, w, plan) {
  const cp = w.input.customerp;
  if (!cp || !w.input.chargebee) return { ok: true, plan };
  try {
    let kept = cp;
    for (const o of w.overrides) kept = withValue(kept, o.property, o.value);
    const p = planOne(/** @type {any} */ (f.id), { ...w.input, customerp: kept }, w.options);
    /** @type {Json} */
    const changes = { ...(p.customerp.action === "update" ? p.customerp.changes : {}) };
    /** @type {Json} */
    const expect = { ...(p.customerp.action === "update" ? /** @type {Json} */ (p.customerp.expect) : {}), updated: cp.updated ?? null };
    for (const o of w.overrides) {
      if (sameJson(valueAt(cp, o.property), o.value)) continue;
      const top = o.property.split(".")[0];
      changes[top] = top === o.property ? o.value : structuredClone(valueAt(kept, top));
      expect[top] = cp[top] ?? null;
    }
    if (Object.keys(changes).length > 0) {
      p.customerp = { action: "update", id: String(cp.id), changes, expect, reason: `a person kept ${w.overrides.map((o) => `${o.side}'s ${o.property}`).join(", ")}` };
    }
    return { ok: true, plan: p };
  } catch (e) {
    return { ok: false, error: e };
  }
}

/**
 * The properties whose change a read-only side drops in this plan: the plan without `readOnly`
 * would have written them there. Null when there are none.
 * @param {import("./flows.mjs").FlowSpec} f @param {import("./loop.mjs").Work} w @param {Plan} plan
 * @returns {{ side: string, properties: string[] } | null}
 */
export function droppedByReadOnly(f, w, plan) {
  const ro = /** @type {string[] | undefined} */ (w.options.readOnly);
  if (!ro?.length || !w.input.customerp || !w.input.chargebee || !plan.base) return null;
  let free;
  try {
    free = planOne(/** @type {any} */ (f.id), w.input, { ...w.options, readOnly: undefined });
  } catch {
    return null;
  }
  if (!free.base) return null;
  const props = flowInfo(f.id, w.options).properties;
  for (const side of ro) {
    /** @type {Json} */
    const a = /** @type {Json} */ (plan.base)[side] ?? {};
    /** @type {Json} */
    const b = /** @type {Json} */ (free.base)[side] ?? {};
    const keys = Object.keys(b).filter((k) => !sameJson(a[k], b[k]));
    if (keys.length) return { side, properties: keys.map((k) => (props.find((p) => p.chargebee === k)?.customerp ?? k).replace(/ \(else .*\)$/, "")) };
  }
  return null;
}

/**
 * Both sides' last synced value of one row of a base, for display. Every base version lists
 * Customerp's value (absent: null); Chargebee's is listed only where it differs from Customerp's
 * (bases before version 3 list every row on both sides, so the same reading holds).
 * @param {Json | null | undefined} base @param {string} key the row's Chargebee attribute
 */
function baseValues(base, key) {
  if (!base) return null;
  const customerp = base.customerp?.[key] ?? null;
  const cb = base.chargebee ?? {};
  return { customerp, chargebee: Object.hasOwn(cb, key) ? cb[key] : customerp };
}

/**
 * One row per property for `explain`: both values (Chargebee's also in Customerp's form, so they
 * compare), the last synced values, and what the plan does with it.
 * @param {string} flow @param {{ customerp: Json | null, chargebee: Json | null, base: Json | null }} input
 * @param {Plan} plan @param {import("customerp-chargebee").Options} options
 * @param {import("customerp-chargebee").Conflict[]} drift conflicts a repair would report
 * @param {{ property: string, side: string, value: unknown }[]} [overrides] conflicts a person overrode
 */
export function propertyRows(flow, input, plan, options, drift, overrides = []) {
  const info = flowInfo(flow, options);
  const cbAsCp = input.chargebee ? safe(() => toCustomerp(/** @type {any} */ (flow), /** @type {Json} */ (input.chargebee), options)) : null;
  const cpAsCb = input.customerp ? safe(() => toChargebee(/** @type {any} */ (flow), /** @type {Json} */ (input.customerp), options)) : null;
  const ro = /** @type {string[]} */ (options.readOnly ?? []);
  return info.properties.map((p) => {
    const field = p.customerp.replace(/ \(else .*\)$/, "");
    const twoWayOrToCp = p.direction !== "to-chargebee";
    const customerp = input.customerp ? (twoWayOrToCp || !cpAsCb ? valueAt(input.customerp, field) : valueAt(input.customerp, field) ?? valueAt(cpAsCb, p.chargebee)) ?? null : null;
    const chargebee = input.chargebee ? (twoWayOrToCp && cbAsCp ? valueAt(cbAsCp, field) : valueAt(input.chargebee, p.chargebee)) ?? null : null;
    const base = baseValues(input.base, p.chargebee);
    const after = baseValues(/** @type {Json | null} */ (plan.base ?? null), p.chargebee);
    const conflict = plan.conflicts.find((c) => c.property === p.customerp || c.property === field);
    const warning = plan.warnings.find((w) => w.property === p.customerp || w.property === field);
    const toCp = plan.customerp.action !== "none" && plan.customerp.changes !== undefined && valueAt(plan.customerp.changes, field) !== undefined
      && !sameJson(valueAt(plan.customerp.changes, field), valueAt(input.customerp, field));
    const differs = !same(customerp, chargebee) && !(after && sameJson(after.customerp, after.chargebee) && sameJson(after.customerp, base?.customerp ?? after.customerp));
    const toCb = !toCp && plan.chargebee.requests.length > 0 && p.direction !== "to-customerp" && !same(customerp, chargebee)
      && (plan.chargebee.action === "create" ? customerp !== null : Boolean(after && sameJson(after.customerp, after.chargebee)));
    const d = drift.find((c) => c.property === p.customerp || c.property === field);
    let decision;
    const override = overrides.find((o) => o.property === field);
    if (override) decision = `kept by a person: ${override.side}'s value ${JSON.stringify(override.value)}, written to both sides`;
    else if (conflict) decision = `conflict: ${conflict.winner} wins (${conflict.rule})`;
    else if (plan.chargebee.action === "manual" && p.direction !== "to-customerp" && differs) decision = "by hand in Chargebee (see the manual step)";
    else if (toCp) decision = "copy to Customerp";
    else if (warning) decision = `not written: ${warning.code}: ${warning.message}`;
    else if (toCb) decision = "copy to Chargebee";
    else if (d) decision = "differs, and neither side changed since the last sync (drift: run --full --repair)";
    else if (!differs) decision = "equal";
    else if (ro.includes("customerp") && p.direction !== "to-chargebee") decision = "not written: Customerp is read-only for this flow";
    else if (ro.includes("chargebee") && p.direction !== "to-customerp") decision = "not written: Chargebee is read-only for this flow";
    else if (p.direction !== "both") decision = `one way (${p.direction}): not copied the other way`;
    // Two-way, no write, no conflict, no drift: the plugin holds the values equal (e-mail case, Unicode forms, …).
    else decision = "equal, as the plugin compares them";
    return { property: p.customerp, chargebeeProperty: p.chargebee, direction: p.direction, mapped: p.mapped === true, customerp, chargebee, base, decision };
  });
}

/** @template T @param {() => T} f @returns {T | null} */
function safe(f) {
  try {
    return f();
  } catch {
    return null;
  }
}

/** Loose equality for display: the same JSON, or the same text. @param {unknown} a @param {unknown} b */
function same(a, b) {
  if (sameJson(a, b)) return true;
  if (a === null || b === null || typeof a === "object" || typeof b === "object") return false;
  return String(a).normalize("NFC") === String(b).normalize("NFC");
}
