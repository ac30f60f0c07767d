//! Writes the starting corpus of every fuzz target into `fuzz/corpus/<target>/`, from the records
//! of `tests/corpus/templates.json`, the Chargebee fixtures (when `../shared/fixtures/chargebee`
//! is there), and the pairs a real sync passes through: created, applied and re-planned.
//!
//!   cargo run --example make_seeds -- <out dir> [<fixtures dir>]

#[path = "../../tests/common/fake_chargebee.rs"]
mod fake_chargebee;

use customerp_chargebee::api;
use customerp_chargebee_fuzz::{encode_input, FLOWS};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

fn with(mut v: Value, patch: Value) -> Value {
    if let (Value::Object(a), Value::Object(b)) = (&mut v, patch) {
        for (k, pv) in b {
            a.insert(k, pv);
        }
    }
    v
}

/// What a connector does with a plan's Customerp action.
fn apply_customerp(cp: Option<Value>, p: &Value) -> Option<Value> {
    let a = &p["customerp"];
    match a["action"].as_str().unwrap_or("none") {
        "create" => Some(with(a["changes"].clone(), json!({"id": "900", "updated": "2026-06-01T12:00:00Z"}))),
        "update" => {
            let mut rec = cp?;
            for (k, v) in a["changes"].as_object()? {
                rec[k] = v.clone();
            }
            rec["updated"] = json!("2026-06-01T12:00:00Z");
            Some(rec)
        }
        "delete" => None,
        _ => cp,
    }
}

struct Seeds {
    set: BTreeSet<(String, Vec<u8>)>,
}

impl Seeds {
    fn add(&mut self, target: &str, flow: usize, preset: u8, v: &Value) {
        self.set.insert((target.to_string(), encode_input(flow, preset, v)));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = Path::new(args.get(1).map(String::as_str).unwrap_or("corpus"));
    let fixtures = args.get(2).map(Path::new);
    let t: Value = serde_json::from_str(include_str!("../../tests/corpus/templates.json")).unwrap();
    let links = t["order_links"].clone();
    let mut quote_links = links.clone();
    quote_links["quote-order"] = json!({"42": "cp-quote-42"});
    // Per flow: (Customerp records, Chargebee records, links, options preset).
    let per_flow: Vec<(Vec<Value>, Vec<Value>, Value, u8)> = vec![
        (vec![t["contact"].clone(), with(t["contact"].clone(), json!({"phone": null, "id": 18}))], vec![t["cb_customer"].clone()],
         json!({"customer-business_entity": {"C-5": "AzqK1mUbN2x1Q4Fa"}}), 0),
        (vec![t["erp_customer"].clone()], vec![t["business_entity"].clone(),
          json!({"object": "event", "event_type": "business_entity_created", "content": {"business_entity": t["business_entity"]}})], Value::Null, 0),
        (vec![t["employee"].clone()], vec![with(t["cb_customer"].clone(), json!({"meta_data": {"customerp": {"type": "employee", "id": "4"}}}))], Value::Null, 5),
        (vec![t["quote"].clone(), with(t["quote"].clone(), json!({"currency": "JPY", "status": "sent"}))], vec![t["cb_order"].clone()], links.clone(), 4),
        (vec![t["order"].clone(), with(t["order"].clone(), json!({"quote_id": "42", "id": "108"}))], vec![t["cb_order"].clone()], quote_links, 1),
        (vec![t["product"].clone(), with(t["product"].clone(), json!({"kind": "subscription", "billing_period_unit": "month", "currency": "JPY", "sku": "PRO"}))],
         vec![t["item"].clone()], Value::Null, 1),
    ];
    let mut extra_cb: Vec<(usize, Value)> = Vec::new();
    if let Some(dir) = fixtures {
        for (file, flow) in [("customer.json", 0), ("customer.json", 2), ("business_entity_event.json", 1), ("order.json", 3), ("order.json", 4), ("item.json", 5)] {
            if let Ok(text) = std::fs::read_to_string(dir.join(file)) {
                if let Ok(v) = serde_json::from_str::<Value>(&text) {
                    extra_cb.push((flow, v));
                }
            }
        }
        if let Ok(text) = std::fs::read_to_string(dir.join("item_price.json")) {
            if let Ok(p) = serde_json::from_str::<Value>(&text) {
                let price = p.get("item_price").cloned().unwrap_or(p);
                extra_cb.push((5, with(t["item"].clone(), json!({"item_prices": [price]}))));
            }
        }
    }
    let mut s = Seeds { set: BTreeSet::new() };
    for (fi, (cps, cbs, links, preset)) in per_flow.iter().enumerate() {
        let flow = FLOWS[fi];
        let preset = *preset;
        let cbs: Vec<Value> = cbs.iter().cloned().chain(extra_cb.iter().filter(|(f, _)| *f == fi).map(|(_, v)| v.clone())).collect();
        s.add("match", fi, preset, &json!([cps, cbs]));
        // Each list with its first record twice (a duplicate id), and once more deleted (allowed).
        if let (Some(cp), Some(cb)) = (cps.first(), cbs.first()) {
            s.add("match", fi, preset, &json!([[cp, cp], cbs]));
            s.add("match", fi, preset, &json!([cps, [cb, cb]]));
            s.add("match", fi, preset, &json!([cps, [with(cb.clone(), json!({"deleted": true})), cb]]));
        }
        for cp in cps {
            s.add("to_chargebee", fi, preset, cp);
            if let Ok(cb) = api::to_chargebee(flow, cp, Some(&json!({"itemFamilyId": "hardware"}))) {
                s.add("to_customerp", fi, preset, &cb);
                s.add("encode_form", fi, 0, &cb);
            }
        }
        for cb in &cbs {
            s.add("to_customerp", fi, preset, cb);
            s.add("plan", fi, preset, &json!({"customerp": null, "chargebee": cb, "base": null, "links": links}));
        }
        let mut batch = Vec::new();
        for cp in cps {
            for cb in cbs.iter().map(Some).chain([None]) {
                let input = json!({"customerp": cp, "chargebee": cb, "base": null, "links": links});
                s.add("plan", fi, preset, &input);
                batch.push(input);
            }
            // A whole sync: create, apply both sides, edit, re-plan with the base, delete.
            let opts = customerp_chargebee_fuzz::options_preset(preset);
            let o = (!opts.is_null()).then_some(&opts);
            let Ok(p1) = api::plan(flow, &json!({"customerp": cp, "links": links}), o) else { continue };
            let p1 = serde_json::to_value(p1).unwrap();
            for r in p1["chargebee"]["requests"].as_array().unwrap() {
                s.add("encode_form", fi, 0, &r["params"]);
            }
            let cb_now = std::panic::catch_unwind(|| fake_chargebee::apply(None, &p1, 1_780_000_000)).ok().flatten();
            let cp_now = apply_customerp(Some(cp.clone()), &p1);
            let base = p1["base"].clone();
            let edited_cp = cp_now.clone().map(|c| with(c, json!({"updated": "2026-07-01T09:00:00+02:00", "note": "Ny", "first_name": "Åsa", "name": "Nytt navn", "price": "1599"})));
            let edited_cb = cb_now.clone().map(|c| with(c, json!({"updated_at": 1790000000u64, "first_name": "Aase", "status": "shipped", "description": "x"})));
            for (c, b) in [(cp_now.clone(), cb_now.clone()), (edited_cp.clone(), cb_now.clone()), (cp_now.clone(), edited_cb.clone()),
                           (edited_cp.clone(), edited_cb.clone()), (None, cb_now.clone()), (cp_now.clone(), None),
                           (cp_now.clone().map(|c| with(c, json!({"deleted": true}))), edited_cb.clone())] {
                let input = json!({"customerp": c.clone(), "chargebee": b.clone(), "base": base, "links": links});
                s.add("plan", fi, preset, &input);
                // Its undo: the records it leaves, with its base, its changes to put back (`undo`, which the
                // plan target plans with planUndo), and a release.
                let mut with_changes = if opts.is_null() { json!({}) } else { opts.clone() };
                with_changes["changes"] = json!(true);
                if let Ok(run) = api::plan(flow, &input, Some(&with_changes)) {
                    let run = serde_json::to_value(run).unwrap();
                    let properties: Vec<Value> = run["changes"].as_array().unwrap().iter().map(|c| {
                        json!({"side": c["side"], "property": c["property"], "chargebee": c["chargebee"], "line": c.get("line"), "before": c["from"], "after": c["to"]})
                    }).collect();
                    let b2 = std::panic::catch_unwind(|| fake_chargebee::apply(b.clone(), &run, 1_790_000_500)).ok().flatten();
                    let c2 = apply_customerp(c.clone(), &run);
                    for undo in [json!({"properties": properties}), json!({"release": "chargebee"})] {
                        s.add("plan", fi, preset, &json!({"customerp": c2, "chargebee": b2, "base": run["base"], "links": links, "undo": undo}));
                    }
                }
                for p in 0..8u8 {
                    if p != preset && (p == 2 || p == 3 || p == 4) {
                        s.add("plan", fi, p, &input);
                    }
                }
                batch.push(input.clone());
                if let Ok(p2) = api::plan(flow, &input, o) {
                    for r in serde_json::to_value(p2).unwrap()["chargebee"]["requests"].as_array().unwrap() {
                        s.add("encode_form", fi, 0, &r["params"]);
                    }
                }
            }
        }
        s.add("plan_batch", fi, preset, &Value::Array(batch.clone()));
        batch.push(json!("not even an object"));
        s.add("plan_batch", fi, preset, &Value::Array(batch));
    }
    s.add("encode_form", 0, 0, &json!({"last_name": "Smith & Sons=1&id=x[0]%20\nØ", "billing_address": {"city": "Tromsø"},
        "item_prices": [{"item_price_id": "a-USD", "quantity": 2}], "meta_data": {"k": "v&w"}, "x]&y": "1", "list": ["a", 1, true, null]}));
    let mut count = 0;
    for (target, bytes) in &s.set {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        let name = format!("seed-{:016x}", fnv(bytes));
        std::fs::write(dir.join(name), bytes).unwrap();
        count += 1;
    }
    println!("{count} seeds written to {}", out.display());
}

fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf29ce484222325u64, |h, &x| (h ^ u64::from(x)).wrapping_mul(0x100000001b3))
}
