//! Applies a plan's Chargebee requests to a customer the way Chargebee does, for convergence
//! checks: a create takes the whole resource, `POST /customers/{id}` merges core fields (and
//! replaces `meta_data` whole), `update_billing_info` replaces the billing address.

use serde_json::{json, Value};

pub fn apply(current: Option<Value>, plan: &Value, now: i64) -> Option<Value> {
    let mut rec = current;
    for req in plan["chargebee"]["requests"].as_array().unwrap() {
        let path = req["path"].as_str().unwrap();
        let params = req["params"].as_object().unwrap().clone();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match parts.as_slice() {
            ["customers"] => {
                let mut c = json!({"object": "customer", "deleted": false, "auto_collection": "on",
                                   "created_at": now, "net_term_days": 0});
                for (k, v) in params {
                    c[k] = v;
                }
                rec = Some(c);
            }
            ["customers", _id] => {
                let c = rec.as_mut().expect("update of a missing customer");
                for (k, v) in params {
                    assert_ne!(k, "billing_address", "Chargebee's plain update rejects billing_address");
                    c[k] = v;
                }
            }
            ["customers", _id, "update_billing_info"] => {
                let c = rec.as_mut().expect("billing update of a missing customer");
                let mut addr = params["billing_address"].clone();
                // Chargebee drops empty fields.
                addr.as_object_mut().unwrap().retain(|_, v| v != "");
                c["billing_address"] = addr;
            }
            ["customers", _id, "delete"] => return None,
            other => panic!("unexpected request {other:?}"),
        }
        if let Some(c) = rec.as_mut() {
            // Chargebee stores what it was sent, minus empties.
            if let Some(m) = c.as_object_mut() {
                m.retain(|_, v| v != "");
            }
            c["updated_at"] = json!(now);
        }
    }
    rec
}
