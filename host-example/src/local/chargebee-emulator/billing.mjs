// Invoices for charge items and the orders made from them. Chargebee has no order without an invoice.
import { coerce, requireParams } from "./schema.mjs";
import { duplicate, invalidState, notFound, wrongValue } from "./errors.mjs";
import { address, compact, randomId } from "./site.mjs";
import { INVOICE_FOR_CHARGE_ITEMS, ORDER_CANCEL, ORDER_CREATE, ORDER_REOPEN, ORDER_UPDATE } from "./schemas.mjs";

/** @typedef {import("./site.mjs").Site} Site */
/** @typedef {Record<string, any>} Json */

/** POST /invoices/create_for_charge_items_and_charges. @param {Site} site @param {Json} params */
export function createInvoiceForChargeItems(site, params) {
  const p = coerce(INVOICE_FOR_CHARGE_ITEMS, params);
  requireParams(p, ["customer_id"]);
  const customer = site.find("customer", p.customer_id, { param: "customer_id" });
  const currency = p.currency_code ?? customer.preferred_currency_code ?? site.baseCurrency;
  site.checkCurrency("currency_code", currency);
  const now = site.nowSec();
  const base = (/** @type {string} */ description, /** @type {number} */ unit, /** @type {number} */ qty) => ({
    id: `li_${randomId()}`, date_from: now, date_to: now, unit_amount: unit, quantity: qty, amount: unit * qty,
    pricing_model: "flat_fee", is_taxed: false, tax_amount: 0, object: "line_item", customer_id: customer.id, description,
  });
  /** @type {Json[]} */
  const lines = [];
  (p.item_prices ?? []).forEach((/** @type {Json} */ row, /** @type {number} */ i) => {
    const param = `item_prices[item_price_id][${i}]`;
    if (!row.item_price_id) throw wrongValue(param, "cannot be blank");
    const ip = site.tables.item_price.get(row.item_price_id)?.data;
    if (!ip || ip.deleted) throw notFound(param, `${param} : item price ${row.item_price_id} not found`);
    if (ip.status !== "active") throw wrongValue(param, `item price ${ip.id} is ${ip.status}`);
    if (ip.item_type !== "charge") {
      throw wrongValue(param, `${ip.id} is a ${ip.item_type} item price; only charge item prices can be invoiced this way`);
    }
    if (ip.currency_code !== currency) throw wrongValue(param, `${ip.id} is priced in ${ip.currency_code}, the invoice in ${currency}`);
    const item = site.tables.item.get(ip.item_id)?.data;
    lines.push({
      ...base(ip.external_name ?? item?.name ?? ip.name, row.unit_price ?? ip.price ?? 0, row.quantity ?? 1),
      pricing_model: ip.pricing_model, entity_type: "charge_item_price", entity_id: ip.id, metered: false,
      tax_exempt_reason: "tax_not_configured", discount_amount: 0, item_level_discount_amount: 0,
    });
  });
  (p.charges ?? []).forEach((/** @type {Json} */ row, /** @type {number} */ i) => {
    if (row.amount === undefined) throw wrongValue(`charges[amount][${i}]`, "cannot be blank");
    if (!row.description) throw wrongValue(`charges[description][${i}]`, "cannot be blank");
    lines.push({ ...base(row.description, row.amount, 1), entity_type: "adhoc", metered: false,
      tax_exempt_reason: "tax_not_configured", discount_amount: 0, item_level_discount_amount: 0 });
  });
  if (lines.length === 0) throw wrongValue("item_prices", "at least one item price or charge is required");
  const total = lines.reduce((s, l) => s + l.amount, 0);
  const paid = customer.auto_collection === "on" && customer.payment_method?.status === "valid";
  const inv = compact({
    id: String(++site.counters.invoice), customer_id: customer.id, recurring: false, status: paid ? "paid" : "payment_due",
    price_type: "tax_exclusive", date: p.invoice_date ?? now, due_date: now, net_term_days: customer.net_term_days ?? 0,
    exchange_rate: site.exchangeRate(currency), total, amount_paid: paid ? total : 0, amount_adjusted: 0, write_off_amount: 0, credits_applied: 0,
    amount_due: paid ? 0 : total, paid_at: paid ? now : undefined, updated_at: 0, resource_version: 0, deleted: false,
    object: "invoice", first_invoice: false, amount_to_collect: paid ? 0 : total, round_off_amount: 0,
    new_sales_amount: total, has_advance_charges: false, currency_code: currency, base_currency_code: site.baseCurrency,
    generated_at: now, is_gifted: false, term_finalized: true, channel: "web", business_entity_id: customer.business_entity_id,
    po_number: p.po_number, tax: 0, line_items: lines, sub_total: total, linked_payments: [], applied_credits: [],
    adjustment_credit_notes: [], issued_credit_notes: [], linked_orders: [], dunning_attempts: [],
  });
  if (customer.billing_address) inv.billing_address = { ...customer.billing_address };
  if (p.shipping_address) inv.shipping_address = address(p.shipping_address, "shipping_address");
  return { invoice: site.put("invoice", site.stamp(inv)) };
}

/** POST /orders (Chargebee's create: an order for an existing invoice). @param {Site} site @param {Json} params */
export function createOrder(site, params) {
  const p = coerce(ORDER_CREATE, params);
  requireParams(p, ["invoice_id"]);
  const inv = site.find("invoice", p.invoice_id, { param: "invoice_id" });
  const id = p.id ?? String(++site.counters.order);
  if (site.tables.order.has(id)) throw duplicate("id", id);
  const now = site.nowSec();
  const paid = inv.status === "paid";
  const lines = inv.line_items
    .filter((/** @type {Json} */ l) => l.entity_type !== "adhoc")
    .map((/** @type {Json} */ l) => {
      const ip = site.tables.item_price.get(l.entity_id)?.data;
      const item = ip && site.tables.item.get(ip.item_id)?.data;
      return compact({
        id: `o_li${randomId()}`, invoice_id: inv.id, invoice_line_item_id: l.id, unit_price: l.unit_amount,
        amount: l.amount, fulfillment_quantity: l.quantity, fulfillment_amount: l.amount, tax_amount: 0,
        amount_paid: paid ? l.amount : 0, amount_adjusted: 0, refundable_credits_issued: 0,
        refundable_credits: paid ? l.amount : 0, is_shippable: item?.is_shippable ?? false, sku: ip?.accounting_detail?.sku,
        status: "queued", object: "order_line_item", entity_id: l.entity_id, discount_amount: 0,
        item_level_discount_amount: 0, description: l.description, entity_type: l.entity_type,
      });
    });
  const total = lines.reduce((/** @type {number} */ s, /** @type {Json} */ l) => s + l.amount, 0);
  const order = compact({
    id, document_number: `ORD-${id}`, invoice_id: inv.id, customer_id: inv.customer_id, status: p.status ?? "new",
    payment_status: paid ? "paid" : "not_paid", order_type: "manual", price_type: "tax_exclusive",
    reference_id: p.reference_id, fulfillment_status: p.fulfillment_status, note: p.note, tracking_id: p.tracking_id,
    tracking_url: p.tracking_url, batch_id: p.batch_id, order_date: now, created_by: "API", tax: 0,
    amount_paid: paid ? total : 0, amount_adjusted: 0, refundable_credits_issued: 0, refundable_credits: paid ? total : 0,
    rounding_adjustement: 0, paid_on: paid ? inv.paid_at : undefined, exchange_rate: inv.exchange_rate, created_at: now,
    updated_at: 0, is_resent: false, resource_version: 0, deleted: false, object: "order", discount: 0, sub_total: total,
    order_line_items: lines, total, currency_code: inv.currency_code, base_currency_code: inv.base_currency_code,
    is_gifted: false, shipping_address: inv.shipping_address, billing_address: inv.billing_address,
    linked_credit_notes: [], resent_orders: [], business_entity_id: inv.business_entity_id,
  });
  inv.linked_orders.push(compact({ id, document_number: order.document_number, status: order.status,
    order_type: "manual", reference_id: order.reference_id, created_at: now }));
  return { order: site.put("order", site.stamp(order)) };
}

/** POST /orders/{id}. @param {Site} site @param {string} id @param {Json} params */
export function updateOrder(site, id, params) {
  const order = site.find("order", id);
  const { order_line_items, shipping_address, ...p } = coerce(ORDER_UPDATE, params);
  (order_line_items ?? []).forEach((/** @type {Json} */ row, /** @type {number} */ i) => {
    const line = order.order_line_items.find((/** @type {Json} */ l) => l.id === row.id);
    if (!line) throw wrongValue(`order_line_items[id][${i}]`, `${row.id} is not a line of order ${id}`);
    if (row.status) line.status = row.status;
    if (row.sku !== undefined) line.sku = row.sku;
    compact(line);
  });
  if (shipping_address) order.shipping_address = address({ ...order.shipping_address, ...shipping_address }, "shipping_address");
  if (p.status && p.status !== order.status) order.status_update_at = site.nowSec();
  Object.assign(order, p);
  return { order: site.stamp(compact(order)) };
}

/** POST /orders/{id}/cancel. @param {Site} site @param {string} id @param {Json} params */
export function cancelOrder(site, id, params) {
  const order = site.find("order", id);
  const p = coerce(ORDER_CANCEL, params);
  requireParams(p, ["cancellation_reason"]);
  if (order.status === "cancelled") throw invalidState(`Order ${id} is already cancelled`);
  const now = site.nowSec();
  Object.assign(order, { status: "cancelled", cancellation_reason: p.cancellation_reason,
    cancelled_at: p.cancelled_at ?? now, status_update_at: now });
  return { order: site.stamp(order) };
}

/**
 * POST /orders/{id}/reopen: a cancelled order back in the queue. Its cancellation reason and date go
 * (they described the cancellation the reopen undoes); only a cancelled order can be reopened.
 * @param {Site} site @param {string} id @param {Json} params
 */
export function reopenOrder(site, id, params) {
  const order = site.find("order", id);
  coerce(ORDER_REOPEN, params);
  if (order.status !== "cancelled") throw invalidState(`Order ${id} is not cancelled; only a cancelled order can be reopened`);
  delete order.cancellation_reason;
  delete order.cancelled_at;
  Object.assign(order, { status: "queued", status_update_at: site.nowSec() });
  return { order: site.stamp(order) };
}
