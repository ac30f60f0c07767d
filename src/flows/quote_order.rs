//! quote-order — Customerp Quote ⇄ Chargebee Order.

use super::order::{self, CURRENCY, CUSTOMER, DELIVERY_ADDRESS, LINES, NOTE, REFERENCE};
use crate::engine::plan::Wait;
use crate::engine::record::Record;
use crate::engine::table::{both, EnumMap, Kind::*, Prop};
use crate::engine::{field, Criterion, Ctx, Flow, FlowDoc, FlowId, RequestSpec};
use crate::error::Result;
use serde_json::{json, Map, Value};
use std::borrow::Cow;

pub struct QuoteOrder;

/// Only accepted quotes reach Chargebee; an order in any live state keeps its quote accepted.
static STATUS: EnumMap = EnumMap {
    pairs: &[("accepted", "queued"), ("declined", "cancelled"), ("expired", "cancelled"), ("sent", "queued"), ("draft", "queued")],
    chargebee_aliases: &[
        ("awaiting_shipment", "queued"),
        ("on_hold", "queued"),
        ("shipped", "queued"),
        ("partially_delivered", "queued"),
        ("delivered", "queued"),
        ("returned", "queued"),
        ("new", "queued"),
        ("processing", "queued"),
        ("complete", "queued"),
        ("voided", "cancelled"),
    ],
    customerp_unknown: None,
};

const fn props() -> [Prop; 18] {
    let [a1, a2, a3, zip, city, region, country] = DELIVERY_ADDRESS;
    let [product, sku, description, quantity, unit_price] = LINES;
    [
        REFERENCE,
        both("status", "status", "enum: accepted ↔ queued; declined/expired → cancel; cancelled → declined", Enum(&STATUS)),
        CUSTOMER,
        CURRENCY,
        both("quote_date", "order_date", "timestamp", Date),
        NOTE,
        a1, a2, a3, zip, city, region, country,
        product, sku, description, quantity, unit_price,
    ]
}

static PROPS: [Prop; 18] = props();

fn number_key(rec: &Value) -> Option<String> {
    rec.get("number").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}
fn reference_key(rec: &Value) -> Option<String> {
    rec.get("reference_id").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// The number a Chargebee order is known by: its reference, or its id when it has none — the number a
/// Customerp record made from it gets (`order::customerp_new`), so that a copy whose link was lost (a crash
/// between the Customerp create and the store) is matched again, not copied back as a second order.
fn match_key(rec: &Value) -> Option<String> {
    reference_key(rec).or_else(|| rec.get("id").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string))
}

pub static CRITERIA: [Criterion; 1] = [Criterion { by: "number", customerp: number_key, chargebee: match_key }];

static DOC: FlowDoc = FlowDoc {
    customerp_type: "Quote",
    chargebee_resource: "Order",
    sentences: "A Customerp quote is an offer to a customer; in Chargebee an accepted offer becomes an order on an \
                invoice. Every accepted quote becomes a Chargebee order, and a Chargebee order whose reference is a \
                quote number stays linked to that quote.",
    merge_criteria: &["Chargebee order `reference_id` (its `id` when it has no reference) equals the quote `number`"],
    rules: &[
        "Only an `accepted` quote gets a Chargebee order; a quote in any other state waits (action `none`, with the reason).",
        "A quote waits (`waitingFor`) until its contact (contact-customer) and every line's product (product-item) are linked.",
        "Chargebee makes orders from invoices: creating one is `POST /invoices/create_for_charge_items_and_charges` \
         (customer, item prices `{item id}-{CURRENCY}`, quantities, unit prices, shipping address), then `POST /orders` \
         with `invoice_id` = `{\"$result\": 0, \"path\": \"invoice.id\"}` and `reference_id` = the quote number.",
        "`order_date` and statuses cannot be set by `POST /orders`: the next plan writes them, and Customerp's values \
         win over the defaults Chargebee filled in.",
        "On a site that generates orders for paid invoices (option `orders: \"chargebee\"`) the create is the invoice \
         alone: the plan has no Chargebee id (`link.chargebee` null), and the plan given the order Chargebee generated \
         for that invoice, with the create's base, adopts it: it writes the reference, date, statuses and line skus, \
         lines paired by sku, else item price, else position (the generated order holds only the shippable lines; \
         with the default `orders: \"create\"`, by sku, else position).",
        "`declined` or `expired` cancels the order (`POST /orders/{id}/cancel`, `cancellation_reason` \
         `product_not_required`); a cancelled order declines the quote.",
        "Line products, descriptions, quantities, unit prices and the currency cannot change after creation: an edit \
         is reported as a `not_writable` warning, not written. Totals that differ are a `total_mismatch` warning.",
        "Chargebee orders never create Customerp quotes: an order that matches no quote becomes a Customerp order (order-order).",
        "A deleted quote cancels its order; a deleted order declines the quote.",
    ],
};

impl Flow for QuoteOrder {
    fn id(&self) -> FlowId {
        FlowId::QuoteOrder
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
        &CRITERIA
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
        order::order_id(&ctx.options.id_prefix, "quote", cp_id)
    }
    fn hold_customerp(&self, rec: &Value) -> Option<String> {
        match rec.get("status").and_then(Value::as_str) {
            Some("accepted") => None,
            other => Some(format!("quote is {}: only an accepted quote gets a Chargebee order", other.unwrap_or("without status"))),
        }
    }
    fn hold_chargebee(&self, _rec: &Value) -> Option<String> {
        Some("Chargebee orders never create Customerp quotes: an unmatched order becomes a Customerp order (order-order)".into())
    }
    fn foreign_chargebee(&self, rec: &Value) -> bool {
        // Matching by reference may still join a live order to its quote; a cancelled one is released.
        order::hold_cancelled(rec).is_some()
    }
    fn waiting_for(&self, rec: &Value, ctx: &Ctx) -> Vec<Wait> {
        order::waiting_for(rec, ctx)
    }
    /// Once an order made from this quote took its Chargebee order over (the order's reference is
    /// no longer the quote number), the quote stops writing to it and taking its edits.
    fn released(&self, cp: &Record, cb: &Record) -> Option<String> {
        let number = number_key(&cp.raw)?;
        let reference = reference_key(&cb.raw)?;
        (number != reference).then(|| format!("order {reference} took over Chargebee order {}: quote {number} no longer syncs with it", cb.id))
    }
    fn check_pair(&self, cp: &Record, cb: &Record, ctx: &mut Ctx) {
        order::check_totals(&cp.raw, &cb.raw, ctx);
    }
    fn customerp_deactivate(&self) -> Map<String, Value> {
        field("status", json!("declined"))
    }
    fn made_by_chargebee(&self, ctx: &Ctx) -> Option<String> {
        order::made_by_chargebee(ctx)
    }
    fn create_requests(&self, id: &str, resource: Map<String, Value>, cp: &Value, ctx: &Ctx) -> Result<Vec<RequestSpec>> {
        order::create_requests(id, resource, cp, ctx)
    }
    fn update_requests(&self, id: &str, changed: &[usize], merged: &[Value], current: &Value, ctx: &Ctx) -> Vec<RequestSpec> {
        order::update_requests(crate::mappings::rows_of(self, &PROPS, ctx), id, changed, merged, current, ctx, "product_not_required")
    }
    fn mark_deleted_requests(&self, id: &str, current: &Value, _cp_id: Option<&str>) -> Vec<RequestSpec> {
        order::cancel_requests(id, current, "product_not_required")
    }
    fn values_after_delete(&self, current: &[Value], requests: &[RequestSpec], ctx: &mut Ctx) -> Vec<Value> {
        order::values_after_cancel(crate::mappings::rows_of(self, &PROPS, ctx), current, requests)
    }
    fn delete_requests(&self, id: &str, current: &Value) -> Vec<RequestSpec> {
        // Chargebee deletes only imported orders: a propagated delete cancels.
        order::cancel_requests(id, current, "product_not_required")
    }
}
