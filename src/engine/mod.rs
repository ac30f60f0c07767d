//! The flow-independent engine: records in canonical form, the three-way merge planner, matching
//! and the versioned base. Flows (in `crate::flows`) contribute their table and special rules.

pub mod base;
pub mod keys;
pub mod matching;
pub mod path;
pub mod plan;
pub mod record;
pub mod table;

use crate::error::{pointer, ErrorCode, Result, SyncError};
use crate::options::Options;
use crate::values::Currency;
use serde::Serialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use table::Prop;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FlowId {
    #[serde(rename = "contact-customer")]
    ContactCustomer,
    #[serde(rename = "customer-business_entity")]
    CustomerBusinessEntity,
    #[serde(rename = "employee-customer")]
    EmployeeCustomer,
    #[serde(rename = "quote-order")]
    QuoteOrder,
    #[serde(rename = "order-order")]
    OrderOrder,
    #[serde(rename = "product-item")]
    ProductItem,
}

impl FlowId {
    pub const ALL: [FlowId; 6] = [
        FlowId::ContactCustomer,
        FlowId::CustomerBusinessEntity,
        FlowId::EmployeeCustomer,
        FlowId::QuoteOrder,
        FlowId::OrderOrder,
        FlowId::ProductItem,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlowId::ContactCustomer => "contact-customer",
            FlowId::CustomerBusinessEntity => "customer-business_entity",
            FlowId::EmployeeCustomer => "employee-customer",
            FlowId::QuoteOrder => "quote-order",
            FlowId::OrderOrder => "order-order",
            FlowId::ProductItem => "product-item",
        }
    }

    pub fn parse(s: &str) -> Option<FlowId> {
        FlowId::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

pub fn unknown_flow(name: &str, path: &str) -> SyncError {
    let known: Vec<&str> = FlowId::ALL.iter().map(|f| f.as_str()).collect();
    SyncError::new(
        ErrorCode::UnknownFlow,
        path,
        format!("unknown flow {name:?}; the flows are {}", known.join(", ")),
    )
}

/// Links of parent flows, as given in `PlanInput.links`: flow → Customerp id → Chargebee id.
#[derive(Debug, Default, Clone)]
pub struct Links(HashMap<FlowId, FlowLinks>);

/// One flow's links, by Customerp id and in the order the input lists them: a reverse look-up of a
/// Chargebee id that two Customerp ids share takes the first listed, the same on every call (a
/// HashMap's order differs from one map to the next, and with it the plan).
#[derive(Debug, Default, Clone)]
struct FlowLinks {
    by_customerp: HashMap<String, String>,
    in_order: Vec<(String, String)>,
}

impl Links {
    pub fn parse(v: Option<&Value>, root: &str) -> Result<Links> {
        let mut links = Links::default();
        let map = match v {
            None | Some(Value::Null) => return Ok(links),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(SyncError::invalid_type(root, "an object of flow → links")),
        };
        for (flow_name, pairs) in map {
            let at = pointer(root, flow_name);
            let flow = FlowId::parse(flow_name).ok_or_else(|| unknown_flow(flow_name, &at))?;
            let pairs = match pairs {
                Value::Null => continue,
                Value::Object(p) => p,
                _ => return Err(SyncError::invalid_type(&at, "an object of Customerp id → Chargebee id")),
            };
            let entry = links.0.entry(flow).or_default();
            for (cp_id, cb_id) in pairs {
                let cb = cb_id
                    .as_str()
                    .ok_or_else(|| SyncError::invalid_type(&pointer(&at, cp_id), "a Chargebee id string"))?;
                entry.by_customerp.insert(cp_id.clone(), cb.to_string());
                entry.in_order.push((cp_id.clone(), cb.to_string()));
            }
        }
        Ok(links)
    }

    pub fn get(&self, flow: FlowId, cp_id: &str) -> Option<&str> {
        self.0.get(&flow).and_then(|m| m.by_customerp.get(cp_id)).map(String::as_str)
    }

    /// The Customerp id linked to a Chargebee id (a scan: parents' links are few per plan).
    pub fn customerp_id(&self, flow: FlowId, cb_id: &str) -> Option<String> {
        self.0.get(&flow)?.in_order.iter().find(|(_, cb)| cb.as_str() == cb_id).map(|(cp, _)| cp.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    pub message: String,
}

/// What one call knows besides the records: options, parents' links, the record's currency,
/// and the warnings collected while reading.
pub struct Ctx<'a> {
    pub options: &'a Options,
    pub links: &'a Links,
    pub currency: Option<Currency>,
    pub warnings: Vec<Warning>,
    /// What a flow learnt from the Customerp record for reading the Chargebee one (the price id
    /// a product maps to, the order of its lines).
    pub scratch: Map<String, Value>,
}

impl<'a> Ctx<'a> {
    pub fn new(options: &'a Options, links: &'a Links) -> Self {
        Ctx { options, links, currency: None, warnings: Vec::new(), scratch: Map::new() }
    }

    pub fn linked(&self, flow: &str, cp_id: &str) -> Option<String> {
        FlowId::parse(flow).and_then(|f| self.links.get(f, cp_id)).map(str::to_string)
    }

    pub fn warn(&mut self, code: &str, property: Option<&str>, message: String) {
        let w = Warning { code: code.into(), property: property.map(str::to_string), message };
        if !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }
}

/// `Ctx::scratch` keys of flows with lines: the Customerp line ids (in Customerp's order), the line
/// pairs the base remembers, and the pairs of this plan (one per aligned line, as the rows list them).
pub const CUSTOMERP_LINE_IDS: &str = "line_ids";
pub const BASE_LINE_PAIRS: &str = "base_line_pairs";
pub const LINE_PAIRS: &str = "line_pairs";

/// A record of one field: `{"is_active": false}`.
pub fn field(name: &str, value: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(name.to_string(), value);
    m
}

/// One Chargebee request before the engine gives it its idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestSpec {
    pub method: &'static str,
    pub path: String,
    pub params: Map<String, Value>,
}

impl RequestSpec {
    /// A POST to `path`, each of whose segments is percent-encoded: the ids in it (checked by
    /// [`crate::values::check_chargebee_id`], so none holds a `/`) stay one segment each.
    pub fn post(path: String, params: Map<String, Value>) -> Self {
        let path = if path.bytes().all(|b| b == b'/' || b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')) {
            path
        } else {
            path.split('/').map(crate::form::path_segment).collect::<Vec<_>>().join("/")
        };
        RequestSpec { method: "POST", path, params }
    }
}

/// A merge criterion: how to compute the key each side is matched by.
pub struct Criterion {
    pub by: &'static str,
    pub customerp: fn(&Value) -> Option<String>,
    pub chargebee: fn(&Value) -> Option<String>,
}

/// Human text of a flow, for `flows()` and the dataflow document.
pub struct FlowDoc {
    pub customerp_type: &'static str,
    pub chargebee_resource: &'static str,
    pub sentences: &'static str,
    pub merge_criteria: &'static [&'static str],
    pub rules: &'static [&'static str],
}

/// What a flow adds to the engine: its table and the rules of its Chargebee resource.
pub trait Flow: Sync {
    fn id(&self) -> FlowId;
    fn doc(&self) -> &'static FlowDoc;
    fn props(&self) -> &'static [Prop];
    /// The key of Chargebee's single-resource envelope (`{"customer": {…}}`), unwrapped if sent.
    fn resource_key(&self) -> &'static str;
    fn criteria(&self) -> &'static [Criterion];

    /// The Chargebee id the plugin gives a resource it creates for this Customerp record.
    fn chargebee_id(&self, cp_id: &str, rec: &Value, ctx: &Ctx) -> Result<String>;

    /// Extra checks on a Customerp record beyond its mapped properties.
    fn check_customerp(&self, _rec: &Value, _root: &str, _ctx: &mut Ctx) -> Result<()> {
        Ok(())
    }

    /// Why an unlinked Customerp record is not copied to Chargebee, if it is not.
    fn hold_customerp(&self, _rec: &Value) -> Option<String> {
        None
    }

    /// Why an unlinked Chargebee record is not copied to Customerp by this flow, if it is not.
    fn hold_chargebee(&self, _rec: &Value) -> Option<String> {
        None
    }

    /// True when a Chargebee record belongs to another flow (or was let go by a safe delete), so
    /// matching must never take it.
    fn foreign_chargebee(&self, rec: &Value) -> bool {
        self.hold_chargebee(rec).is_some()
    }

    /// Records this Customerp record waits for: parents of other flows not linked yet.
    fn waiting_for(&self, _rec: &Value, _ctx: &Ctx) -> Vec<plan::Wait> {
        Vec::new()
    }

    /// The Chargebee record as this flow reads it (an item with the one price the product maps to,
    /// an order with its lines in Customerp's order). Runs after the Customerp side was read.
    fn chargebee_view<'a>(&self, rec: &'a Value, _root: &str, _ctx: &mut Ctx) -> Result<Cow<'a, Value>> {
        Ok(Cow::Borrowed(rec))
    }

    /// Maps an error path in this flow's view to where the field sits in the input.
    fn input_path(&self, path: String, _ctx: &Ctx) -> String {
        path
    }

    /// Turns this flow's view back into the resource shape Chargebee uses (`toChargebee`).
    fn resource_from_view(&self, _view: &mut Map<String, Value>, _ctx: &Ctx) {}

    /// The record's last change when more than `updated_at` says it (an item whose price changed).
    fn chargebee_clock(&self, _view: &Value) -> Option<i64> {
        None
    }

    /// Whether a Chargebee record counts as deleted beyond its `deleted` flag.
    fn chargebee_deleted(&self, _view: &Value) -> bool {
        false
    }

    /// Whether a create can set this row; if not, the next plan writes it as an update.
    fn settable_on_create(&self, _prop: &Prop) -> bool {
        true
    }

    /// Whether a create's requests write this row (for a plan's `changes`): the rows written only on
    /// create, and those a create can set.
    fn create_writes(&self, prop: &Prop) -> bool {
        prop.dir == table::Dir::ToChargebeeOnCreate || self.settable_on_create(prop)
    }

    /// True when Chargebee has no API to write this resource: writes become `manual` actions.
    fn writes_by_hand(&self) -> bool {
        false
    }

    /// For a flow written by hand: what a person must do in Chargebee (`op` is "create",
    /// "update", "mark-deleted" or "delete"; `rows` are the rows to write, `values` per row).
    fn manual_instruction(&self, _op: &str, _cb_id: Option<&str>, _rows: &[usize], _values: &[Value]) -> String {
        String::new()
    }

    /// A Chargebee record this new Customerp record takes over instead of creating one
    /// (an order made from a linked quote), with the reason.
    fn adopt(&self, _rec: &Value, _ctx: &Ctx) -> Option<(String, String)> {
        None
    }

    /// Why a create's requests make no record of this flow's resource themselves, when Chargebee makes
    /// it from their result (an order it generates for the new invoice): the plan then gives no
    /// Chargebee id, and the plan given the record Chargebee made adopts it.
    fn made_by_chargebee(&self, _ctx: &Ctx) -> Option<String> {
        None
    }

    /// Why a linked pair no longer syncs, if it does not (a quote whose order an order took over).
    fn released(&self, _cp: &record::Record, _cb: &record::Record) -> Option<String> {
        None
    }

    /// Warnings about a linked pair beyond its rows (totals that disagree).
    fn check_pair(&self, _cp: &record::Record, _cb: &record::Record, _ctx: &mut Ctx) {}

    /// Fields a new Customerp record made from this Chargebee record gets besides its mapped
    /// properties.
    fn customerp_new(&self, _cb: &Value, _ctx: &Ctx) -> Map<String, Value> {
        Map::new()
    }

    /// The Customerp changes that mark a record whose Chargebee partner was deleted.
    fn customerp_deactivate(&self) -> Map<String, Value>;

    fn create_requests(&self, id: &str, resource: Map<String, Value>, cp: &Value, ctx: &Ctx) -> Result<Vec<RequestSpec>>;

    /// Requests that write `changed` rows (indices into `props()`) whose merged values are `merged`.
    fn update_requests(&self, id: &str, changed: &[usize], merged: &[Value], current: &Value, ctx: &Ctx)
        -> Vec<RequestSpec>;

    /// `deletes: "safe"`: the requests that mark the Chargebee record instead of deleting it.
    fn mark_deleted_requests(&self, id: &str, current: &Value, cp_id: Option<&str>) -> Vec<RequestSpec>;

    /// `deletes: "propagate"`.
    fn delete_requests(&self, id: &str, current: &Value) -> Vec<RequestSpec>;

    /// The Chargebee record's row values after a safe or propagated delete's `requests`, from its
    /// `current` values, for a plan's `changes`: the rows the requests' params set; none once a request
    /// deletes the record.
    fn values_after_delete(&self, current: &[Value], requests: &[RequestSpec], ctx: &mut Ctx) -> Vec<Value> {
        let mut out = current.to_vec();
        // The flow's rows with those `mappings` adds (the table the current values are of).
        let props = match ctx.options.rows {
            Some((id, rows)) if id == self.id() => rows,
            _ => self.props(),
        };
        for r in requests {
            if r.path.ends_with("/delete") {
                return vec![Value::Null; current.len()];
            }
            let params = Value::Object(r.params.clone());
            for (i, p) in props.iter().enumerate().take(out.len()) {
                let settable = p.dir != table::Dir::ToChargebeeOnCreate && !matches!(p.kind, table::Kind::Each(_));
                if settable && path::get_path(&params, p.cb, "").is_ok_and(|v| v.is_some()) {
                    if let Ok(v) = p.read_chargebee(&params, "", ctx) {
                        out[i] = v;
                    }
                }
            }
        }
        out
    }

    /// Rows decided together with a leading row (an order's status with its cancellation reason and
    /// date), by Chargebee attribute: when the leading row moves one way, they follow it.
    fn companions(&self) -> Option<(&'static str, &'static [&'static str])> {
        None
    }

    /// Whether writing the leading row to this Chargebee record also empties its companions (an
    /// order reopened from cancelled loses its cancellation reason and date).
    fn lead_write_empties_companions(&self, _current: &Value) -> bool {
        false
    }

    /// The Customerp property paths of this flow, for `propertyWinners`.
    fn property_names(&self) -> Vec<&'static str> {
        self.props().iter().map(|p| p.cp).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_chargebee_id_two_customerp_ids_share_maps_back_to_the_first_listed_every_time() {
        // Found by the `plan` fuzz target: an order's lines linked to one item through two products
        // planned differently from one call to the next.
        let v = json!({"product-item": {"P-KIT-2": "KIT-1", "P-KIT-1": "KIT-1", "P-KIT-3": "KIT-3"}});
        for _ in 0..64 {
            let links = Links::parse(Some(&v), "/links").unwrap();
            assert_eq!(links.customerp_id(FlowId::ProductItem, "KIT-1").as_deref(), Some("P-KIT-2"));
            assert_eq!(links.get(FlowId::ProductItem, "P-KIT-1"), Some("KIT-1"));
        }
    }
}
