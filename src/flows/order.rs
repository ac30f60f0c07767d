//! What quote-order and order-order share: Chargebee orders exist only for invoices, so a create
//! is an invoice for the charge item prices followed by an order on that invoice; afterwards only
//! the order's own fields, line statuses and skus can change.

use crate::engine::plan::Wait;
use crate::engine::table::{both, to_chargebee, CpSource, EnumMap, Kind, Kind::*, Prop};
use crate::engine::{Ctx, FlowId, RequestSpec};
use crate::error::{pointer, Result, SyncError};
use crate::options::OrderMaker;
use crate::values;
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

/// `delivery_address.*` ⇄ `shipping_address.*`.
pub const DELIVERY_ADDRESS: [Prop; 7] = [
    both("delivery_address.street_1", "shipping_address.line1", "string(150)", Text(150)),
    both("delivery_address.street_2", "shipping_address.line2", "string(150)", Text(150)),
    both("delivery_address.street_3", "shipping_address.line3", "string(150)", Text(150)),
    both("delivery_address.postal_code", "shipping_address.zip", "string(20)", Text(20)),
    both("delivery_address.city", "shipping_address.city", "string(50)", Text(50)),
    both("delivery_address.region", "shipping_address.state", "string(50)", Text(50)),
    both("delivery_address.country", "shipping_address.country", "string(50), ISO 3166-1 alpha-2", Country),
];

pub const REFERENCE: Prop = to_chargebee("number", "reference_id", "string(50)", Text(50));
pub const CUSTOMER: Prop = to_chargebee("contact_id", "customer_id", "string(50)", Text(50))
    .on_create()
    .from(CpSource::LinkedParent("contact-customer"));
pub const CURRENCY: Prop = to_chargebee("currency", "currency_code", "string(3), ISO 4217", Text(3)).on_create();
pub const NOTE: Prop = both("note", "note", "string(600)", Text(600));

/// A line's product as Chargebee's item price `{item id}-{CURRENCY}`, through product-item's links.
fn item_price_ids(rec: &Value, _root: &str, ctx: &mut Ctx) -> Result<Value> {
    let Some(Value::Array(lines)) = rec.get("lines") else { return Ok(Value::Null) };
    let ids = lines
        .iter()
        .map(|l| {
            let product = l.get("product_id").and_then(|v| values::read_id(v, "").ok());
            match (product.and_then(|p| ctx.links.get(FlowId::ProductItem, &p)), ctx.currency) {
                (Some(item), Some(cur)) => json!(format!("{item}-{}", cur.code)),
                _ => Value::Null,
            }
        })
        .collect::<Vec<_>>();
    Ok(if ids.is_empty() { Value::Null } else { Value::Array(ids) })
}

pub const LINES: [Prop; 5] = [
    to_chargebee("lines.product_id", "order_line_items.entity_id", "string(50), item price {item id}-{CURRENCY}", Each(&Text(50)))
        .on_create()
        .from(CpSource::Computed(item_price_ids)),
    both("lines.sku", "order_line_items.sku", "string(250)", Each(&Text(250))),
    to_chargebee("lines.description", "order_line_items.description", "string(250)", Each(&Text(250))).on_create(),
    to_chargebee("lines.quantity", "order_line_items.fulfillment_quantity", "integer", Each(&Count)).on_create(),
    to_chargebee("lines.unit_price", "order_line_items.unit_price", "money (integer, minor unit)", Each(&Money)).on_create(),
];

pub static LINE_STATUS_VALUES: EnumMap = EnumMap {
    pairs: &[
        ("queued", "queued"),
        ("awaiting_shipment", "awaiting_shipment"),
        ("on_hold", "on_hold"),
        ("delivered", "delivered"),
        ("shipped", "shipped"),
        ("partially_delivered", "partially_delivered"),
        ("returned", "returned"),
        ("cancelled", "cancelled"),
    ],
    chargebee_aliases: &[],
    customerp_unknown: None,
};
pub const LINE_STATUS: Kind = Enum(&LINE_STATUS_VALUES);

/// What `POST /orders` can set; everything else of an order is written by the next plan.
/// (`batch_id` and `fulfillment_status` only ever come from the `mappings` option.)
const SET_BY_CREATE: [&str; 6] = ["reference_id", "note", "tracking_id", "tracking_url", "batch_id", "fulfillment_status"];

pub fn settable_on_create(p: &Prop) -> bool {
    SET_BY_CREATE.contains(&p.cb) || p.cb.starts_with("shipping_address.")
}

/// What the invoice and `POST /orders` of a create write: the order's settable rows, its customer
/// and currency, and each line's item price, quantity and unit price (a line's description is the item's).
pub fn create_writes(p: &Prop) -> bool {
    settable_on_create(p)
        || matches!(p.cb, "customer_id" | "currency_code" | "order_line_items.entity_id" | "order_line_items.fulfillment_quantity" | "order_line_items.unit_price")
}

/// Reads the record's currency, and remembers the lines' ids and skus to pair Chargebee's lines with.
pub fn check_customerp(rec: &Value, root: &str, ctx: &mut Ctx) -> Result<()> {
    ctx.currency = values::read_currency(rec.get("currency"), &pointer(root, "currency"))?;
    let lines: &[Value] = match rec.get("lines") {
        Some(Value::Array(lines)) => lines,
        _ => &[],
    };
    let skus: Vec<Value> = lines.iter().map(|l| l.get("sku").cloned().unwrap_or(Value::Null)).collect();
    let ids: Vec<Value> = lines.iter().map(|l| line_id(l.get("id"))).collect();
    ctx.scratch.insert("line_skus".into(), Value::Array(skus));
    // Where Chargebee generates orders, a line's item price pairs it with Chargebee's line where skus
    // do not: a generated order holds only the shippable lines, so positions need not agree.
    if ctx.options.orders == OrderMaker::Chargebee {
        let prices = item_price_ids(rec, root, ctx)?;
        ctx.scratch.insert("line_item_prices".into(), prices);
    }
    ctx.scratch.insert(crate::engine::CUSTOMERP_LINE_IDS.into(), Value::Array(ids));
    Ok(())
}

/// A line id as a string (Customerp may give a number), or null.
fn line_id(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => json!(s),
        Some(Value::Number(n)) => json!(n.to_string()),
        _ => Value::Null,
    }
}

/// The order with its lines in Customerp's order, each Customerp line next to its partner: the
/// Chargebee line the base pairs it with (by line ids, so a sku edit on either side keeps the pair),
/// else the one with its sku, else the one at its position. Chargebee lines left over follow.
/// The pairs are left in `ctx.scratch` for the base.
pub fn chargebee_view<'a>(rec: &'a Value, root: &str, ctx: &mut Ctx) -> Result<Cow<'a, Value>> {
    if ctx.currency.is_none() {
        ctx.currency = values::read_currency(rec.get("currency_code"), &pointer(root, "currency_code"))?;
    }
    // Line amounts are Chargebee integers; they may be copied into a new Customerp order.
    if let Some(Value::Array(lines)) = rec.get("order_line_items") {
        for (j, line) in lines.iter().enumerate() {
            let at = format!("{}/{j}", pointer(root, "order_line_items"));
            values::read_minor(line.get("unit_price"), &format!("{at}/unit_price"))?;
            match line.get("fulfillment_quantity") {
                None | Some(Value::Null) => {}
                Some(Value::Number(n)) if n.as_u64().is_some() => {}
                Some(Value::Number(_)) => return Err(SyncError::invalid_value(&format!("{at}/fulfillment_quantity"), "not a whole number ≥ 0")),
                Some(_) => return Err(SyncError::invalid_type(&format!("{at}/fulfillment_quantity"), "a whole number")),
            }
        }
    }
    let no_lines = Vec::new();
    let skus = match ctx.scratch.get("line_skus") {
        Some(Value::Array(s)) => s.clone(),
        _ => Vec::new(),
    };
    let cp_ids = match ctx.scratch.get(crate::engine::CUSTOMERP_LINE_IDS) {
        Some(Value::Array(s)) => s.clone(),
        _ => Vec::new(),
    };
    let lines = match rec.get("order_line_items") {
        Some(Value::Array(l)) => l,
        _ => &no_lines,
    };
    let cb_ids: Vec<Value> = lines.iter().map(|l| line_id(l.get("id"))).collect();
    let base_pairs: Vec<(Value, Value)> = match ctx.scratch.get(crate::engine::BASE_LINE_PAIRS) {
        Some(Value::Array(p)) => p.iter().map(|p| (p.get("customerp").cloned().unwrap_or(Value::Null), p.get("chargebee").cloned().unwrap_or(Value::Null))).collect(),
        _ => Vec::new(),
    };
    let mut used = vec![false; lines.len()];
    let mut pick: Vec<Option<usize>> = vec![None; skus.len()];
    // Looked up by id and sku through maps, so a plan stays linear in the number of lines.
    let mut cb_by_id: HashMap<&str, usize> = HashMap::with_capacity(lines.len());
    let mut cb_by_sku: HashMap<&str, VecDeque<usize>> = HashMap::new();
    for (j, line) in lines.iter().enumerate() {
        if let Some(id) = cb_ids[j].as_str() {
            cb_by_id.entry(id).or_insert(j);
        }
        if let Some(sku) = line.get("sku").and_then(Value::as_str) {
            cb_by_sku.entry(sku).or_default().push_back(j);
        }
    }
    let remembered: HashMap<&str, &str> = base_pairs.iter().filter_map(|(c, b)| Some((c.as_str()?, b.as_str()?))).rev().collect();
    // 1. The partner the base remembers.
    for (i, id) in cp_ids.iter().enumerate() {
        let partner = id.as_str().and_then(|c| remembered.get(c)).and_then(|b| cb_by_id.get(b)).copied();
        if let Some(j) = partner.filter(|&j| !used[j]) {
            used[j] = true;
            pick[i] = Some(j);
        }
    }
    // 2. The same sku.
    for (i, sku) in skus.iter().enumerate() {
        if pick[i].is_some() {
            continue;
        }
        let Some(queue) = sku.as_str().and_then(|s| cb_by_sku.get_mut(s)) else { continue };
        while let Some(j) = queue.pop_front() {
            if !used[j] {
                used[j] = true;
                pick[i] = Some(j);
                break;
            }
        }
    }
    // 3. The same item price (option `orders: "chargebee"`).
    let prices = match ctx.scratch.get("line_item_prices") {
        Some(Value::Array(p)) => p.clone(),
        _ => Vec::new(),
    };
    for (i, price) in prices.iter().enumerate().take(pick.len()) {
        let Some(price) = price.as_str().filter(|_| pick[i].is_none()) else { continue };
        let found = (0..lines.len()).find(|&j| !used[j] && lines[j].get("entity_id").and_then(Value::as_str) == Some(price));
        if let Some(j) = found {
            used[j] = true;
            pick[i] = Some(j);
        }
    }
    // 4. The same position.
    for (i, slot) in pick.iter_mut().enumerate() {
        if slot.is_none() && i < lines.len() && !used[i] {
            used[i] = true;
            *slot = Some(i);
        }
    }
    let mut aligned: Vec<Value> = Vec::with_capacity(lines.len().max(skus.len()));
    // aligned position → position in the input, for error paths
    let mut origin: Vec<Value> = Vec::with_capacity(aligned.capacity());
    let mut pairs: Vec<Value> = Vec::with_capacity(aligned.capacity());
    for (i, slot) in pick.iter().enumerate() {
        let cp_id = cp_ids.get(i).cloned().unwrap_or(Value::Null);
        match *slot {
            Some(j) => {
                aligned.push(lines[j].clone());
                origin.push(json!(j));
                pairs.push(json!({"customerp": cp_id, "chargebee": cb_ids[j]}));
            }
            None => {
                aligned.push(json!({}));
                origin.push(Value::Null);
                pairs.push(json!({"customerp": cp_id, "chargebee": null}));
            }
        }
    }
    for (j, l) in lines.iter().enumerate().filter(|(j, _)| !used[*j]) {
        aligned.push(l.clone());
        origin.push(json!(j));
        pairs.push(json!({"customerp": null, "chargebee": cb_ids[j]}));
    }
    ctx.scratch.insert("line_origin".into(), Value::Array(origin));
    ctx.scratch.insert(crate::engine::LINE_PAIRS.into(), Value::Array(pairs));
    if rec.get("order_line_items").is_none_or(|l| !l.is_array()) {
        return Ok(Cow::Borrowed(rec));
    }
    let mut view = rec.as_object().cloned().unwrap_or_default();
    view.insert("order_line_items".into(), Value::Array(aligned));
    Ok(Cow::Owned(Value::Object(view)))
}

/// A quote or order waits until its contact and every product are linked.
pub fn waiting_for(rec: &Value, ctx: &Ctx) -> Vec<Wait> {
    let mut waits = Vec::new();
    let mut need = |flow: FlowId, id: Option<String>| {
        if let Some(id) = id {
            let w = Wait { flow, customerp_id: id.clone() };
            if ctx.links.get(flow, &id).is_none() && !waits.contains(&w) {
                waits.push(w);
            }
        }
    };
    need(FlowId::ContactCustomer, rec.get("contact_id").and_then(|v| values::read_id(v, "").ok()));
    if let Some(Value::Array(lines)) = rec.get("lines") {
        for l in lines {
            need(FlowId::ProductItem, l.get("product_id").and_then(|v| values::read_id(v, "").ok()));
        }
    }
    waits
}

/// `{prefix}-{quote|order}-{id}`, within Chargebee's 40 characters for order ids.
pub fn order_id(prefix: &str, record_type: &str, cp_id: &str) -> Result<String> {
    super::deterministic_id(prefix, record_type, cp_id, 40, "order")
}

/// Why a create leaves the order to Chargebee, when the site generates orders (option `orders`).
pub fn made_by_chargebee(ctx: &Ctx) -> Option<String> {
    (ctx.options.orders == OrderMaker::Chargebee).then(|| {
        "orders: \"chargebee\": the site generates the order for the new invoice; the plan given that order adopts it".to_string()
    })
}

/// The invoice for the lines' charge item prices, then the order on that invoice (unless the site
/// generates it: option `orders`).
pub fn create_requests(id: &str, resource: Map<String, Value>, raw: &Value, ctx: &Ctx) -> Result<Vec<RequestSpec>> {
    let contact = raw.get("contact_id").filter(|v| !v.is_null()).ok_or_else(|| SyncError::missing("/customerp/contact_id"))?;
    let customer = resource.get("customer_id").cloned().ok_or_else(|| {
        SyncError::invalid_value("/customerp/contact_id", format!("contact {contact} is not linked to a Chargebee customer"))
    })?;
    let currency = ctx.currency.ok_or_else(|| SyncError::missing("/customerp/currency"))?;
    let lines = raw.get("lines").and_then(Value::as_array).filter(|l| !l.is_empty()).ok_or_else(|| SyncError::missing("/customerp/lines"))?;
    let columns = resource.get("order_line_items").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut item_prices = Vec::new();
    for (i, (line, col)) in lines.iter().zip(columns.iter().chain(std::iter::repeat(&Value::Null))).enumerate() {
        let at = format!("/customerp/lines/{i}");
        let product = line
            .get("product_id")
            .and_then(|v| values::read_id(v, "").ok())
            .ok_or_else(|| SyncError::missing(&format!("{at}/product_id")))?;
        let item = ctx.links.get(FlowId::ProductItem, &product).ok_or_else(|| {
            SyncError::invalid_value(&format!("{at}/product_id"), format!("product {product} is not linked to a Chargebee item"))
        })?;
        let quantity = col.get("fulfillment_quantity").and_then(Value::as_u64).unwrap_or(0);
        if quantity == 0 {
            continue; // Chargebee invoices no zero quantity; the line is left out
        }
        let mut entry = Map::new();
        entry.insert("item_price_id".into(), json!(format!("{item}-{}", currency.code)));
        entry.insert("quantity".into(), json!(quantity));
        if let Some(price) = col.get("unit_price").filter(|v| v.is_number()) {
            entry.insert("unit_price".into(), price.clone());
        }
        item_prices.push(Value::Object(entry));
    }
    if item_prices.is_empty() {
        return Err(SyncError::invalid_value("/customerp/lines", "no line with a quantity of at least 1"));
    }
    let mut invoice = Map::new();
    invoice.insert("customer_id".into(), customer);
    invoice.insert("currency_code".into(), json!(currency.code));
    if let Some(n) = resource.get("reference_id") {
        invoice.insert("po_number".into(), n.clone()); // lets a person find the invoice of a half-made order
    }
    invoice.insert("item_prices".into(), Value::Array(item_prices));
    if let Some(addr) = resource.get("shipping_address") {
        invoice.insert("shipping_address".into(), addr.clone());
    }
    let mut order = Map::new();
    order.insert("id".into(), json!(id));
    order.insert("invoice_id".into(), json!({"$result": 0, "path": "invoice.id"}));
    for key in SET_BY_CREATE {
        if let Some(v) = resource.get(key).filter(|v| !v.is_null() && *v != "") {
            order.insert(key.into(), v.clone());
        }
    }
    let invoice = RequestSpec::post("/invoices/create_for_charge_items_and_charges".into(), invoice);
    if made_by_chargebee(ctx).is_some() {
        return Ok(vec![invoice]);
    }
    Ok(vec![invoice, RequestSpec::post("/orders".into(), order)])
}

/// Updates: `status` "cancelled" through the cancel endpoint, back from cancelled through reopen;
/// line statuses and skus by Chargebee's line ids; the rest to `POST /orders/{id}`.
pub fn update_requests(
    props: &[Prop],
    id: &str,
    changed: &[usize],
    merged: &[Value],
    current: &Value,
    ctx: &Ctx,
    cancel_reason: &str,
) -> Vec<RequestSpec> {
    let mut fields = Map::new();
    let mut line_fields: Vec<(&str, &Value)> = Vec::new();
    let mut cancel = false;
    let mut reopen = false;
    let was_cancelled = current.get("status").and_then(Value::as_str) == Some("cancelled");
    for &i in changed {
        let p = &props[i];
        if let Some(field) = p.cb.strip_prefix("order_line_items.") {
            line_fields.push((field, &merged[i]));
        } else if p.cb == "status" {
            match merged[i].as_str() {
                Some("cancelled") => cancel = true,
                Some(s) => {
                    reopen = was_cancelled;
                    if !(reopen && s == "queued") {
                        fields.insert("status".into(), json!(s));
                    }
                }
                None => {}
            }
        } else if let Some(v) = p.write_chargebee(&merged[i], ctx) {
            crate::engine::path::set_path(&mut fields, p.cb, v);
        }
    }
    let mut out = Vec::new();
    if reopen {
        out.push(RequestSpec::post(format!("/orders/{id}/reopen"), Map::new()));
    }
    if !line_fields.is_empty() {
        // Only the lines whose value changed, by Chargebee's line id (a line without a partner has none).
        let cb_lines = current.get("order_line_items").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut items = Vec::new();
        for (j, line) in cb_lines.iter().enumerate() {
            let Some(line_id) = line.get("id").and_then(Value::as_str) else { continue };
            let mut entry = Map::new();
            entry.insert("id".into(), json!(line_id));
            for (field, values) in &line_fields {
                let Some(v) = values.get(j) else { continue };
                let now = line.get(*field).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
                match v {
                    Value::String(s) if now != Some(s.as_str()) => {
                        entry.insert((*field).into(), json!(s));
                    }
                    // Emptied (a sku; a line status cannot be emptied, the planner says so).
                    Value::Null if now.is_some() && *field == "sku" => {
                        entry.insert((*field).into(), json!(""));
                    }
                    _ => {}
                }
            }
            if entry.len() > 1 {
                items.push(Value::Object(entry));
            }
        }
        if !items.is_empty() {
            fields.insert("order_line_items".into(), Value::Array(items));
        }
    }
    // Chargebee replaces an order's shipping address: send all of it, merged.
    if changed.iter().any(|&i| props[i].cb.starts_with("shipping_address.")) {
        for (i, p) in props.iter().enumerate() {
            if let Some(field) = p.cb.strip_prefix("shipping_address.") {
                match p.write_chargebee(&merged[i], ctx) {
                    Some(v) if v == "" && super::empty_in(current, "shipping_address", field) => {}
                    Some(v) => crate::engine::path::set_path(&mut fields, p.cb, v),
                    None => {}
                }
            }
        }
    }
    let reason = fields.remove("cancellation_reason");
    let cancelled_at = fields.remove("cancelled_at");
    if !cancel {
        // Outside a cancellation these are plain order fields.
        if let Some(r) = reason.clone() {
            fields.insert("cancellation_reason".into(), r);
        }
        if let Some(t) = cancelled_at.clone() {
            fields.insert("cancelled_at".into(), t);
        }
    }
    if !fields.is_empty() {
        out.push(RequestSpec::post(format!("/orders/{id}"), fields));
    }
    if cancel {
        let mut p = Map::new();
        let merged_reason = props.iter().position(|p| p.cb == "cancellation_reason").and_then(|i| merged[i].as_str().map(str::to_string));
        p.insert("cancellation_reason".into(), json!(merged_reason.unwrap_or_else(|| cancel_reason.to_string())));
        if let Some(t) = cancelled_at.filter(Value::is_number) {
            p.insert("cancelled_at".into(), t);
        }
        out.push(RequestSpec::post(format!("/orders/{id}/cancel"), p));
    }
    out
}

/// A cancelled Chargebee order no Customerp record is linked to is not copied to Customerp, nor
/// matched: it is what a deleted quote or order leaves behind (its safe delete is a cancel), or an
/// order cancelled before it ever reached Customerp, as a Customerp order cancelled before it reached
/// Chargebee is not created there.
pub fn hold_cancelled(rec: &Value) -> Option<String> {
    let status = rec.get("status").and_then(Value::as_str)?;
    matches!(status, "cancelled" | "voided").then(|| {
        format!("order is {status} in Chargebee and linked to no Customerp record (a deleted quote or order releases its order so): not copied")
    })
}

/// An order's rows after its cancel (`requests`, from `cancel_requests`): cancelled, with the reason sent.
pub fn values_after_cancel(props: &[Prop], current: &[Value], requests: &[RequestSpec]) -> Vec<Value> {
    let mut out = current.to_vec();
    for r in requests.iter().filter(|r| r.path.ends_with("/cancel")) {
        for (i, p) in props.iter().enumerate().take(out.len()) {
            match p.cb {
                "status" => out[i] = json!("cancelled"),
                "cancellation_reason" => out[i] = r.params.get("cancellation_reason").cloned().unwrap_or(Value::Null),
                _ => {}
            }
        }
    }
    out
}

pub fn cancel_requests(id: &str, current: &Value, reason: &str) -> Vec<RequestSpec> {
    if current.get("status").and_then(Value::as_str) == Some("cancelled") {
        return Vec::new();
    }
    let mut p = Map::new();
    p.insert("cancellation_reason".into(), json!(reason));
    vec![RequestSpec::post(format!("/orders/{id}/cancel"), p)]
}

/// Totals are Chargebee's to compute: a disagreement is reported, never written.
pub fn check_totals(cp: &Value, cb: &Value, ctx: &mut Ctx) {
    let Some(cur) = ctx.currency else { return };
    for (cp_field, cb_field) in [("total_net", "sub_total"), ("total", "total")] {
        let mine = values::read_decimal(cp.get(cp_field), "").ok().flatten().and_then(|d| values::to_minor(d, cur, "").ok());
        let theirs = cb.get(cb_field).and_then(Value::as_i64);
        if let (Some(m), Some(t)) = (mine, theirs) {
            if m.minor != t {
                ctx.warn(
                    "total_mismatch",
                    Some(cp_field),
                    format!(
                        "Customerp {cp_field} {} {} differs from Chargebee {cb_field} {} {}",
                        values::from_minor(m.minor, cur),
                        cur.code,
                        values::from_minor(t, cur),
                        cur.code
                    ),
                );
            }
        }
    }
}

/// A Customerp quote or order made from a Chargebee order.
pub fn customerp_new(cb: &Value, ctx: &Ctx) -> Map<String, Value> {
    let mut m = Map::new();
    let number = cb.get("reference_id").filter(|v| v.as_str().is_some_and(|s| !s.is_empty())).or(cb.get("id"));
    if let Some(n) = number {
        m.insert("number".into(), n.clone());
    }
    if let Some(cur) = ctx.currency {
        m.insert("currency".into(), json!(cur.code));
    }
    let reverse = |flow: FlowId, cb_id: &str| ctx.links.customerp_id(flow, cb_id);
    if let Some(contact) = cb.get("customer_id").and_then(Value::as_str).and_then(|c| reverse(FlowId::ContactCustomer, c)) {
        m.insert("contact_id".into(), json!(contact));
    }
    if let Some(Value::Array(lines)) = cb.get("order_line_items") {
        let cp_lines: Vec<Value> = lines
            .iter()
            .map(|l| {
                let mut line = Map::new();
                if let Some(d) = l.get("description") {
                    line.insert("description".into(), d.clone());
                }
                if let Some(q) = l.get("fulfillment_quantity") {
                    line.insert("quantity".into(), q.clone());
                }
                if let (Some(p), Some(cur)) = (l.get("unit_price").and_then(Value::as_i64), ctx.currency) {
                    line.insert("unit_price".into(), json!(values::from_minor(p, cur)));
                }
                let item = l.get("entity_id").and_then(Value::as_str).and_then(|e| ctx.currency.and_then(|c| e.strip_suffix(&format!("-{}", c.code))));
                if let Some(product) = item.and_then(|i| reverse(FlowId::ProductItem, i)) {
                    line.insert("product_id".into(), json!(product));
                }
                Value::Object(line)
            })
            .collect();
        m.insert("lines".into(), Value::Array(cp_lines));
    }
    for (cp_field, cb_field) in [("total_net", "sub_total"), ("total", "total")] {
        if let (Some(t), Some(cur)) = (cb.get(cb_field).and_then(Value::as_i64), ctx.currency) {
            m.insert(cp_field.into(), json!(values::from_minor(t, cur)));
        }
    }
    m
}

/// `/order_line_items/{aligned}/…` → `/order_line_items/{as given}/…`.
pub fn input_path(path: String, ctx: &Ctx) -> String {
    const AT: &str = "/order_line_items/";
    let (Some(start), Some(Value::Array(origin))) = (path.find(AT), ctx.scratch.get("line_origin")) else { return path };
    let rest = &path[start + AT.len()..];
    let (index, tail) = rest.split_once('/').map_or((rest, ""), |(i, t)| (i, t));
    match index.parse::<usize>().ok().and_then(|i| origin.get(i)).and_then(Value::as_u64) {
        Some(j) if tail.is_empty() => format!("{}{AT}{j}", &path[..start]),
        Some(j) => format!("{}{AT}{j}/{tail}", &path[..start]),
        None => path,
    }
}
