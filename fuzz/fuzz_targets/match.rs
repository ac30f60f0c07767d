#![no_main]
use customerp_chargebee::api;
use customerp_chargebee_fuzz::*;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    let Some(i) = decode(data) else { return };
    let (cps, cbs) = match &i.value {
        Value::Array(a) if a.len() == 2 => (a[0].clone(), a[1].clone()),
        other => (other.clone(), Value::Array(vec![])),
    };
    let a = api::match_records(i.flow, &cps, &cbs, opts(&i));
    check_deterministic(&a, &api::match_records(i.flow, &cps, &cbs, opts(&i)));
    match a {
        Err(e) => check_error(&e),
        Ok(m) => {
            // A record is linked at most once, and never both linked and ambiguous.
            let mut cp_seen = HashSet::new();
            let mut cb_seen = HashSet::new();
            for l in &m.links {
                assert!(cp_seen.insert(l.customerp.clone()) || dup_id(&cps, &l.customerp), "customerp {} linked twice", l.customerp);
                assert!(cb_seen.insert(l.chargebee.clone()) || dup_id(&cbs, &l.chargebee), "chargebee {} linked twice", l.chargebee);
            }
            for amb in &m.ambiguous {
                assert!(amb.customerp.len() + amb.chargebee.len() > 2, "an ambiguity of one pair: {amb:?}");
            }
        }
    }
});

/// Inputs may repeat an id; then two links to "the same" id are two records.
fn dup_id(list: &Value, id: &str) -> bool {
    list.as_array().is_some_and(|a| {
        a.iter()
            .filter(|r| {
                let r = r.get("customer").or(r.get("item")).or(r.get("order")).or(r.get("business_entity")).unwrap_or(r);
                match r.get("id") {
                    Some(Value::String(s)) => s.trim() == id || s == id,
                    Some(Value::Number(n)) => n.to_string() == id,
                    _ => false,
                }
            })
            .count()
            > 1
    })
}
