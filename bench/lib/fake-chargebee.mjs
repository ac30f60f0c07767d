// Applies a plan's Chargebee requests to one resource the way Chargebee does (customers, items
// with their prices under `item_prices`, orders made from an invoice), and a plan's Customerp
// changes to a Customerp record: enough to re-plan after a sync and check that nothing is written.

function resolve(params, results) {
  const out = { ...params };
  for (const [k, v] of Object.entries(out)) {
    if (v && typeof v === "object" && "$result" in v) {
      out[k] = v.path.split(".").reduce((r, seg) => r?.[seg], results[v.$result]);
    }
  }
  return out;
}

function dropEmpty(o) {
  for (const k of Object.keys(o)) if (o[k] === "") delete o[k];
  return o;
}

/** The Chargebee resource after the plan's requests (null when deleted). */
export function applyChargebee(current, plan, now) {
  let rec = current ? structuredClone(current) : null;
  const results = [];
  for (const req of plan.chargebee.requests) {
    const params = resolve(req.params, results);
    const parts = req.path.replace(/^\//, "").split("/");
    let result = {};
    const key = req.path === "/invoices/create_for_charge_items_and_charges" ? "invoice"
      : parts.length === 1 ? parts[0] : parts.length === 2 ? `${parts[0]}/:id` : `${parts[0]}/:id/${parts[2]}`;
    switch (key) {
      case "customers":
        rec = dropEmpty({ object: "customer", deleted: false, auto_collection: "on", created_at: now, net_term_days: 0, ...params });
        break;
      case "customers/:id":
        Object.assign(rec, params);
        dropEmpty(rec);
        break;
      case "customers/:id/update_billing_info":
        rec.billing_address = dropEmpty({ ...params.billing_address });
        break;
      case "customers/:id/delete":
        return null;
      case "items":
        rec = { object: "item", status: "active", deleted: false, created_at: now, item_prices: [], ...params };
        break;
      case "items/:id":
        Object.assign(rec, params);
        break;
      case "items/:id/delete":
        rec.status = "deleted";
        break;
      case "item_prices":
        rec.item_prices.push({ object: "item_price", status: "active", created_at: now, updated_at: now, ...params });
        break;
      case "item_prices/:id": {
        Object.assign(rec.item_prices.find((p) => p.id === parts[1]), params);
        break;
      }
      case "item_prices/:id/delete":
        rec.item_prices.find((p) => p.id === parts[1]).status = "deleted";
        break;
      case "orders":
        {
          const invoice = results[0].invoice;
          const lines = invoice.line_items.map((l, i) => ({ id: `o_li_${i}`, invoice_id: invoice.id, entity_type: "charge_item_price",
            entity_id: l.entity_id, fulfillment_quantity: l.quantity, unit_price: l.unit_price, description: l.description,
            status: "queued", is_shippable: true }));
          const subtotal = lines.reduce((s, l) => s + l.unit_price * l.fulfillment_quantity, 0);
          rec = { object: "order", status: "queued", deleted: false, created_at: now, order_date: now, shipping_date: now,
            customer_id: invoice.customer_id, currency_code: invoice.currency_code, order_line_items: lines, sub_total: subtotal,
            total: subtotal, is_resent: false, price_type: "tax_exclusive" };
          if (invoice.shipping_address) rec.shipping_address = invoice.shipping_address;
          Object.assign(rec, params);
        }
        break;
      case "orders/:id":
        for (const [k, v] of Object.entries(params)) {
          if (k === "order_line_items") {
            for (const upd of v) Object.assign(rec.order_line_items.find((l) => l.id === upd.id), upd);
          } else rec[k] = v;
        }
        break;
      case "orders/:id/cancel":
        rec.status = "cancelled";
        rec.cancellation_reason = params.cancellation_reason;
        rec.cancelled_at = params.cancelled_at ?? now;
        break;
      case "orders/:id/reopen":
        rec.status = "queued";
        break;
      case "invoice":
        result = { invoice: { id: `inv_${now}`, customer_id: params.customer_id, currency_code: params.currency_code,
          line_items: params.item_prices.map((l, i) => ({ id: `li_${i}`, entity_id: l.item_price_id, quantity: l.quantity,
            unit_price: l.unit_price ?? 1000, description: `line ${i}` })),
          shipping_address: params.shipping_address ?? null } };
        break;
      default:
        throw new Error(`unexpected request ${req.method} ${req.path}`);
    }
    if (rec) rec.updated_at = now;
    results.push(result);
  }
  return rec;
}

/** The Customerp record after the plan's Customerp action. */
export function applyCustomerp(current, plan, newId, now) {
  const a = plan.customerp;
  switch (a.action) {
    case "none":
      return current;
    case "delete":
      return null;
    case "create":
      return { ...a.changes, id: newId, created: now, updated: now };
    case "update":
      return { ...current, ...a.changes, updated: now };
    default:
      throw new Error(`unknown Customerp action ${a.action}`);
  }
}

/** Writes a plan makes: Chargebee requests (each is a write: all are POSTs) plus a Customerp write if any. */
export function writes(plan) {
  return { chargebee: plan.chargebee.requests.length, customerp: plan.customerp.action === "none" ? 0 : 1 };
}
