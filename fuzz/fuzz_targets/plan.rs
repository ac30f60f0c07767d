#![no_main]
use customerp_chargebee::api;
use customerp_chargebee_fuzz::*;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Some(mut i) = decode(data) else { return };
    // An input may carry an UndoInput under "undo": it is planned with planUndo too.
    let undo = i.value.as_object_mut().and_then(|m| m.shift_remove("undo"));
    let a = api::plan(i.flow, &i.value, opts(&i));
    check_deterministic(&a, &api::plan(i.flow, &i.value, opts(&i)));
    match a {
        Err(e) => check_error(&e),
        Ok(p) => {
            let v = serde_json::to_value(&p).unwrap();
            check_plan(&v, &i.options);
            // The base a plan returns is accepted by the next plan of the same pair.
            if !v["base"].is_null() {
                let mut next = i.value.clone();
                next["base"] = v["base"].clone();
                if let Err(e) = api::plan(i.flow, &next, opts(&i)) {
                    assert_ne!(e.code.as_str(), "invalid_base", "its own base refused: {e} — {}", v["base"]);
                }
            }
            // With `changes`: the same plan but for them; their undo plans (or refuses) as any plan does.
            let mut with_changes = if i.options.is_null() { json!({}) } else { i.options.clone() };
            with_changes["changes"] = json!(true);
            let c = serde_json::to_value(api::plan(i.flow, &i.value, Some(&with_changes)).expect("the option changes nothing else")).unwrap();
            let mut stripped = c.clone();
            let changes = stripped.as_object_mut().unwrap().shift_remove("changes").expect("changes listed");
            assert_eq!(stripped.to_string(), v.to_string(), "changes: true changed the plan");
            let undo = undo.clone().unwrap_or_else(|| undo_of(&changes));
            let mut ran = i.value.clone();
            ran["base"] = v["base"].clone();
            for undo in [undo, json!({"release": "chargebee"}), json!({"release": "customerp"})] {
                check_undo(i.flow, &ran, &undo, &with_changes);
            }
        }
    }
    if let Some(undo) = undo {
        check_undo(i.flow, &i.value, &undo, opts(&i).unwrap_or(&Value::Null));
    }
});

/// The undo input of a plan's changes, as a host makes it for its journal.
fn undo_of(changes: &Value) -> Value {
    let properties: Vec<Value> = changes
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| json!({"side": c["side"], "property": c["property"], "chargebee": c["chargebee"], "line": c.get("line"), "before": c["from"], "after": c["to"]}))
        .collect();
    json!({"properties": properties})
}

/// planUndo never panics, is deterministic, and plans what any plan may.
fn check_undo(flow: &str, input: &Value, undo: &Value, options: &Value) {
    let o = (!options.is_null()).then_some(options);
    let u = api::plan_undo(flow, input, undo, o);
    check_deterministic(&u, &api::plan_undo(flow, input, undo, o));
    match u {
        Err(e) => check_error(&e),
        Ok(u) => check_plan(&serde_json::to_value(&u).unwrap(), options),
    }
}
