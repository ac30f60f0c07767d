//! Applies a plan's Chargebee requests to a customer the way Chargebee does, for convergence
//! checks: a create takes the whole resource, `POST /customers/{id}` merges core fields (and
//! replaces `meta_data` whole), `update_billing_info` replaces the billing address.

use serde_json::{json, Value};

pub fn apply(current: Option<Value>, plan: &Value, now: i64) -> Option<Value> {
    let first = plan["chargebee"]["requests"].get(0).and_then(|r| r["path"].as_str()).unwrap_or("");
    let on_customer = first.starts_with("/customers");
    if !first.is_empty() && !on_customer {
        return apply_other(current, plan, now);
    }
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
                for (k, v) in params {
                    if k == "billing_address" {
                        let mut addr = v.clone();
                        // Chargebee drops empty fields.
                        addr.as_object_mut().unwrap().retain(|_, v| v != "");
                        c["billing_address"] = addr;
                    } else {
                        c[k] = v; // vat_number and the other billing-info attributes
                    }
                }
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

/// Items (with their prices under `item_prices`) and orders (made from an invoice).
fn apply_other(current: Option<Value>, plan: &Value, now: i64) -> Option<Value> {
    let mut rec = current;
    let mut results: Vec<Value> = Vec::new();
    for req in plan["chargebee"]["requests"].as_array().unwrap() {
        let path = req["path"].as_str().unwrap();
        let mut params = req["params"].as_object().unwrap().clone();
        // Resolve {"$result": i, "path": "a.b"} references.
        for v in params.values_mut() {
            if let Some(i) = v.get("$result").and_then(Value::as_u64) {
                let mut r = &results[i as usize];
                for seg in v["path"].as_str().unwrap().split('.') {
                    r = &r[seg];
                }
                *v = r.clone();
            }
        }
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut result = json!({});
        match parts.as_slice() {
            ["items"] => {
                let mut item = json!({"object": "item", "status": "active", "deleted": false, "created_at": now, "item_prices": []});
                for (k, v) in params { item[k] = v; }
                rec = Some(item);
            }
            ["items", _id] => {
                let item = rec.as_mut().unwrap();
                for (k, v) in params { item[k] = v; }
            }
            ["items", _id, "delete"] => { rec.as_mut().unwrap()["status"] = json!("deleted"); }
            ["item_prices"] => {
                let mut price = json!({"object": "item_price", "status": "active", "created_at": now, "updated_at": now});
                for (k, v) in params { price[k] = v; }
                rec.as_mut().unwrap()["item_prices"].as_array_mut().unwrap().push(price);
            }
            ["item_prices", pid] | ["item_prices", pid, _] => {
                let prices = rec.as_mut().unwrap()["item_prices"].as_array_mut().unwrap();
                let price = prices.iter_mut().find(|p| p["id"] == *pid).expect("item price exists");
                if parts.len() == 3 { price["status"] = json!("deleted"); } else { for (k, v) in params { price[k] = v; } }
            }
            ["invoices", "create_for_charge_items_and_charges"] => {
                let lines: Vec<Value> = params["item_prices"].as_array().unwrap().iter().enumerate().map(|(i, l)| json!({
                    "id": format!("li_{i}"), "entity_id": l["item_price_id"], "quantity": l["quantity"],
                    "unit_price": l.get("unit_price").cloned().unwrap_or(json!(1000)), "description": format!("line {i}")})).collect();
                result = json!({"invoice": {"id": "inv_1", "customer_id": params["customer_id"], "currency_code": params["currency_code"],
                    "line_items": lines, "shipping_address": params.get("shipping_address").cloned().unwrap_or(Value::Null)}});
            }
            ["orders"] => {
                let invoice = &results[0]["invoice"];
                let lines: Vec<Value> = invoice["line_items"].as_array().unwrap().iter().enumerate().map(|(i, l)| json!({
                    "id": format!("o_li_{i}"), "invoice_id": invoice["id"], "entity_type": "charge_item_price",
                    "entity_id": l["entity_id"], "fulfillment_quantity": l["quantity"], "unit_price": l["unit_price"],
                    "description": l["description"], "status": "queued", "is_shippable": true})).collect();
                let subtotal: i64 = lines.iter().map(|l| l["unit_price"].as_i64().unwrap() * l["fulfillment_quantity"].as_i64().unwrap()).sum();
                let mut order = json!({"object": "order", "status": "queued", "deleted": false, "created_at": now, "order_date": now,
                    "shipping_date": now, "customer_id": invoice["customer_id"], "currency_code": invoice["currency_code"],
                    "order_line_items": lines, "sub_total": subtotal, "total": subtotal, "is_resent": false, "price_type": "tax_exclusive"});
                if !invoice["shipping_address"].is_null() { order["shipping_address"] = invoice["shipping_address"].clone(); }
                for (k, v) in params { order[k] = v; }
                rec = Some(order);
            }
            ["orders", _id] => {
                let order = rec.as_mut().unwrap();
                for (k, v) in params {
                    if k == "order_line_items" {
                        for upd in v.as_array().unwrap() {
                            let line = order["order_line_items"].as_array_mut().unwrap().iter_mut().find(|l| l["id"] == upd["id"]).expect("line id");
                            for (f, fv) in upd.as_object().unwrap() { line[f] = fv.clone(); }
                        }
                    } else {
                        order[k] = v;
                    }
                }
            }
            ["orders", _id, "cancel"] => {
                let order = rec.as_mut().unwrap();
                order["status"] = json!("cancelled");
                order["cancellation_reason"] = params["cancellation_reason"].clone();
                order["cancelled_at"] = params.get("cancelled_at").cloned().unwrap_or(json!(now));
            }
            ["orders", _id, "reopen"] => {
                // Back in the queue; the cancellation it undoes goes with it (as the emulator does).
                let order = rec.as_mut().unwrap().as_object_mut().unwrap();
                assert_eq!(order["status"], "cancelled", "only a cancelled order can be reopened");
                order.insert("status".into(), json!("queued"));
                order.remove("cancellation_reason");
                order.remove("cancelled_at");
            }
            other => panic!("unexpected request {other:?}"),
        }
        if let Some(r) = rec.as_mut() { r["updated_at"] = json!(now); }
        results.push(result);
    }
    rec
}
