//! The `Matcher` class: unlinked records fed page by page give what `match` gives for the same two
//! lists, a record it cannot add is an error at its index across pages, misuse throws.

use super::{chargebee_customer, contact, err, item_opts, ok, product, with, Driver};
use serde_json::{json, Value};

/// The steps that give `cps` and `cbs` in pages of `size`, the sides taking turns, then `finish`.
fn paged(cps: &Value, cbs: &Value, size: usize) -> Value {
    let pages = |list: &Value| list.as_array().unwrap().chunks(size).map(|c| Value::Array(c.to_vec())).collect::<Vec<_>>();
    let (a, b) = (pages(cps), pages(cbs));
    let mut steps = Vec::new();
    for k in 0..a.len().max(b.len()) {
        if let Some(p) = a.get(k) {
            steps.push(json!({"customerp": p}));
        }
        if let Some(p) = b.get(k) {
            steps.push(json!({"chargebee": p}));
        }
    }
    steps.push(json!({"finish": true}));
    Value::Array(steps)
}

/// Runs the steps on a new Matcher; the outcome of each.
fn run(d: &dyn Driver, flow: &str, steps: Value, options: Value) -> Vec<Value> {
    ok(d, "Matcher", vec![json!(flow), steps, options]).as_array().unwrap().clone()
}

/// Every page size from 1 to the longest list gives exactly what `match` gives.
fn pages_equal_match(d: &dyn Driver, flow: &str, cps: Value, cbs: Value, options: Value) -> Value {
    let whole = ok(d, "match", vec![json!(flow), cps.clone(), cbs.clone(), options.clone()]);
    let longest = cps.as_array().unwrap().len().max(cbs.as_array().unwrap().len());
    for size in 1..=longest {
        let out = run(d, flow, paged(&cps, &cbs, size), options.clone());
        let (finish, adds) = out.split_last().unwrap();
        assert!(adds.iter().all(|o| o["errors"] == json!([])), "{flow}, pages of {size}: {adds:?}");
        assert_eq!(finish["result"], whole, "{flow}, pages of {size}");
    }
    whole
}

pub fn matcher_pages_give_what_match_gives(d: &dyn Driver) {
    // contact-customer: an ambiguous e-mail shared by Customerp records 2, 3 and 4 (pages of 3 cut the
    // group), a tagged customer, a deleted one, an employee's.
    let cps = json!([
        {"id": "1", "email": "kari@example.no"}, {"id": "9", "email": "nine@example.no"},
        {"id": "2", "email": "dup@example.com"}, {"id": 3, "email": " DUP@example.com"}, {"id": "4", "email": "dup@Example.com"},
        {"id": "5", "email": "two@example.com"}, {"id": "6"}, {"id": "7", "email": "solo@example.com", "deleted": true}
    ]);
    let cbs = json!([
        {"id": "cb_a", "email": "Kari@example.no"}, {"id": "cb_dup", "email": "dup@example.com"},
        {"id": "cb_two1", "email": "two@example.com"}, {"id": "cb_tag", "email": "x@example.com", "meta_data": {"customerp": {"type": "contact", "id": "9"}}},
        {"id": "cb_two2", "email": "TWO@example.com"}, {"id": "cb_emp", "email": "solo@example.com", "meta_data": {"customerp": {"type": "employee", "id": "1"}}},
        {"customer": {"id": "cb_wrapped", "email": "nobody@example.com"}}
    ]);
    let m = pages_equal_match(d, "contact-customer", cps, cbs, Value::Null);
    assert_eq!(m["links"], json!([{"customerp": "9", "chargebee": "cb_tag", "by": "meta_data.customerp"},
                                  {"customerp": "1", "chargebee": "cb_a", "by": "email"}]));
    assert_eq!(m["ambiguous"].as_array().unwrap().len(), 2, "{m}");
    // employee-customer: the contact's customer is never an employee's.
    let emps = json!([{"id": 4, "email": "jurgen@example.com"}, {"id": 5, "email": "x@example.com"}]);
    let cbs = json!([{"id": "cb_j", "email": "jurgen@example.com"}, {"id": "cb_c", "email": "x@example.com", "meta_data": {"customerp": {"type": "contact", "id": "9"}}}]);
    pages_equal_match(d, "employee-customer", emps, cbs, Value::Null);
    // product-item: sku first, then name (one name shared by two items: ambiguous).
    let cps = json!([with(product("KIT-1", "10", "USD"), json!({"name": "Kit"})), with(product("KIT-2", "10", "USD"), json!({"name": "Kabel"})),
                     with(product("KIT-3", "10", "USD"), json!({"name": "Boks"})), with(product("KIT-4", "10", "USD"), json!({"name": "Lokk"}))]);
    let cbs = json!([{"id": "KIT-1", "name": "Kit"}, {"id": "other-2", "name": "KABEL"}, {"id": "boks-a", "name": "boks"},
                     {"id": "boks-b", "name": "Boks"}, {"id": "KIT-9", "name": "Lokk", "metadata": {"customerp": {"type": "product", "deleted": true}}}]);
    let m = pages_equal_match(d, "product-item", cps, cbs, item_opts());
    assert_eq!(m["links"], json!([{"customerp": "P-KIT-1", "chargebee": "KIT-1", "by": "sku"}, {"customerp": "P-KIT-2", "chargebee": "other-2", "by": "name"}]));
    // order-order and quote-order: by number; two orders with one reference are ambiguous.
    let orders = json!([{"id": "1", "number": "SO-1"}, {"id": "2", "number": "SO-2"}, {"id": "3", "number": "SO-3"}]);
    let cbs = json!([{"id": "o1", "reference_id": "SO-1", "status": "queued"}, {"id": "o2a", "reference_id": "SO-2", "status": "queued"},
                     {"id": "o2b", "reference_id": "SO-2", "status": "shipped"}, {"id": "o3", "reference_id": "SO-3", "status": "cancelled"}]);
    let m = pages_equal_match(d, "order-order", orders.clone(), cbs.clone(), Value::Null);
    assert_eq!(m["ambiguous"], json!([{"customerp": ["2"], "chargebee": ["o2a", "o2b"], "by": "number"}]));
    pages_equal_match(d, "quote-order", json!([{"id": "42", "number": "SO-1"}, {"id": "43", "number": "SO-2"}]), cbs, Value::Null);
    // customer-business_entity: by normalised name.
    let cps = json!([{"id": "C-1", "name": "Fjordkraft AS"}, {"id": "C-2", "name": "  ÅSE   Bakeri "}, {"id": "C-3", "name": "Ås"}]);
    let cbs = json!([{"id": "be_1", "name": "fjordkraft as"}, {"id": "be_2", "name": "a\u{30a}se bakeri"}, {"id": "be_3", "name": "ÅS"}, {"id": "be_4", "name": "ås"}]);
    pages_equal_match(d, "customer-business_entity", cps, cbs, Value::Null);
}

/// The error `match` throws for the last record of these lists (the first error it meets).
fn match_error(d: &dyn Driver, flow: &str, cps: &[Value], cbs: &[Value]) -> Value {
    err(d, "match", vec![json!(flow), json!(cps), json!(cbs), Value::Null])
}

pub fn matcher_refuses_a_bad_record_and_keeps_the_rest(d: &dyn Driver) {
    let f = "contact-customer";
    let cps: Vec<Value> = vec![with(contact(), json!({"id": "1", "email": "a@example.com"})), json!({"id": "2", "email": "b@example.com"})];
    let page2: Vec<Value> = vec![
        json!({"id": {"not": "an id"}, "email": "c@example.com"}),
        json!("not a record"),
        json!({"id": 1, "email": "d@example.com"}),
        json!({"id": "5", "email": "e@example.com"}),
    ];
    let cbs: Vec<Value> = vec![
        with(chargebee_customer(), json!({"id": "cb1", "email": "a@example.com"})),
        json!({"id": "cb2", "email": "b@example.com"}),
        json!({"id": 7}),
        json!({"id": "cb5", "email": "E@example.com"}),
        json!({"id": "cb2", "email": "x@example.com"}),
    ];
    let steps = json!([{"customerp": cps}, {"customerp": page2}, {"chargebee": &cbs[..2]}, {"chargebee": &cbs[2..]}, {"finish": true}]);
    let out = run(d, f, steps, Value::Null);
    assert_eq!(out[0]["errors"], json!([]));
    assert_eq!(out[2]["errors"], json!([]));
    // Each error is the one `match` throws for that record, at its index across pages.
    let errors = out[1]["errors"].as_array().unwrap();
    let all: Vec<Value> = cps.iter().chain(&page2).cloned().collect();
    let paths: Vec<&str> = errors.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["/customerp/2/id", "/customerp/3", "/customerp/4/id"], "{errors:?}");
    for (e, upto) in errors.iter().zip([3, 4, 5]) {
        // match stops at its first bad record: give it the good ones before this one, and this one.
        let mut list: Vec<Value> = all[..upto - 1].iter().filter(|r| r["id"].is_string()).cloned().collect();
        let skipped = upto - 1 - list.len();
        list.extend(std::iter::repeat_n(json!({"id": "filler", "deleted": true}), skipped));
        list.push(all[upto - 1].clone());
        let want = match_error(d, f, &list, &[]);
        assert_eq!((&e["code"], &e["path"], &e["flow"], &e["recordId"]), (&want["code"], &want["path"], &want["flow"], &want["recordId"]), "{e}");
        assert_eq!(e["name"], "SyncError");
    }
    assert!(errors[2]["message"].as_str().unwrap().contains("record 0 of the list has it too"), "{}", errors[2]);
    let cb_errors = out[3]["errors"].as_array().unwrap();
    assert_eq!(cb_errors.iter().map(|e| (e["code"].as_str().unwrap(), e["path"].as_str().unwrap())).collect::<Vec<_>>(),
               [("invalid_type", "/chargebee/2/id"), ("invalid_value", "/chargebee/4/id")], "{cb_errors:?}");
    assert!(cb_errors[1]["message"].as_str().unwrap().contains("record 1 of the list"), "{}", cb_errors[1]);
    assert_eq!(cb_errors[1]["recordId"], "cb2");
    // A refused record takes no part; the others match as without it.
    let want = ok(d, "match", vec![json!(f), json!([cps[0], cps[1], page2[3]]), json!([cbs[0], cbs[1], cbs[3]]), Value::Null]);
    assert_eq!(out[4]["result"], want);
    assert_eq!(want["links"].as_array().unwrap().len(), 3);
}

pub fn matcher_misuse_throws_a_sync_error(d: &dyn Driver) {
    let f = "contact-customer";
    let out = run(d, f, json!([{"customerp": [contact()]}, {"finish": true}, {"customerp": [contact()]}, {"chargebee": []}, {"finish": true}]), Value::Null);
    assert_eq!(out[1]["result"]["links"], json!([]));
    for o in &out[2..] {
        let e = &o["error"];
        assert_eq!((e["name"].as_str(), e["code"].as_str(), e["flow"].as_str()), (Some("SyncError"), Some("invalid_type"), Some(f)), "{o}");
        assert!(e["message"].as_str().unwrap().contains("finish() was called already"), "{e}");
    }
    // Not a list: thrown as `match` throws it, and the Matcher keeps working.
    let out = run(d, f, json!([{"customerp": {"id": "1"}}, {"chargebee": "cb"}, {"customerp": [contact()]}, {"finish": true}]), Value::Null);
    assert_eq!((out[0]["error"]["code"].as_str(), out[0]["error"]["path"].as_str()), (Some("invalid_type"), Some("/customerp")), "{out:?}");
    assert_eq!((out[1]["error"]["code"].as_str(), out[1]["error"]["path"].as_str()), (Some("invalid_type"), Some("/chargebee")), "{out:?}");
    let e = err(d, "match", vec![json!(f), json!({"id": "1"}), json!([]), Value::Null]);
    assert_eq!(out[0]["error"], e);
    assert_eq!(out[2]["errors"], json!([]));
    assert_eq!(out[3]["result"], json!({"links": [], "ambiguous": []}));
    // The constructor checks the flow and the options as `match` does.
    let e = err(d, "Matcher", vec![json!("no-such-flow"), json!([]), Value::Null]);
    assert_eq!(e, err(d, "match", vec![json!("no-such-flow"), json!([]), json!([]), Value::Null]));
    let e = err(d, "Matcher", vec![json!(f), json!([]), json!({"conflicts": "loudest"})]);
    assert_eq!((e["code"].as_str(), e["path"].as_str()), (Some("invalid_options"), Some("/options/conflicts")));
}
