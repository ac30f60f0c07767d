//! A record of either side, validated and read into canonical values, one per table row.

use crate::engine::{Ctx, Flow};
use crate::error::{pointer, read_at, Result, SyncError};
use crate::values;
use serde_json::Value;
use std::borrow::Cow;

pub struct Record<'a> {
    /// The record as given; for Chargebee, the flow's view of it (e.g. an item with its one price).
    pub raw: Cow<'a, Value>,
    pub id: String,
    /// Last change, Unix seconds: Customerp `updated`, Chargebee `updated_at`.
    pub clock: Option<i64>,
    pub created: Option<i64>,
    pub deleted: bool,
    /// Canonical value per row of the flow's table.
    pub values: Vec<Value>,
}

/// Chargebee hands resources in an envelope (`{"customer": {…}}`) or inside an event
/// (`{"content": {"business_entity": {…}}}`); accept those shapes as well as the bare resource.
/// Returns the resource and where it sits in what was given (for error paths).
pub fn unwrap_resource<'a>(flow: &dyn Flow, v: &'a Value) -> (&'a Value, String) {
    let key = flow.resource_key();
    match v {
        Value::Object(m) if m.get("object").and_then(Value::as_str) == Some("event") => match m.get("content").and_then(|c| c.get(key)) {
            Some(inner @ Value::Object(_)) => (inner, format!("/content/{key}")),
            _ => (v, String::new()),
        },
        Value::Object(m) if !m.contains_key("id") => match m.get(key) {
            Some(inner @ Value::Object(_)) => (inner, format!("/{key}")),
            _ => (v, String::new()),
        },
        _ => (v, String::new()),
    }
}

pub fn read_customerp<'a>(flow: &dyn Flow, v: &'a Value, root: &str, ctx: &mut Ctx) -> Result<Record<'a>> {
    if !v.is_object() {
        return Err(SyncError::invalid_type(root, "a Customerp record (object) or null"));
    }
    let id = read_at(|| pointer(root, "id"), |path| values::read_id(v.get("id").unwrap_or(&Value::Null), path))?;
    let wrap = |e: SyncError| e.for_record(Some(&id));
    let clock = read_at(|| pointer(root, "updated"), |path| values::read_instant(v.get("updated"), path)).map_err(wrap)?;
    let created = read_at(|| pointer(root, "created"), |path| values::read_instant(v.get("created"), path)).map_err(wrap)?;
    let deleted = read_at(|| pointer(root, "deleted"), |path| values::read_bool(v.get("deleted"), path)).map_err(wrap)?.unwrap_or(false);
    flow.check_customerp(v, root, ctx).map_err(wrap)?;
    warn_unknown_fields(flow, v, ctx);
    let values = flow
        .props()
        .iter()
        .map(|p| p.read_customerp(v, &id, root, ctx))
        .collect::<Result<Vec<_>>>()
        .map_err(wrap)?;
    Ok(Record { raw: Cow::Borrowed(v), id, clock, created, deleted, values })
}

pub fn read_chargebee<'a>(flow: &dyn Flow, v: &'a Value, root: &str, ctx: &mut Ctx) -> Result<Record<'a>> {
    let (v, inner) = unwrap_resource(flow, v);
    let root: &str = &if inner.is_empty() { Cow::Borrowed(root) } else { Cow::Owned(format!("{root}{inner}")) };
    if !v.is_object() {
        return Err(SyncError::invalid_type(root, "a Chargebee resource (object) or null"));
    }
    let id = match v.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            read_at(|| pointer(root, "id"), |path| values::check_chargebee_id(s, path, 100, flow.resource_key()))?;
            s.clone()
        }
        None | Some(Value::Null) => return Err(SyncError::missing(&pointer(root, "id"))),
        Some(_) => return Err(SyncError::invalid_type(&pointer(root, "id"), "a Chargebee id string")),
    };
    let wrap = |e: SyncError| e.for_record(Some(&id));
    let clock = read_at(|| pointer(root, "updated_at"), |path| values::read_timestamp(v.get("updated_at"), path)).map_err(wrap)?;
    let created = read_at(|| pointer(root, "created_at"), |path| values::read_timestamp(v.get("created_at"), path)).map_err(wrap)?;
    let deleted = read_at(|| pointer(root, "deleted"), |path| values::read_bool(v.get("deleted"), path)).map_err(wrap)?.unwrap_or(false);
    let view = flow.chargebee_view(v, root, ctx).map_err(wrap)?;
    let deleted = deleted || flow.chargebee_deleted(&view);
    let clock = flow.chargebee_clock(&view).or(clock);
    // A deleted record's values are never merged; its status may not even be a mapped value.
    let values = if deleted {
        vec![Value::Null; flow.props().len()]
    } else {
        let mut vals = Vec::with_capacity(flow.props().len());
        for p in flow.props() {
            // Rows read from the flow's view name the field where it sits in the input.
            let v = p.read_chargebee(&view, root, ctx).map_err(|mut e| {
                e.path = flow.input_path(std::mem::take(&mut e.path), ctx);
                wrap(e)
            })?;
            vals.push(v);
        }
        vals
    };
    Ok(Record { raw: view, id, clock, created, deleted, values })
}

/// An `unknown_field` warning for each field the record model does not have (the record is still
/// planned: a connector may send more than the model, but a misspelt field would silently be empty).
/// Fields a flow's table maps (a configured mapping's path included) count as known.
fn warn_unknown_fields(flow: &dyn Flow, v: &Value, ctx: &mut Ctx) {
    use crate::flows::{model_fields, ADDRESS_FIELDS, LINE_FIELDS};
    let Some(obj) = v.as_object() else { return };
    let known = model_fields(flow.id());
    let mapped = |path: &str| flow.props().iter().any(|p| p.cp == path || p.cp.starts_with(&format!("{path}.")));
    let mut warn = |path: String| {
        let message = format!("{path} is not a field of a Customerp {} (customerp-model.md): it is ignored; is it misspelt?", flow.doc().customerp_type);
        ctx.warn("unknown_field", Some(&path), message);
    };
    for (k, x) in obj {
        if !known.contains(&k.as_str()) && !mapped(k) {
            warn(k.clone());
            continue;
        }
        match (k.as_str(), x) {
            ("address" | "delivery_address", Value::Object(a)) => {
                for f in a.keys().filter(|f| !ADDRESS_FIELDS.contains(&f.as_str())) {
                    warn(format!("{k}.{f}"));
                }
            }
            ("lines", Value::Array(lines)) => {
                let mut seen: Vec<&str> = Vec::new();
                for line in lines.iter().filter_map(Value::as_object) {
                    for f in line.keys() {
                        if !LINE_FIELDS.contains(&f.as_str()) && !seen.contains(&f.as_str()) {
                            seen.push(f);
                            warn(format!("lines.{f}"));
                        }
                    }
                }
            }
            _ => {}
        }
    }
}
