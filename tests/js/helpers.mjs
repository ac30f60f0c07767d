// Shared helpers of the flow tests:
//   plan / planBatch   the package's functions, with every returned plan checked against the official SDK
//                      (oracle.mjs: validatePlan, and encodeForm(params) === the SDK's own form body)
//   applyChargebee     a small fake Chargebee that applies a plan's requests to a record, as Chargebee would
//   applyCustomerp     applies a plan's Customerp action to a record, as a connector would
//   syncRounds         plan → apply both sides → plan again, until nothing is left to do
import assert from "node:assert/strict";
import * as pkg from "customerp-chargebee";
import { placeholder, sdkEncodeForm, validatePlan, decodeForm } from "./oracle.mjs";

/** How many plans and requests went through the oracle (a test checks these are not zero). */
export const checked = { plans: 0, requests: 0, encodings: 0 };

const isPlainObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** A deep copy with every `{ "$result": i, "path": "a.b" }` replaced by resolve(ref). */
export function resolveRefs(value, resolve) {
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, resolve));
  if (!isPlainObject(value)) return value;
  if (Object.hasOwn(value, "$result")) return resolve(value);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(v, resolve)]));
}

const hasRef = (value) =>
  Array.isArray(value) ? value.some(hasRef)
    : isPlainObject(value) ? Object.hasOwn(value, "$result") || Object.values(value).some(hasRef)
      : false;

/**
 * The checks every plan gets: the oracle accepts each request (SDK schema, endpoint, distinct idempotency keys,
 * references to earlier requests only), and the package's encodeForm gives byte for byte the body the SDK sends.
 */
export function checkPlan(plan, label = "plan") {
  assert.ok(isPlainObject(plan), `${label}: not an object`);
  try {
    validatePlan(plan);
  } catch (e) {
    throw new assert.AssertionError({ message: `${label} (${plan.flow}): the oracle rejects a request: ${e.message}\nplan: ${JSON.stringify(plan)}` });
  }
  checked.plans++;
  for (const [i, req] of plan.chargebee.requests.entries()) {
    checked.requests++;
    const params = resolveRefs(req.params, placeholder);
    const ours = pkg.encodeForm(params);
    const sdk = sdkEncodeForm(req);
    if (ours !== sdk) {
      assert.deepEqual(decodeForm(ours), decodeForm(sdk),
        `${label} (${plan.flow}) request ${i} ${req.path}: encodeForm differs from the SDK's encoding`);
      assert.equal(ours, sdk, `${label} (${plan.flow}) request ${i} ${req.path}: encodeForm differs from the SDK's encoding (same pairs, other bytes)`);
    }
    checked.encodings++;
    if (hasRef(req.params)) {
      // The raw params cannot be encoded: the reference has to be resolved by the host first.
      assert.throws(() => pkg.encodeForm(req.params), (e) => e.name === "SyncError" && e.code === "invalid_value");
    }
  }
  return plan;
}

/** The package's plan(), checked by checkPlan. The input is never modified. */
export function plan(flow, input, options) {
  const frozen = structuredClone(input);
  const out = options === undefined ? pkg.plan(flow, input) : pkg.plan(flow, input, options);
  assert.deepEqual(input, frozen, "plan() modified its input");
  return checkPlan(out, `plan(${flow})`);
}

/** The package's planUndo(), checked by checkPlan. The inputs are never modified. */
export function planUndo(flow, input, undo, options) {
  const frozen = structuredClone([input, undo]);
  const out = options === undefined ? pkg.planUndo(flow, input, undo) : pkg.planUndo(flow, input, undo, options);
  assert.deepEqual([input, undo], frozen, "planUndo() modified its input");
  assert.ok(Array.isArray(out.skipped), "an undo plan lists what it skipped");
  return checkPlan(out, `planUndo(${flow})`);
}

/** The UndoInput that puts a plan's changes back: `before` each change's `from`, `after` its `to`. */
export const undoOf = (changes) => ({
  properties: changes.map(({ side, property, chargebee, line, from, to }) => ({ side, property, chargebee, ...(line ? { line } : {}), before: from, after: to })),
});

/** The package's planBatch(), every planned slot checked by checkPlan. */
export function planBatch(flow, inputs, options) {
  const out = options === undefined ? pkg.planBatch(flow, inputs) : pkg.planBatch(flow, inputs, options);
  assert.ok(Array.isArray(out), "planBatch() returned no array");
  out.forEach((slot, i) => {
    if (slot.ok) checkPlan(slot.plan, `planBatch(${flow})[${i}]`);
  });
  return out;
}

/** A deep merge: objects are merged key by key, anything else (arrays too) replaces. */
export function patch(value, changes) {
  if (!isPlainObject(value) || !isPlainObject(changes)) return structuredClone(changes);
  const out = structuredClone(value);
  for (const [k, v] of Object.entries(changes)) out[k] = isPlainObject(out[k]) && isPlainObject(v) ? patch(out[k], v) : structuredClone(v);
  return out;
}

/** The `[path, params]` of each Chargebee request of a plan. */
export const requests = (p) => p.chargebee.requests.map((r) => [r.path, r.params]);

/** Is a plan a no-op on both sides? */
export const quiet = (p) => p.chargebee.action === "none" && p.customerp.action === "none" && p.chargebee.requests.length === 0;

// ---- a fake Chargebee ----------------------------------------------------------------------------------

const dropEmpty = (obj) => Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== "" && v !== undefined));

/**
 * Applies plan.chargebee.requests to `current` (the customer, item with its `item_prices`, or order the plan is
 * about) the way Chargebee does, and returns the new record (null once deleted). `now` is the clock in Unix
 * seconds. References `{ "$result": i, "path": "invoice.id" }` are resolved from earlier responses. A manual
 * action changes nothing: a person has to do it in Chargebee's settings.
 */
export function applyChargebee(current, plan, now) {
  let rec = current === null || current === undefined ? null : structuredClone(current);
  const results = [];
  for (const req of plan.chargebee.requests) {
    assert.equal(req.method, "POST", `the fake only takes POSTs: ${req.method} ${req.path}`);
    const params = resolveRefs(req.params, (ref) => {
      const res = results[ref.$result];
      assert.ok(res, `reference to request ${ref.$result}, which has not run`);
      const value = ref.path.split(".").reduce((v, k) => v?.[k], res);
      assert.ok(value !== undefined, `reference ${JSON.stringify(ref)} does not resolve in ${JSON.stringify(res)}`);
      return value;
    });
    const parts = req.path.slice(1).split("/").map(decodeURIComponent);
    const [resource, id, action] = parts;
    let result = {};
    const need = (what) => {
      assert.ok(rec, `${req.path}: the ${what} does not exist`);
      if (id !== undefined && resource !== "item_prices") assert.equal(rec.id, id, `${req.path}: not the record ${rec.id}`);
      return rec;
    };
    if (resource === "customers") {
      if (id === undefined) {
        assert.ok(!rec || rec.deleted, `POST /customers: ${rec?.id} exists already`);
        rec = { object: "customer", deleted: false, auto_collection: "on", net_term_days: 0, created_at: now, ...params };
        if (rec.billing_address) rec.billing_address = { ...dropEmpty(rec.billing_address), object: "billing_address" };
      } else if (action === undefined) {
        need("customer");
        assert.ok(!("billing_address" in params), "Chargebee's plain customer update rejects billing_address");
        Object.assign(rec, params); // meta_data is replaced whole
      } else if (action === "update_billing_info") {
        need("customer");
        const { billing_address: address, ...billingInfo } = params; // vat_number and the other billing-info attributes
        Object.assign(rec, billingInfo);
        if (address) rec.billing_address = { ...dropEmpty(address), object: "billing_address" };
      } else if (action === "delete") {
        need("customer");
        rec = null;
      } else assert.fail(`unexpected request ${req.path}`);
      if (rec) rec = dropEmpty(rec);
      result = rec ? { customer: rec } : {};
    } else if (resource === "items") {
      if (id === undefined) {
        assert.ok(!rec || rec.status === "deleted", `POST /items: ${rec?.id} exists already`);
        rec = { object: "item", status: "active", deleted: false, is_giftable: false, metered: false,
                enabled_for_checkout: true, enabled_in_portal: true, channel: "web", created_at: now, ...params, item_prices: [] };
      } else if (action === undefined) {
        need("item");
        assert.ok(!("type" in params) && !("id" in params), `${req.path}: type and id are immutable`);
        Object.assign(rec, params);
      } else if (action === "delete") {
        need("item");
        assert.ok(rec.item_prices.every((p) => p.status === "deleted"), "Chargebee refuses to delete an item with live prices");
        rec.status = "deleted";
      } else assert.fail(`unexpected request ${req.path}`);
      result = { item: rec };
    } else if (resource === "item_prices") {
      assert.ok(rec, `${req.path}: no item`);
      if (id === undefined) {
        assert.equal(params.item_id, rec.id, "an item price of another item");
        assert.ok(!rec.item_prices.some((p) => p.id === params.id && p.status !== "deleted"), `item price ${params.id} exists already`);
        const price = { object: "item_price", status: "active", pricing_model: "flat_fee", item_type: rec.type, item_family_id: rec.item_family_id,
                        free_quantity: 0, created_at: now, updated_at: now, deleted: false, ...params };
        rec.item_prices = [...rec.item_prices, price];
        result = { item_price: price };
      } else {
        const price = rec.item_prices.find((p) => p.id === id);
        assert.ok(price, `${req.path}: no such item price`);
        if (action === "delete") price.status = "deleted";
        else if (action === undefined) Object.assign(price, params);
        else assert.fail(`unexpected request ${req.path}`);
        price.updated_at = now;
        result = { item_price: price };
      }
    } else if (resource === "invoices" && id === "create_for_charge_items_and_charges") {
      const lines = (params.item_prices ?? []).map((l, i) => ({
        id: `li_${i}`, entity_type: "charge_item_price", entity_id: l.item_price_id, quantity: l.quantity ?? 1,
        unit_amount: l.unit_price ?? 1000, amount: (l.unit_price ?? 1000) * (l.quantity ?? 1), description: `line ${i}`, object: "line_item" }));
      const invoice = { id: `inv_${now}`, object: "invoice", customer_id: params.customer_id, currency_code: params.currency_code,
                        line_items: lines, sub_total: lines.reduce((s, l) => s + l.amount, 0), status: "paid", date: now };
      if (params.shipping_address) invoice.shipping_address = dropEmpty(params.shipping_address);
      result = { invoice };
    } else if (resource === "orders") {
      if (id === undefined) {
        const invoice = results.map((r) => r.invoice).find((inv) => inv && inv.id === params.invoice_id);
        assert.ok(invoice, `POST /orders: invoice ${params.invoice_id} was not created in this plan`);
        const lines = invoice.line_items.map((l, i) => ({
          id: `o_li_${i}`, invoice_id: invoice.id, invoice_line_item_id: l.id, entity_type: "charge_item_price", entity_id: l.entity_id,
          fulfillment_quantity: l.quantity, unit_price: l.unit_amount, amount: l.amount, description: l.description,
          status: "queued", is_shippable: true, object: "order_line_item" }));
        rec = { object: "order", status: "queued", deleted: false, created_at: now, order_date: now, shipping_date: now,
                customer_id: invoice.customer_id, currency_code: invoice.currency_code, order_line_items: lines,
                sub_total: invoice.sub_total, total: invoice.sub_total, is_resent: false, price_type: "tax_exclusive",
                order_type: "manual", ...(invoice.shipping_address ? { shipping_address: invoice.shipping_address } : {}), ...params };
      } else if (action === undefined) {
        need("order");
        for (const [k, v] of Object.entries(params)) {
          if (k === "order_line_items") {
            for (const upd of v) {
              const line = rec.order_line_items.find((l) => l.id === upd.id);
              assert.ok(line, `${req.path}: no order line ${upd.id}`);
              Object.assign(line, upd);
            }
          } else if (k === "shipping_address") {
            // Merged field by field (the plugin sends only the changed fields of the address).
            rec.shipping_address = dropEmpty({ ...rec.shipping_address, ...v });
          } else rec[k] = v;
        }
      } else if (action === "cancel") {
        need("order");
        rec.status = "cancelled";
        rec.cancellation_reason = params.cancellation_reason;
        rec.cancelled_at = params.cancelled_at ?? now;
      } else assert.fail(`unexpected request ${req.path}`);
      result = { order: rec };
    } else {
      assert.fail(`the fake does not know ${req.method} ${req.path}`);
    }
    // An item price is a resource of its own: writing it moves its own clock, not the item's.
    if (rec && resource !== "item_prices") {
      rec.updated_at = now;
      rec.resource_version = now * 1000;
    }
    results.push(structuredClone(result));
  }
  return rec;
}

/** Applies plan.customerp to a Customerp record as a connector would; a create gets `newId`. */
export function applyCustomerp(current, plan, { newId = "900", now = "2026-06-01T12:00:00+02:00" } = {}) {
  const a = plan.customerp;
  switch (a.action) {
    case "none":
      return current ?? null;
    case "delete":
      return null;
    case "create":
      return { ...structuredClone(a.changes), id: newId, created: now, updated: now };
    case "update":
      assert.ok(current, "update of a missing Customerp record");
      if (a.id !== undefined && current.id !== undefined) assert.equal(String(a.id), String(current.id));
      return { ...structuredClone(current), ...structuredClone(a.changes), updated: now };
    default:
      assert.fail(`unknown Customerp action ${a.action}`);
  }
}

/**
 * Syncs a pair until a plan has nothing left to do: plan, apply both sides, repeat. Returns every plan and the
 * final state; fails when it does not settle within `maxRounds` writing plans.
 */
export function syncRounds(flow, { customerp = null, chargebee = null, base = null, links }, options, {
  maxRounds = 1, clock = 1_780_000_000, newId = "900", cpClock = Date.UTC(2026, 5, 1, 10) / 1000,
} = {}) {
  const plans = [];
  let state = { customerp, chargebee, base };
  for (let round = 0; round <= maxRounds; round++) {
    const input = { ...state, ...(links ? { links } : {}) };
    const p = plan(flow, input, options);
    plans.push(p);
    if (quiet(p)) {
      assert.deepEqual(p.conflicts, [], `${flow}: a quiet plan reports conflicts`);
      return { plans, last: p, ...state, base: p.base };
    }
    const now = new Date((cpClock + round * 3600) * 1000).toISOString().replace(".000Z", "Z");
    state = {
      customerp: applyCustomerp(state.customerp, p, { newId, now }),
      chargebee: applyChargebee(state.chargebee, p, clock + round * 100),
      base: p.base,
    };
  }
  assert.fail(`${flow}: still writing after ${maxRounds} round(s): ${JSON.stringify(plans.at(-1))}`);
}
