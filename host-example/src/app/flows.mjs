// The six flows as the host runs them, in dependency order: parents first, so their links exist when
// the children are planned. `parents` are the flows whose links go into each plan input.
import { plan } from "customerp-chargebee";

/**
 * @typedef {object} FlowSpec
 * @property {import("customerp-chargebee").FlowId} id
 * @property {string} customerp Customerp record type (REST collection)
 * @property {"business_entity" | "item" | "customer" | "order"} chargebee the Chargebee resource reader
 * @property {import("customerp-chargebee").FlowId[]} parents
 * @property {boolean} [followsUp] a create leaves rows its requests cannot set (an order's date, statuses
 *   and line skus) to the next plan, made at once from the create's own response
 * @property {{ flow: import("customerp-chargebee").FlowId, customerp?: (r: Record<string, any>) => unknown[], chargebee?: (r: Record<string, any>) => unknown[] }[]} [refs]
 *   the records of parent flows a record names: Customerp ids in a Customerp record, Chargebee ids in a Chargebee one
 *   (a run gives a page of plans the links of just these)
 * @property {{ flow: import("customerp-chargebee").FlowId, field: string }} [takesOver] a record that names
 *   a record of that flow in `field` takes over its Chargebee record (an order made from a quote), so it
 *   waits while that one waits for the order Chargebee generates
 */

/** @param {Record<string, any>} r */
const lines = (r) => (Array.isArray(r.lines) ? r.lines : []);
/** An order line's item price `{item id}-{CURRENCY}` names the item: both, as the currency is not known here. @param {Record<string, any>} r */
const itemsOfOrder = (r) => (Array.isArray(r.order_line_items) ? r.order_line_items : []).flatMap((l) => {
  const e = typeof l?.entity_id === "string" ? l.entity_id : null;
  return e ? [e, e.replace(/-[A-Z]{3}$/, "")] : [];
});
/** @type {NonNullable<FlowSpec["refs"]>} */
const salesRefs = [
  { flow: "contact-customer", customerp: (r) => [r.contact_id], chargebee: (r) => [r.customer_id] },
  { flow: "product-item", customerp: (r) => lines(r).map((l) => l?.product_id), chargebee: itemsOfOrder },
];

/** @type {FlowSpec[]} */
export const FLOWS = [
  { id: "customer-business_entity", customerp: "customers", chargebee: "business_entity", parents: [] },
  { id: "product-item", customerp: "products", chargebee: "item", parents: [] },
  { id: "contact-customer", customerp: "contacts", chargebee: "customer", parents: ["customer-business_entity"],
    refs: [{ flow: "customer-business_entity", customerp: (r) => [r.customer_id] }] },
  { id: "employee-customer", customerp: "employees", chargebee: "customer", parents: [] },
  { id: "quote-order", customerp: "quotes", chargebee: "order", parents: ["contact-customer", "product-item"], followsUp: true, refs: salesRefs },
  { id: "order-order", customerp: "orders", chargebee: "order", parents: ["contact-customer", "product-item", "quote-order"], followsUp: true,
    takesOver: { flow: "quote-order", field: "quote_id" }, refs: [...salesRefs, { flow: "quote-order", customerp: (r) => [r.quote_id] }] },
];

/**
 * Whether the installed customerp-chargebee plans this flow: an empty pair is planned, and only a
 * SyncError `unknown_flow` means the flow is missing from this build.
 * @param {string} flow
 */
export function flowAvailable(flow) {
  try {
    plan(/** @type {any} */ (flow), { customerp: null, chargebee: null, base: null });
    return true;
  } catch (e) {
    return !(e instanceof Error && /** @type {any} */ (e).code === "unknown_flow");
  }
}
