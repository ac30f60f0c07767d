//! What contact-customer and employee-customer share: Chargebee's customer resource, which takes
//! its billing address in the create but only through `update_billing_info` afterwards, and the
//! Customerp identity tag in `meta_data.customerp`.

use crate::engine::path::set_path;
use crate::engine::table::{both, Kind::*, Prop};
use crate::engine::{Ctx, RequestSpec};
use crate::error::Result;
use crate::mappings::{via_billing_info, write_param};
use crate::values;
use serde_json::{json, Map, Value};

/// `address.*` ⇄ `billing_address.*`, the same rows in both person flows.
pub const ADDRESS: [Prop; 7] = [
    both("address.street_1", "billing_address.line1", "string(150)", Text(150)),
    both("address.street_2", "billing_address.line2", "string(150)", Text(150)),
    both("address.street_3", "billing_address.line3", "string(150)", Text(150)),
    both("address.postal_code", "billing_address.zip", "string(20)", Text(20)),
    both("address.city", "billing_address.city", "string(50)", Text(50)),
    both("address.region", "billing_address.state", "string(50)", Text(50)),
    both("address.country", "billing_address.country", "string(50), ISO 3166-1 alpha-2", Country),
];

/// Billing-address fields this plugin does not map but must not wipe: `update_billing_info`
/// replaces the whole address, so they are sent back as Chargebee has them.
const KEPT_BILLING_FIELDS: [&str; 6] = ["first_name", "last_name", "email", "company", "phone", "state_code"];

/// `{prefix}-{type}-{id}`, within Chargebee's 50 characters for customer ids.
pub fn customer_id(prefix: &str, record_type: &str, cp_id: &str) -> Result<String> {
    super::deterministic_id(prefix, record_type, cp_id, 50, "customer")
}

/// The Customerp tag of a Chargebee customer, if it has one.
pub fn tag(rec: &Value) -> Option<&Map<String, Value>> {
    rec.get("meta_data")?.get("customerp")?.as_object()
}

pub fn tag_type(rec: &Value) -> Option<&str> {
    tag(rec)?.get("type")?.as_str()
}

/// Set by a safe delete: the Customerp record is gone and the customer must not be copied back.
pub fn tag_released(rec: &Value) -> bool {
    tag(rec).and_then(|t| t.get("deleted")).and_then(Value::as_bool) == Some(true)
}

/// Match key of the tag criterion: `{type}:{id}` on both sides.
pub fn tag_key(record_type: &str, rec: &Value) -> Option<String> {
    let t = tag(rec)?;
    (t.get("type")?.as_str()? == record_type).then_some(())?;
    let id = match t.get("id")? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Some(format!("{record_type}:{id}"))
}

pub fn customerp_tag_key(record_type: &str, rec: &Value) -> Option<String> {
    values::read_id(rec.get("id")?, "").ok().map(|id| format!("{record_type}:{id}"))
}

pub fn email_key(rec: &Value) -> Option<String> {
    let e = rec.get("email")?.as_str()?.trim();
    (!e.is_empty()).then(|| values::email_key(e))
}

/// `meta_data` is replaced whole by Chargebee: keep the keys others put there.
fn meta_with(current: &Value, customerp_tag: Value) -> Value {
    let mut meta = current.get("meta_data").and_then(Value::as_object).cloned().unwrap_or_default();
    meta.insert("customerp".into(), customerp_tag);
    Value::Object(meta)
}

pub fn create_requests(id: &str, resource: Map<String, Value>) -> Vec<RequestSpec> {
    let mut params = Map::new();
    params.insert("id".into(), json!(id));
    params.extend(resource);
    vec![RequestSpec::post("/customers".into(), params)]
}

/// Core fields to `POST /customers/{id}`, billing fields (`billing_address[...]`, `vat_number` and the
/// other attributes Chargebee takes only there) to `update_billing_info`, each only if something in it
/// changed. The billing request carries every mapped address field when the address changed.
/// `meta_data` keys (the identity tag, mapped keys) are merged into what Chargebee has.
pub fn update_requests(props: &[Prop], id: &str, changed: &[usize], merged: &[Value], current: &Value, ctx: &Ctx) -> Vec<RequestSpec> {
    let is_address = |p: &Prop| p.cb.starts_with("billing_address.");
    let mut core = Map::new();
    let mut billing = Map::new();
    let mut address_changed = false;
    for &i in changed {
        let p = &props[i];
        if is_address(p) {
            address_changed = true;
        } else if p.cb.starts_with("meta_data.") {
            write_param(&mut core, p.cb, p.write_chargebee(&merged[i], ctx).unwrap_or(Value::Null), current);
        } else if let Some(v) = p.write_chargebee(&merged[i], ctx) {
            let target = if via_billing_info(p.cb) { &mut billing } else { &mut core };
            set_path(target, p.cb, v);
        }
    }
    let mut out = Vec::new();
    if !core.is_empty() {
        out.push(RequestSpec::post(format!("/customers/{id}"), core));
    }
    if address_changed {
        let mut address = Map::new();
        let state_changed = changed.iter().any(|&i| props[i].cb == "billing_address.state");
        let mapped = |field: &str| props.iter().any(|p| p.cb.strip_prefix("billing_address.") == Some(field));
        if let Some(cur) = current.get("billing_address").and_then(Value::as_object) {
            for field in KEPT_BILLING_FIELDS {
                if (field == "state_code" && state_changed) || mapped(field) {
                    continue; // a new state makes the old subdivision code wrong; a mapped field is written below
                }
                if let Some(v @ Value::String(_)) = cur.get(field) {
                    address.insert(field.into(), v.clone());
                }
            }
        }
        for (i, p) in props.iter().enumerate() {
            if let (true, Some(field)) = (is_address(p), p.cb.strip_prefix("billing_address.")) {
                match p.write_chargebee(&merged[i], ctx) {
                    Some(v) if v == "" && super::empty_in(current, "billing_address", field) => {}
                    Some(v) => {
                        address.insert(field.into(), v);
                    }
                    None => {}
                }
            }
        }
        billing.insert("billing_address".into(), Value::Object(address));
    }
    if !billing.is_empty() {
        out.push(RequestSpec::post(format!("/customers/{id}/update_billing_info"), billing));
    }
    out
}

/// A safe delete: the customer stays (deleting it would destroy its subscriptions and invoices);
/// its tag says the Customerp record is gone, so it is never copied back.
pub fn mark_deleted_requests(record_type: &str, id: &str, current: &Value, cp_id: Option<&str>) -> Vec<RequestSpec> {
    let mut t = tag(current).cloned().unwrap_or_default();
    t.entry("type").or_insert_with(|| json!(record_type));
    if let Some(cp) = cp_id {
        t.insert("id".into(), json!(cp));
    }
    t.insert("deleted".into(), json!(true));
    let mut params = Map::new();
    params.insert("meta_data".into(), meta_with(current, Value::Object(t)));
    vec![RequestSpec::post(format!("/customers/{id}"), params)]
}

pub fn delete_requests(id: &str) -> Vec<RequestSpec> {
    vec![RequestSpec::post(format!("/customers/{id}/delete"), Map::new())]
}

pub fn is_inactive(rec: &Value) -> bool {
    rec.get("is_active").and_then(Value::as_bool) == Some(false)
}
