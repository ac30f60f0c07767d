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
            // A record is linked at most once (two live records of one id are an error), and never
            // both linked and ambiguous.
            let mut cp_seen = HashSet::new();
            let mut cb_seen = HashSet::new();
            for l in &m.links {
                assert!(cp_seen.insert(l.customerp.clone()), "customerp {} linked twice", l.customerp);
                assert!(cb_seen.insert(l.chargebee.clone()), "chargebee {} linked twice", l.chargebee);
            }
            for amb in &m.ambiguous {
                assert!(amb.customerp.len() + amb.chargebee.len() > 2, "an ambiguity of one pair: {amb:?}");
            }
        }
    }
});
