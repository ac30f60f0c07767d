//! order-order — Customerp Order ⇄ Chargebee Order.

use super::order::{self, CURRENCY, CUSTOMER, DELIVERY_ADDRESS, LINES, LINE_STATUS, NOTE, REFERENCE};
use crate::engine::plan::Wait;
use crate::engine::record::Record;
use crate::engine::table::{both, CpSource, EnumMap, Kind::*, Prop};
use crate::engine::{field, Criterion, Ctx, Flow, FlowDoc, FlowId, RequestSpec};
use crate::error::{pointer, Result};
use crate::values;
use serde_json::{json, Map, Value};
use std::borrow::Cow;

pub struct OrderOrder;

static STATUS: EnumMap = EnumMap {
    pairs: &[
        ("confirmed", "queued"),
        ("awaiting_shipment", "awaiting_shipment"),
        ("on_hold", "on_hold"),
        ("shipped", "shipped"),
        ("partially_delivered", "partially_delivered"),
        ("delivered", "delivered"),
        ("returned", "returned"),
        ("cancelled", "cancelled"),
        ("draft", "queued"),
    ],
    // Legacy order states of older Chargebee sites.
    chargebee_aliases: &[("new", "queued"), ("processing", "queued"), ("complete", "delivered"), ("voided", "cancelled")],
    customerp_unknown: None,
};

static CANCELLATION_REASON: EnumMap = EnumMap {
    pairs: &[
        ("shipping_cut_off_passed", "shipping_cut_off_passed"),
        ("product_unsatisfactory", "product_unsatisfactory"),
        ("third_party_cancellation", "third_party_cancellation"),
        ("product_not_required", "product_not_required"),
        ("delivery_date_missed", "delivery_date_missed"),
        ("alternative_found", "alternative_found"),
        ("invoice_written_off", "invoice_written_off"),
        ("invoice_voided", "invoice_voided"),
        ("fraudulent_transaction", "fraudulent_transaction"),
        ("payment_declined", "payment_declined"),
        ("subscription_cancelled", "subscription_cancelled"),
        ("product_not_available", "product_not_available"),
        ("others", "others"),
        ("order_resent", "order_resent"),
    ],
    chargebee_aliases: &[],
    customerp_unknown: Some("others"),
};

const REASON: Prop = both("cancellation_reason", "cancellation_reason", "enum (Chargebee's list; missing or unknown → others)", Enum(&CANCELLATION_REASON))
    .from(CpSource::Computed(cancellation_reason));

/// Chargebee's reason for a cancelled order: unknown → `others` (warned), missing → `others`.
fn cancellation_reason(rec: &Value, root: &str, ctx: &mut Ctx) -> Result<Value> {
    let at = pointer(root, "cancellation_reason");
    let v = REASON.read_cp_value(REASON.kind, rec.get("cancellation_reason"), &at, ctx)?;
    let cancelled = rec.get("status").and_then(Value::as_str) == Some("cancelled");
    Ok(if v.is_null() && cancelled { json!("others") } else { v })
}

const fn props() -> [Prop; 27] {
    let [a1, a2, a3, zip, city, region, country] = DELIVERY_ADDRESS;
    let [product, sku, description, quantity, unit_price] = LINES;
    [
        REFERENCE,
        both("status", "status", "enum: confirmed ↔ queued; awaiting_shipment, on_hold, shipped, partially_delivered, delivered, returned as such; cancelled ↔ cancel", Enum(&STATUS)),
        CUSTOMER,
        CURRENCY,
        both("order_date", "order_date", "timestamp", Date),
        both("delivery_date", "shipping_date", "timestamp", Date),
        both("shipped_at", "shipped_at", "timestamp", Instant),
        both("delivered_at", "delivered_at", "timestamp", Instant),
        both("cancelled_at", "cancelled_at", "timestamp", Instant),
        REASON,
        both("tracking_number", "tracking_id", "string(50)", Text(50)),
        both("tracking_url", "tracking_url", "string(255)", Text(255)),
        both("carrier", "shipment_carrier", "string(50)", Text(50)),
        NOTE,
        a1, a2, a3, zip, city, region, country,
        product, sku, description, quantity, unit_price,
        both("lines.status", "order_line_items.status", "enum queued, awaiting_shipment, on_hold, delivered, shipped, partially_delivered, returned, cancelled", Each(&LINE_STATUS)),
    ]
}

static PROPS: [Prop; 27] = props();

static DOC: FlowDoc = FlowDoc {
    customerp_type: "Order",
    chargebee_resource: "Order",
    sentences: "A Customerp order is a confirmed sale to be delivered; in Chargebee an order is the fulfilment record \
                of an invoice. Every confirmed order becomes a Chargebee order, and each Chargebee order that is not \
                a quote's becomes a Customerp order.",
    merge_criteria: &["Chargebee order `reference_id` (its `id` when it has no reference) equals the order `number`"],
    rules: &[
        "As quote-order, with these as well; a `draft` order waits, and one cancelled before it reached Chargebee is not created.",
        "An order made from a quote (`quote_id` set, and that quote linked) takes over the quote's Chargebee order: \
         no second order; the plan's `link.chargebee` is the quote's order, and with that order as input the next plan \
         rewrites its `reference_id` to the order number.",
        "`cancelled` is written through `POST /orders/{id}/cancel` with the order's `cancellation_reason` (missing or \
         unknown → `others`); back from cancelled through `POST /orders/{id}/reopen`.",
        "Line status and sku are written by Chargebee's line id, only for the lines that changed. Lines are paired by \
         the line ids the last sync remembers, else sku, else position, so a sku edit on either side keeps the pair; \
         each pair is merged on its own (a conflict names the Customerp and Chargebee line), and at a pair's first \
         sync a filled value never loses to an empty one.",
        "`cancellation_reason` and `cancelled_at` are decided with `status`: when the status loses a conflict, they \
         lose with it (reported) and nothing is written for them.",
        "A cancelled Chargebee order linked to no Customerp record (what a deleted quote or order leaves behind) is \
         neither copied to Customerp nor matched.",
        "A new Chargebee order whose `reference_id` matches a quote number joins quote-order (by `match`), else it \
         creates a Customerp order.",
        "A deleted order cancels its Chargebee order; a deleted Chargebee order cancels the Customerp order.",
    ],
};

impl Flow for OrderOrder {
    fn id(&self) -> FlowId {
        FlowId::OrderOrder
    }
    fn doc(&self) -> &'static FlowDoc {
        &DOC
    }
    fn props(&self) -> &'static [Prop] {
        &PROPS
    }
    fn resource_key(&self) -> &'static str {
        "order"
    }
    fn criteria(&self) -> &'static [Criterion] {
        &super::quote_order::CRITERIA
    }
    fn check_customerp(&self, rec: &Value, root: &str, ctx: &mut Ctx) -> Result<()> {
        order::check_customerp(rec, root, ctx)
    }
    fn chargebee_view<'a>(&self, rec: &'a Value, root: &str, ctx: &mut Ctx) -> Result<Cow<'a, Value>> {
        order::chargebee_view(rec, root, ctx)
    }
    fn input_path(&self, path: String, ctx: &Ctx) -> String {
        order::input_path(path, ctx)
    }
    fn settable_on_create(&self, p: &Prop) -> bool {
        order::settable_on_create(p)
    }
    fn create_writes(&self, p: &Prop) -> bool {
        order::create_writes(p)
    }
    fn chargebee_id(&self, cp_id: &str, _rec: &Value, ctx: &Ctx) -> Result<String> {
        order::order_id(&ctx.options.id_prefix, "order", cp_id)
    }
    fn companions(&self) -> Option<(&'static str, &'static [&'static str])> {
        Some(("status", &["cancellation_reason", "cancelled_at"]))
    }
    fn lead_write_empties_companions(&self, current: &Value) -> bool {
        current.get("status").and_then(Value::as_str) == Some("cancelled")
    }
    fn hold_chargebee(&self, rec: &Value) -> Option<String> {
        order::hold_cancelled(rec)
    }
    fn hold_customerp(&self, rec: &Value) -> Option<String> {
        match rec.get("status").and_then(Value::as_str) {
            Some("draft") | None => Some("draft order: waits until it is confirmed".into()),
            Some("cancelled") => Some("cancelled before it reached Chargebee: not created".into()),
            _ => None,
        }
    }
    fn adopt(&self, rec: &Value, ctx: &Ctx) -> Option<(String, String)> {
        let quote = rec.get("quote_id").and_then(|v| values::read_id(v, "").ok())?;
        let order = ctx.links.get(FlowId::QuoteOrder, &quote)?;
        Some((order.to_string(), format!("made from quote {quote}: takes over its Chargebee order {order}")))
    }
    fn waiting_for(&self, rec: &Value, ctx: &Ctx) -> Vec<Wait> {
        order::waiting_for(rec, ctx)
    }
    fn check_pair(&self, cp: &Record, cb: &Record, ctx: &mut Ctx) {
        order::check_totals(&cp.raw, &cb.raw, ctx);
    }
    fn customerp_new(&self, cb: &Value, ctx: &Ctx) -> Map<String, Value> {
        order::customerp_new(cb, ctx)
    }
    fn customerp_deactivate(&self) -> Map<String, Value> {
        field("status", json!("cancelled"))
    }
    fn made_by_chargebee(&self, ctx: &Ctx) -> Option<String> {
        order::made_by_chargebee(ctx)
    }
    fn create_requests(&self, id: &str, resource: Map<String, Value>, cp: &Value, ctx: &Ctx) -> Result<Vec<RequestSpec>> {
        order::create_requests(id, resource, cp, ctx)
    }
    fn update_requests(&self, id: &str, changed: &[usize], merged: &[Value], current: &Value, ctx: &Ctx) -> Vec<RequestSpec> {
        order::update_requests(crate::mappings::rows_of(self, &PROPS, ctx), id, changed, merged, current, ctx, "others")
    }
    fn mark_deleted_requests(&self, id: &str, current: &Value, _cp_id: Option<&str>) -> Vec<RequestSpec> {
        order::cancel_requests(id, current, "others")
    }
    fn values_after_delete(&self, current: &[Value], requests: &[RequestSpec], ctx: &mut Ctx) -> Vec<Value> {
        order::values_after_cancel(crate::mappings::rows_of(self, &PROPS, ctx), current, requests)
    }
    fn delete_requests(&self, id: &str, current: &Value) -> Vec<RequestSpec> {
        // Chargebee deletes only imported orders: a propagated delete cancels.
        order::cancel_requests(id, current, "others")
    }
}
