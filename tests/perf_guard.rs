//! Performance guards that cannot flake: they count work, not seconds.

use customerp_chargebee::{api, engine::matching, flows};
use serde_json::{json, Value};

/// `n` contacts and `n` Chargebee customers, 60% sharing an e-mail (some in other case or with
/// spaces), plus a few duplicates.
fn sides(n: usize) -> (Value, Value) {
    let cps: Vec<Value> = (0..n).map(|i| json!({"id": i.to_string(), "email": format!("person{i}@example.com")})).collect();
    let cbs: Vec<Value> = (0..n)
        .map(|i| {
            let email = if i % 10 < 6 {
                if i % 3 == 0 { format!(" Person{i}@Example.COM ") } else { format!("person{i}@example.com") }
            } else if i % 97 == 0 {
                format!("person{}@example.com", i - 1)
            } else {
                format!("other{i}@example.org")
            };
            json!({"id": format!("cb_{i}"), "email": email})
        })
        .collect();
    (Value::Array(cps), Value::Array(cbs))
}

#[test]
fn matching_twice_the_records_takes_at_most_two_and_a_half_times_the_operations() {
    let flow = flows::get("contact-customer").unwrap();
    let ops = |n| {
        let (cps, cbs) = sides(n);
        let m = matching::match_records(flow, &cps, &cbs).unwrap();
        assert!(m.links.len() >= n / 2, "most shared e-mails link");
        m.operations
    };
    for n in [1_000, 10_000] {
        let (one, two) = (ops(n), ops(2 * n));
        assert!(two as f64 <= 2.5 * one as f64, "n={n}: {one} → {two} operations is not linear");
    }
}

#[test]
fn a_rerun_with_no_changes_plans_no_writes() {
    // Plan, apply, plan again for a page of contacts: the second pass writes nothing.
    let inputs: Vec<_> = (0..200)
        .map(|i| Ok(json!({"customerp": {"id": i.to_string(), "first_name": "Åse", "last_name": format!("Nr {i}"),
            "email": format!("p{i}@example.com"), "updated": "2026-01-01T00:00:00Z"}})))
        .collect();
    let first = serde_json::to_value(api::plan_batch("contact-customer", inputs, None).unwrap()).unwrap();
    let second: Vec<_> = first
        .as_array()
        .unwrap()
        .iter()
        .map(|slot| {
            let p = &slot["plan"];
            let params = &p["chargebee"]["requests"][0]["params"];
            let mut cb = params.clone();
            cb["updated_at"] = json!(1767225600);
            let id = p["link"]["customerp"].as_str().unwrap();
            Ok(json!({"customerp": {"id": id, "first_name": "Åse", "last_name": params["last_name"], "email": params["email"],
                "updated": "2026-01-01T00:00:00Z"}, "chargebee": cb, "base": p["base"]}))
        })
        .collect();
    let again = serde_json::to_value(api::plan_batch("contact-customer", second, None).unwrap()).unwrap();
    for slot in again.as_array().unwrap() {
        assert_eq!(slot["plan"]["chargebee"]["requests"], json!([]), "{slot}");
        assert_eq!(slot["plan"]["customerp"]["action"], "none");
    }
}

#[test]
fn a_mapped_table_is_built_once_per_configuration() {
    // The same mappings give the very same table (no rebuild, nothing leaked per call); calls
    // without mappings get the flow itself.
    let flow = flows::get("contact-customer").unwrap();
    let opts = json!({"mappings": {"contact-customer": [{"customerp": "vat_id", "chargebee": "vat_number", "type": "string"}]}});
    let a = customerp_chargebee::mappings::flow_with(flow, Some(&opts)).unwrap();
    let b = customerp_chargebee::mappings::flow_with(flow, Some(&opts.clone())).unwrap();
    assert!(std::ptr::eq(a.props(), b.props()), "the second call rebuilt the table");
    assert_eq!(a.props().len(), flow.props().len() + 1);
    let plain = customerp_chargebee::mappings::flow_with(flow, None).unwrap();
    assert!(std::ptr::eq(plain.props(), flow.props()));
    let other = json!({"mappings": {"contact-customer": [{"customerp": "vat", "chargebee": "vat_number", "type": "string"}]}});
    let c = customerp_chargebee::mappings::flow_with(flow, Some(&other)).unwrap();
    assert!(!std::ptr::eq(a.props(), c.props()), "another configuration has its own table");
}
