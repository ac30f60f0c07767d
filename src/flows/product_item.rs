//! product-item — Customerp Product ⇄ Chargebee Item (and its Item price).
//!
//! One product is one item plus the one item price of its currency (and billing period, for
//! plans). The plugin reads the item with its prices under `item_prices` and picks that price.

use crate::engine::path::head;
use crate::engine::table::{both, to_chargebee, CpSource, EnumMap, Kind::*, Prop};
use crate::engine::{field, Criterion, Ctx, Flow, FlowDoc, FlowId, RequestSpec};
use crate::error::{pointer, ErrorCode, Result, SyncError};
use crate::values;
use serde_json::{json, Map, Value};
use std::borrow::Cow;

pub struct ProductItem;

static KIND: EnumMap = EnumMap {
    pairs: &[("subscription", "plan"), ("goods", "charge"), ("service", "charge")],
    chargebee_aliases: &[],
    customerp_unknown: None,
};

static PERIOD_UNIT: EnumMap = EnumMap {
    pairs: &[("day", "day"), ("week", "week"), ("month", "month"), ("year", "year")],
    chargebee_aliases: &[],
    customerp_unknown: None,
};

fn is_goods(rec: &Value, _root: &str, _ctx: &mut Ctx) -> Result<Value> {
    Ok(match rec.get("kind").and_then(Value::as_str) {
        Some(kind) => Value::Bool(kind == "goods"),
        None => Value::Null,
    })
}

/// `billing_period`, 1 when a subscription leaves it out.
fn period(rec: &Value, root: &str, _ctx: &mut Ctx) -> Result<Value> {
    let n = values::read_count(rec.get("billing_period"), &pointer(root, "billing_period"))?;
    let subscription = rec.get("kind").and_then(Value::as_str) == Some("subscription");
    Ok(n.or(subscription.then_some(1)).map(Value::from).unwrap_or(Value::Null))
}

static PROPS: [Prop; 13] = [
    to_chargebee("sku", "id", "string(100), immutable", Text(100)).on_create(),
    both("name", "name", "string(100), unique in the site", Text(100)),
    to_chargebee("name", "external_name", "string(100)", Text(100)),
    both("description", "description", "string(2000)", Text(2000)),
    to_chargebee("kind", "type", "enum plan, charge; immutable", Enum(&KIND)).on_create(),
    to_chargebee("kind", "is_shippable", "boolean", Bool).from(CpSource::Computed(is_goods)),
    both("unit", "unit", "string(30)", Text(30)),
    both("is_active", "status", "enum active, archived", BoolEnum("active", "archived")),
    to_chargebee("itemFamilyId", "item_family_id", "string(100), required on create", Text(100))
        .on_create()
        .from(CpSource::Option("itemFamilyId")),
    both("price", "item_price.price", "money (integer, minor unit)", Money),
    to_chargebee("currency", "item_price.currency_code", "string(3), ISO 4217", Text(3)).on_create(),
    to_chargebee("billing_period_unit", "item_price.period_unit", "enum day, week, month, year", Enum(&PERIOD_UNIT)).on_create(),
    to_chargebee("billing_period", "item_price.period", "integer ≥ 1 (default 1)", Count).on_create().from(CpSource::Computed(period)),
];

const PRICE: usize = 9;

fn sku_key(rec: &Value) -> Option<String> {
    rec.get("sku").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}
fn id_key(rec: &Value) -> Option<String> {
    rec.get("id").and_then(Value::as_str).map(str::to_string)
}
fn name_key(rec: &Value) -> Option<String> {
    let n = rec.get("name")?.as_str()?.trim();
    (!n.is_empty()).then(|| n.to_lowercase())
}

static CRITERIA: [Criterion; 2] = [
    Criterion { by: "sku", customerp: sku_key, chargebee: id_key },
    Criterion { by: "name", customerp: name_key, chargebee: name_key },
];

static DOC: FlowDoc = FlowDoc {
    customerp_type: "Product",
    chargebee_resource: "Item",
    sentences: "A Customerp product is something the company sells; in Chargebee it is an item with an item price \
                in the product's currency. Every product becomes a Chargebee item and item price, and each Chargebee \
                item becomes a Customerp product.",
    merge_criteria: &["Chargebee item `id` equals `sku`", "else `name`, compared case-insensitively"],
    rules: &[
        "The item id is the sku; the item price id is `{sku}-{CURRENCY}` for charges and \
         `{sku}-{CURRENCY}-{billing_period}-{billing_period_unit}` for plans (e.g. `PRO-NOK-1-month`), so a retried \
         create can never make a twin.",
        "`type` is set from `kind` on create only: `subscription` → `plan`, `goods` and `service` → `charge`; \
         `is_shippable` is true for goods.",
        "`item_family_id` comes from the option `itemFamilyId`; creating an item without it is an error.",
        "A deleted product archives its item and tags it `metadata.customerp` `{type: \"product\", id, deleted: true}`: \
         such an item is never copied back into a product nor matched again.",
        "`price` is money in the currency's minor unit (JPY and other zero-decimal currencies have none, most have \
         two); more precision is rounded half-even with a warning. A price change updates the item price.",
        "A deleted or inactive product archives its item; a deleted item marks the product `is_active: false`.",
    ],
};

/// The item price id a product maps to.
pub fn price_id(sku: &str, currency: &str, period: Option<(u64, &str)>) -> String {
    match period {
        Some((n, unit)) => format!("{sku}-{currency}-{n}-{unit}"),
        None => format!("{sku}-{currency}"),
    }
}

fn scratch_str<'a>(ctx: &'a Ctx, key: &str) -> Option<&'a str> {
    ctx.scratch.get(key).and_then(Value::as_str)
}

impl ProductItem {
    fn price_params(&self, item_id: &str, name: Option<&Value>, price: &Value, ctx: &Ctx) -> Option<Map<String, Value>> {
        let pid = scratch_str(ctx, "price_id")?;
        let mut p = Map::new();
        p.insert("id".into(), json!(pid));
        p.insert("name".into(), json!(pid)); // item price names must be unique in the site: the id is
        if let Some(n) = name.filter(|n| !n.is_null()) {
            p.insert("external_name".into(), n.clone());
        }
        p.insert("item_id".into(), json!(item_id));
        p.insert("pricing_model".into(), json!("flat_fee"));
        p.insert("price".into(), price.clone());
        p.insert("currency_code".into(), json!(scratch_str(ctx, "currency")?));
        if let (Some(unit), Some(n)) = (scratch_str(ctx, "period_unit"), ctx.scratch.get("period")) {
            p.insert("period".into(), n.clone());
            p.insert("period_unit".into(), json!(unit));
        }
        Some(p)
    }
}

impl Flow for ProductItem {
    fn id(&self) -> FlowId {
        FlowId::ProductItem
    }
    fn doc(&self) -> &'static FlowDoc {
        &DOC
    }
    fn props(&self) -> &'static [Prop] {
        &PROPS
    }
    fn resource_key(&self) -> &'static str {
        "item"
    }
    fn criteria(&self) -> &'static [Criterion] {
        &CRITERIA
    }

    fn check_customerp(&self, rec: &Value, root: &str, ctx: &mut Ctx) -> Result<()> {
        let cur = values::read_currency(rec.get("currency"), &pointer(root, "currency"))?;
        ctx.currency = cur;
        let sku = values::read_text(rec.get("sku"), &pointer(root, "sku"), Some(100))?;
        if let Some(s) = &sku {
            values::check_chargebee_id(s, &pointer(root, "sku"), 100, "item")?;
        }
        let subscription = rec.get("kind").and_then(Value::as_str) == Some("subscription");
        let period = if subscription {
            let unit = values::read_text(rec.get("billing_period_unit"), &pointer(root, "billing_period_unit"), None)?
                .ok_or_else(|| SyncError::missing(&pointer(root, "billing_period_unit")))?;
            let n = values::read_count(rec.get("billing_period"), &pointer(root, "billing_period"))?.unwrap_or(1);
            if n == 0 {
                return Err(SyncError::invalid_value(&pointer(root, "billing_period"), "must be at least 1"));
            }
            ctx.scratch.insert("period".into(), json!(n));
            ctx.scratch.insert("period_unit".into(), json!(unit));
            Some((u64::from(n), unit))
        } else {
            None
        };
        if let (Some(sku), Some(cur)) = (&sku, cur) {
            let pid = price_id(sku, cur.code, period.as_ref().map(|(n, u)| (*n, u.as_str())));
            ctx.scratch.insert("price_id".into(), json!(pid));
            ctx.scratch.insert("currency".into(), json!(cur.code));
        }
        Ok(())
    }

    /// The item with, under `item_price`, the price this product maps to: the one with the derived
    /// id, else the first live price in the product's currency, else the first live price.
    fn chargebee_view<'a>(&self, rec: &'a Value, root: &str, ctx: &mut Ctx) -> Result<Cow<'a, Value>> {
        let prices = match rec.get("item_prices") {
            None | Some(Value::Null) => Vec::new(),
            // Bare item prices, or as the list API wraps them: [{"item_price": {…}}].
            Some(Value::Array(a)) => a.iter().map(|p| p.get("item_price").filter(|v| v.is_object()).unwrap_or(p)).collect(),
            Some(_) => return Err(SyncError::invalid_type(&pointer(root, "item_prices"), "an array of item prices")),
        };
        let live = |p: &Value| p.get("status").and_then(Value::as_str) != Some("deleted") && p.get("deleted") != Some(&Value::Bool(true));
        let want_id = scratch_str(ctx, "price_id").map(str::to_string);
        let want_cur = ctx.currency.map(|c| c.code);
        let id_of = |p: &Value| p.get("id").and_then(Value::as_str).map(str::to_string);
        let cur_of = |p: &Value| p.get("currency_code").and_then(Value::as_str).map(str::to_string);
        let chosen = prices
            .iter()
            .position(|p| want_id.is_some() && id_of(p) == want_id)
            .or_else(|| prices.iter().position(|p| live(p) && want_cur.is_some() && cur_of(p).as_deref() == want_cur))
            .or_else(|| if want_cur.is_none() { prices.iter().position(|p| live(p)) } else { None });
        if let Some(i) = chosen {
            ctx.scratch.insert("price_index".into(), json!(i));
            let others: Vec<String> = prices.iter().enumerate().filter(|(j, p)| *j != i && live(p)).filter_map(|(_, p)| id_of(p)).collect();
            if !others.is_empty() {
                ctx.warn(
                    "unmapped_prices",
                    Some("price"),
                    format!("a product has one price; the item's other prices ({}) are not synced", others.join(", ")),
                );
            }
        }
        let chosen = chosen.and_then(|i| prices.get(i).copied());
        let mut view = rec.as_object().cloned().unwrap_or_default();
        view.remove("item_prices");
        if let Some(p) = chosen {
            if ctx.currency.is_none() {
                let i = ctx.scratch.get("price_index").and_then(Value::as_u64).unwrap_or(0);
                let at = pointer(root, "item_prices");
                ctx.currency = values::read_currency(p.get("currency_code"), &format!("{at}/{i}/currency_code"))?;
            }
            view.insert("item_price".into(), p.clone());
        }
        Ok(Cow::Owned(Value::Object(view)))
    }

    fn input_path(&self, path: String, ctx: &Ctx) -> String {
        let i = ctx.scratch.get("price_index").and_then(Value::as_u64).unwrap_or(0);
        let to = format!("/item_prices/{i}");
        match path.find("/item_price/") {
            Some(at) => format!("{}{to}{}", &path[..at], &path[at + "/item_price".len()..]),
            None if path.ends_with("/item_price") => format!("{}{to}", &path[..path.len() - "/item_price".len()]),
            None => path,
        }
    }

    /// `item_price: {…}` → `item_prices: [{id, item_id, …}]`, as Chargebee lists an item's prices.
    fn resource_from_view(&self, view: &mut Map<String, Value>, ctx: &Ctx) {
        if let Some(Value::Object(mut price)) = view.remove("item_price") {
            if let Some(pid) = scratch_str(ctx, "price_id") {
                price.entry("id").or_insert_with(|| json!(pid));
            }
            if let Some(item) = view.get("id") {
                price.insert("item_id".into(), item.clone());
            }
            view.insert("item_prices".into(), json!([price]));
        }
    }

    /// An item price changes without touching its item: the newer of the two clocks.
    fn chargebee_clock(&self, view: &Value) -> Option<i64> {
        let item = view.get("updated_at").and_then(Value::as_i64);
        let price = view.get("item_price").and_then(|p| p.get("updated_at")).and_then(Value::as_i64);
        item.max(price)
    }

    fn chargebee_deleted(&self, view: &Value) -> bool {
        view.get("status").and_then(Value::as_str) == Some("deleted")
    }

    fn chargebee_id(&self, _cp_id: &str, rec: &Value, _ctx: &Ctx) -> Result<String> {
        sku_key(rec).ok_or_else(|| SyncError::missing("/customerp/sku"))
    }

    fn hold_customerp(&self, rec: &Value) -> Option<String> {
        (rec.get("is_active").and_then(Value::as_bool) == Some(false))
            .then(|| "inactive product: not created in Chargebee".into())
    }

    fn customerp_new(&self, cb: &Value, ctx: &Ctx) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(id) = cb.get("id") {
            m.insert("sku".into(), id.clone());
        }
        let kind = match (cb.get("type").and_then(Value::as_str), cb.get("is_shippable").and_then(Value::as_bool)) {
            (Some("plan"), _) => "subscription",
            (_, Some(true)) => "goods",
            _ => "service",
        };
        m.insert("kind".into(), json!(kind));
        if let Some(cur) = ctx.currency {
            m.insert("currency".into(), json!(cur.code));
        }
        if let Some(price) = cb.get("item_price") {
            if let Some(unit) = price.get("period_unit").filter(|v| v.is_string()) {
                m.insert("billing_period_unit".into(), unit.clone());
                m.insert("billing_period".into(), price.get("period").cloned().unwrap_or(json!(1)));
            }
        }
        m
    }

    fn customerp_deactivate(&self) -> Map<String, Value> {
        field("is_active", json!(false))
    }

    fn create_requests(&self, id: &str, resource: Map<String, Value>, _cp: &Value, ctx: &Ctx) -> Result<Vec<RequestSpec>> {
        if ctx.options.item_family_id.is_none() {
            return Err(SyncError::new(
                ErrorCode::InvalidOptions,
                "/options/itemFamilyId",
                "/options/itemFamilyId: Chargebee requires an item family to create items; set the option itemFamilyId",
            ));
        }
        if !resource.contains_key("type") {
            return Err(SyncError::missing("/customerp/kind"));
        }
        let mut item = Map::new();
        let mut price = None;
        let mut price_extra = Map::new();
        for (k, v) in resource {
            match k.as_str() {
                "item_price" => {
                    price = v.get("price").cloned();
                    // Mapped item price attributes go with the price's create.
                    for (pk, pv) in v.as_object().into_iter().flatten() {
                        if !["price", "currency_code", "period", "period_unit"].contains(&pk.as_str()) {
                            price_extra.insert(pk.clone(), pv.clone());
                        }
                    }
                }
                "status" => {} // new items are active; an inactive product is never created
                _ => {
                    item.insert(k, v);
                }
            }
        }
        item.insert("id".into(), json!(id));
        let name = item.get("external_name").cloned();
        let mut out = vec![RequestSpec::post("/items".into(), item)];
        match price.and_then(|p| self.price_params(id, name.as_ref(), &p, ctx)) {
            Some(mut p) => {
                p.extend(price_extra);
                out.push(RequestSpec::post("/item_prices".into(), p));
            }
            None => return Err(SyncError::missing("/customerp/price")),
        }
        Ok(out)
    }

    fn update_requests(&self, id: &str, changed: &[usize], merged: &[Value], current: &Value, ctx: &Ctx) -> Vec<RequestSpec> {
        let props = crate::mappings::rows_of(self, &PROPS, ctx);
        let mut item = Map::new();
        let mut price_fields = Map::new();
        let mut price_changed = false;
        let current_price = current.get("item_price").cloned().unwrap_or(Value::Null);
        for &i in changed {
            let p = &props[i];
            if let Some(field) = p.cb.strip_prefix("item_price.").filter(|_| p.mapped) {
                // A mapped item price attribute: written with the price's own update.
                let v = p.write_chargebee(&merged[i], ctx).unwrap_or(Value::Null);
                crate::mappings::write_param(&mut price_fields, field, v, &current_price);
            } else if head(p.cb) == "item_price" {
                price_changed |= i == PRICE;
            } else if let Some(v) = p.write_chargebee(&merged[i], ctx) {
                crate::mappings::write_param(&mut item, p.cb, v, current);
            }
        }
        let mut out = Vec::new();
        if !item.is_empty() {
            out.push(RequestSpec::post(format!("/items/{id}"), item));
        }
        if price_changed && !merged[PRICE].is_null() {
            price_fields.insert("price".into(), merged[PRICE].clone());
        }
        if !price_fields.is_empty() {
            match current_price.get("id").and_then(Value::as_str) {
                Some(pid) => out.push(RequestSpec::post(format!("/item_prices/{pid}"), price_fields)),
                // The item has no price in this currency yet: create it.
                None if !merged[PRICE].is_null() => {
                    if let Some(mut p) = self.price_params(id, merged.get(1), &merged[PRICE], ctx) {
                        price_fields.remove("price");
                        p.extend(price_fields);
                        out.push(RequestSpec::post("/item_prices".into(), p));
                    }
                }
                None => {}
            }
        }
        out
    }

    /// Archived, and tagged in `metadata.customerp` (as a contact's customer is in `meta_data`) so the
    /// item is never copied back into a new product nor matched again.
    fn mark_deleted_requests(&self, id: &str, current: &Value, cp_id: Option<&str>) -> Vec<RequestSpec> {
        let mut p = Map::new();
        p.insert("status".into(), json!("archived"));
        // Chargebee replaces metadata whole: keep what others put there.
        let mut meta = current.get("metadata").and_then(Value::as_object).cloned().unwrap_or_default();
        let mut tag = Map::new();
        tag.insert("type".into(), json!("product"));
        if let Some(cp) = cp_id {
            tag.insert("id".into(), json!(cp));
        }
        tag.insert("deleted".into(), json!(true));
        meta.insert("customerp".into(), Value::Object(tag));
        p.insert("metadata".into(), Value::Object(meta));
        vec![RequestSpec::post(format!("/items/{id}"), p)]
    }

    fn hold_chargebee(&self, rec: &Value) -> Option<String> {
        let released = rec.get("metadata").and_then(|m| m.get("customerp")).and_then(|t| t.get("deleted")) == Some(&Value::Bool(true));
        released.then(|| "its Customerp product was deleted (metadata.customerp.deleted): not copied back".into())
    }

    fn delete_requests(&self, id: &str, current: &Value) -> Vec<RequestSpec> {
        // Chargebee refuses to delete an item that still has item prices.
        let mut out = Vec::new();
        if let Some(pid) = current.get("item_price").and_then(|p| p.get("id")).and_then(Value::as_str) {
            out.push(RequestSpec::post(format!("/item_prices/{pid}/delete"), Map::new()));
        }
        out.push(RequestSpec::post(format!("/items/{id}/delete"), Map::new()));
        out
    }
}
