//! Option `changes` (each property a plan writes, per side, before and after, and why) and
//! `planUndo` (a run's writes put back, planned as any plan is).

use super::{
    apply_customerp, chargebee_customer, contact, converge, erp_order, err, fake_chargebee, item_opts, ok, order_links, plan, product,
    synced_contact_pair, synced_two_line_pair, line_links, with, Driver,
};
use serde_json::{json, Value};

fn with_changes(options: &Value) -> Value {
    let mut o = if options.is_null() { json!({}) } else { options.clone() };
    o["changes"] = json!(true);
    o
}

/// Plans with and without `changes`: byte for byte the same plan but for `changes`, which only the
/// first has. Returns that plan and its changes.
fn plan_changes(d: &dyn Driver, flow: &str, input: Value, options: Value) -> (Value, Vec<Value>) {
    let plain = plan(d, flow, input.clone(), options.clone());
    assert!(plain.get("changes").is_none(), "changes without the option: {plain}");
    let full = plan(d, flow, input, with_changes(&options));
    let mut stripped = full.clone();
    let changes = stripped.as_object_mut().unwrap().shift_remove("changes").unwrap_or_else(|| panic!("no changes: {full}"));
    assert_eq!(stripped.to_string(), plain.to_string(), "{flow}: the option changes more than `changes`");
    let changes = changes.as_array().unwrap().clone();
    // Each row (and line) once per side.
    let mut seen: Vec<(Value, Value, Value)> = Vec::new();
    for c in &changes {
        let key = (c["side"].clone(), c["chargebee"].clone(), c.get("line").cloned().unwrap_or(Value::Null));
        assert!(!seen.contains(&key), "{flow}: {c} twice in {changes:?}");
        seen.push(key);
        assert!(c["reason"].as_str().is_some_and(|r| !r.is_empty()), "{c}");
        assert_ne!(c["from"], c["to"], "{c}");
    }
    (full, changes)
}

/// The one change of a side's row (of a line, when given).
fn change<'a>(changes: &'a [Value], side: &str, chargebee: &str, line: Option<Value>) -> &'a Value {
    let found: Vec<&Value> = changes
        .iter()
        .filter(|c| c["side"] == side && c["chargebee"] == chargebee && line.as_ref().is_none_or(|l| c.get("line") == Some(l)))
        .collect();
    assert_eq!(found.len(), 1, "{side} {chargebee} {line:?} in {changes:#?}");
    found[0]
}

fn rows(changes: &[Value], side: &str) -> Vec<String> {
    changes.iter().filter(|c| c["side"] == side).map(|c| c["chargebee"].as_str().unwrap().to_string()).collect()
}

// ---- changes ------------------------------------------------------------------------------------

pub fn changes_list_what_a_contact_plan_writes(d: &dyn Driver) {
    let f = "contact-customer";
    // A create: every row it sets, from nothing.
    let (_, ch) = plan_changes(d, f, json!({"customerp": contact()}), Value::Null);
    let created = ok(d, "toChargebee", vec![json!(f), contact(), Value::Null]);
    assert_eq!(rows(&ch, "customerp"), Vec::<String>::new());
    assert_eq!(ch.len(), 15 - 1, "every row but the business entity (not linked): {ch:#?}");
    for c in &ch {
        assert_eq!((c["from"].clone(), c["reason"].as_str()), (Value::Null, Some("create")), "{c}");
    }
    assert_eq!(change(&ch, "chargebee", "billing_address.city", None)["to"], created["billing_address"]["city"]);
    assert_eq!(change(&ch, "chargebee", "meta_data.customerp", None)["to"], json!({"type": "contact", "id": "17"}));
    assert_eq!(change(&ch, "chargebee", "company", None)["property"], "customer_name");
    // Edits on both sides and a conflict: each written row once, its values in Customerp's form.
    let (cp, cb, base) = synced_contact_pair(d);
    let cp2 = with(cp.clone(), json!({"first_name": "Åsa", "last_name": "Berg", "address": {"city": "Bergen"}, "updated": "2026-07-01T09:00:00+02:00"}));
    let cb2 = with(cb.clone(), json!({"first_name": "Aase", "phone": "+47 400 00 000", "updated_at": 1782900000}));
    let (p, ch) = plan_changes(d, f, json!({"customerp": cp2.clone(), "chargebee": cb2.clone(), "base": base.clone()}), Value::Null);
    assert_eq!(rows(&ch, "customerp"), ["first_name", "phone"]);
    assert_eq!(rows(&ch, "chargebee"), ["last_name", "billing_address.city"]);
    assert_eq!(change(&ch, "customerp", "first_name", None), &json!({"side": "customerp", "property": "first_name", "chargebee": "first_name",
        "from": "Åsa", "to": "Aase", "reason": "conflict: chargebee wins (newest: Chargebee was updated later)"}));
    assert_eq!(change(&ch, "customerp", "phone", None), &json!({"side": "customerp", "property": "phone", "chargebee": "phone",
        "from": "+47 22 00 00 00", "to": "+47 400 00 000", "reason": "changed in chargebee"}));
    assert_eq!(change(&ch, "chargebee", "billing_address.city", None), &json!({"side": "chargebee", "property": "address.city",
        "chargebee": "billing_address.city", "from": "Oslo", "to": "Bergen", "reason": "changed in customerp"}));
    // `from` and `to` are what the records give: Chargebee's through toCustomerp, before and after.
    let cb3 = fake_chargebee::apply(Some(cb2.clone()), &p, 1_790_000_000).unwrap();
    let cp3 = apply_customerp(Some(cp2.clone()), &p, "", "2026-07-02T00:00:00Z").unwrap();
    let (before, after) = (ok(d, "toCustomerp", vec![json!(f), cb2.clone(), Value::Null]), ok(d, "toCustomerp", vec![json!(f), cb3, Value::Null]));
    let last = change(&ch, "chargebee", "last_name", None);
    assert_eq!((&last["from"], &last["to"]), (&before["last_name"], &after["last_name"]));
    assert_eq!(change(&ch, "customerp", "phone", None)["to"], cp3["phone"]);
    // Nothing to write: no changes (the list is there, empty).
    let (_, ch) = plan_changes(d, f, json!({"customerp": cp.clone(), "chargebee": cb.clone(), "base": base.clone()}), Value::Null);
    assert_eq!(ch, Vec::<Value>::new());
    // Deletes: the safe delete's tag; a propagated delete empties every row; a deactivated contact has
    // no row that changes (is_active is not synced).
    let (_, ch) = plan_changes(d, f, json!({"customerp": null, "chargebee": cb.clone(), "base": base.clone()}), Value::Null);
    assert_eq!(ch, vec![json!({"side": "chargebee", "property": "id", "chargebee": "meta_data.customerp",
        "from": {"type": "contact", "id": "17"}, "to": {"type": "contact", "id": "17", "deleted": true}, "reason": "delete"})]);
    let (_, ch) = plan_changes(d, f, json!({"customerp": null, "chargebee": cb.clone(), "base": base.clone()}), json!({"deletes": "propagate"}));
    assert!(ch.len() > 10 && ch.iter().all(|c| c["to"].is_null() && c["reason"] == "delete" && c["side"] == "chargebee"), "{ch:#?}");
    let (p, ch) = plan_changes(d, f, json!({"customerp": cp.clone(), "chargebee": null, "base": base.clone()}), Value::Null);
    assert_eq!((p["customerp"]["changes"].clone(), ch), (json!({"is_active": false}), vec![]));
    // A new Chargebee customer: created in Customerp.
    let (_, ch) = plan_changes(d, f, json!({"chargebee": chargebee_customer()}), Value::Null);
    assert_eq!(rows(&ch, "chargebee"), Vec::<String>::new());
    assert_eq!(change(&ch, "customerp", "billing_address.state", None)["to"], "California");
    // planBatch takes the option too; a bad value is invalid_options.
    let out = ok(d, "planBatch", vec![json!(f), json!([{"customerp": contact()}]), json!({"changes": true})]);
    assert_eq!(out[0]["plan"]["changes"].as_array().unwrap().len(), 14);
    for bad in [json!("yes"), json!(1), json!([])] {
        let e = err(d, "plan", vec![json!(f), json!({"customerp": contact()}), json!({"changes": bad})]);
        assert_eq!((e["code"].as_str(), e["path"].as_str()), (Some("invalid_options"), Some("/options/changes")), "{e}");
    }
    assert!(plan(d, f, json!({"customerp": contact()}), json!({"changes": false})).get("changes").is_none());
}

pub fn changes_list_what_a_product_plan_writes(d: &dyn Driver) {
    let f = "product-item";
    let prod = product("KIT-1", "1499.50", "USD");
    let (p, ch) = plan_changes(d, f, json!({"customerp": prod.clone()}), item_opts());
    // Money in Customerp's form, as an exact decimal; a product's name feeds two Chargebee attributes.
    assert_eq!(change(&ch, "chargebee", "item_price.price", None)["to"], "1499.50");
    assert_eq!(change(&ch, "chargebee", "external_name", None)["property"], "name");
    assert_eq!(change(&ch, "chargebee", "item_family_id", None)["to"], "hardware");
    let item = fake_chargebee::apply(None, &p, 1_772_500_000).unwrap();
    let (p, _, cb) = converge(d, f, Some(prod.clone()), Some(item), p["base"].clone(), Value::Null, item_opts());
    let cb = cb.unwrap();
    let base = p["base"].clone();
    // A price edit in Customerp; a rename in Chargebee (the external name follows).
    let cp2 = with(prod.clone(), json!({"price": "1599", "updated": "2026-07-01T00:00:00Z"}));
    let (_, ch) = plan_changes(d, f, json!({"customerp": cp2, "chargebee": cb.clone(), "base": base.clone()}), item_opts());
    assert_eq!(ch, vec![json!({"side": "chargebee", "property": "price", "chargebee": "item_price.price", "from": "1499.50", "to": "1599.00",
        "reason": "changed in customerp"})]);
    let cb2 = with(cb.clone(), json!({"name": "Kit", "updated_at": 1790000000}));
    let (_, ch) = plan_changes(d, f, json!({"customerp": prod.clone(), "chargebee": cb2, "base": base.clone()}), item_opts());
    assert_eq!(rows(&ch, "customerp"), ["name"]);
    assert_eq!(change(&ch, "chargebee", "external_name", None), &json!({"side": "chargebee", "property": "name", "chargebee": "external_name",
        "from": "Produkt KIT-1 – Ærlig", "to": "Kit", "reason": "changed in chargebee"}));
    // Deletes both ways: the item archived, the product deactivated.
    let (_, ch) = plan_changes(d, f, json!({"customerp": null, "chargebee": cb.clone(), "base": base.clone()}), item_opts());
    assert_eq!(ch, vec![json!({"side": "chargebee", "property": "is_active", "chargebee": "status", "from": true, "to": false, "reason": "delete"})]);
    let (_, ch) = plan_changes(d, f, json!({"customerp": prod, "chargebee": with(cb, json!({"status": "deleted"})), "base": base}), item_opts());
    assert_eq!(ch, vec![json!({"side": "customerp", "property": "is_active", "chargebee": "status", "from": true, "to": false, "reason": "delete"})]);
}

pub fn changes_list_what_an_order_plan_writes(d: &dyn Driver) {
    let f = "order-order";
    let opts = json!({"timeZone": "Europe/Oslo"});
    // The create sets what POST /orders and the invoice take; the rows it leaves to Chargebee (status,
    // date, line skus: `$pending`) are not listed: the next plan writes them, and lists them.
    let (p, ch) = plan_changes(d, f, json!({"customerp": erp_order(), "links": order_links()}), opts.clone());
    let listed = rows(&ch, "chargebee");
    for row in ["reference_id", "customer_id", "currency_code", "note", "shipping_address.city", "order_line_items.entity_id",
                "order_line_items.fulfillment_quantity", "order_line_items.unit_price"] {
        assert!(listed.iter().any(|r| r == row), "{row} not in {listed:?}");
    }
    for row in ["status", "order_date", "order_line_items.sku"] {
        assert!(!listed.iter().any(|r| r == row), "{row} is left to Chargebee: {ch:#?}");
    }
    let l1 = json!({"customerp": "L1", "chargebee": null});
    assert_eq!(change(&ch, "chargebee", "order_line_items.unit_price", Some(l1.clone()))["to"], "1499.50");
    assert_eq!(change(&ch, "chargebee", "order_line_items.fulfillment_quantity", Some(l1))["to"], 2);
    let cb = fake_chargebee::apply(None, &p, 1_772_500_000).unwrap();
    let (p2, ch) = plan_changes(d, f, json!({"customerp": erp_order(), "chargebee": cb.clone(), "base": p["base"], "links": order_links()}), opts.clone());
    assert_eq!(change(&ch, "chargebee", "order_date", None), &json!({"side": "chargebee", "property": "order_date", "chargebee": "order_date",
        "from": "2026-03-03", "to": "2026-03-05", "reason": "pending after create"}));
    let sku = change(&ch, "chargebee", "order_line_items.sku", Some(json!({"customerp": "L2", "chargebee": "o_li_1"})));
    assert_eq!((&sku["from"], &sku["to"], &sku["reason"]), (&Value::Null, &json!("KIT-2"), &json!("pending after create")));
    assert_eq!(change(&ch, "customerp", "shipping_date", None)["to"], p2["customerp"]["changes"]["delivery_date"]);
    let cb = fake_chargebee::apply(Some(cb), &p2, 1_772_500_100).unwrap();
    let order = apply_customerp(Some(erp_order()), &p2, "", "2026-03-05T12:00:00Z").unwrap();
    // Chargebee ships line 2: the line property names its line; instants as the package writes them.
    let mut shipped = with(cb.clone(), json!({"status": "shipped", "shipped_at": 1772700000, "updated_at": 1772700000}));
    shipped["order_line_items"][1]["status"] = json!("shipped");
    let (p3, ch) = plan_changes(d, f, json!({"customerp": order.clone(), "chargebee": shipped.clone(), "base": p2["base"], "links": order_links()}), opts.clone());
    assert_eq!(ch, vec![
        json!({"side": "customerp", "property": "status", "chargebee": "status", "from": "confirmed", "to": "shipped", "reason": "changed in chargebee"}),
        json!({"side": "customerp", "property": "shipped_at", "chargebee": "shipped_at", "from": null, "to": p3["customerp"]["changes"]["shipped_at"],
               "reason": "changed in chargebee"}),
        json!({"side": "customerp", "property": "lines.status", "line": {"customerp": "L2", "chargebee": "o_li_1"}, "chargebee": "order_line_items.status",
               "from": "queued", "to": "shipped", "reason": "changed in chargebee"}),
    ]);
    assert_eq!(ch[1]["to"], "2026-03-05T09:40:00+01:00");
    // Cancelled in Customerp with a reason Chargebee does not have: the reason written is `others`.
    let cancel = with(order, json!({"status": "cancelled", "cancellation_reason": "changed my mind", "updated": "2026-03-07T00:00:00Z"}));
    let (_, ch) = plan_changes(d, f, json!({"customerp": cancel, "chargebee": shipped.clone(), "base": p3["base"], "links": order_links()}), opts.clone());
    assert_eq!(change(&ch, "chargebee", "status", None)["to"], "cancelled");
    assert_eq!(change(&ch, "chargebee", "cancellation_reason", None)["to"], "others");
    // A safe delete cancels the order.
    let (_, ch) = plan_changes(d, f, json!({"customerp": null, "chargebee": shipped, "base": p3["base"], "links": order_links()}), opts);
    assert_eq!(rows(&ch, "chargebee"), ["status", "cancellation_reason"]);
    assert_eq!(change(&ch, "chargebee", "status", None)["reason"], "delete");
}

pub fn changes_give_first_sync_conflict_and_repair_reasons(d: &dyn Driver) {
    let f = "contact-customer";
    // A first sync: a filled value wins over an empty one; differing values by the policy.
    let cp = with(contact(), json!({"phone": null, "mobile": null, "updated": "2030-01-01T00:00:00Z"}));
    let cb = with(chargebee_customer(), json!({"email": "ase.odegard@example.no", "first_name": null}));
    let (_, ch) = plan_changes(d, f, json!({"customerp": cp, "chargebee": cb}), Value::Null);
    assert_eq!(change(&ch, "customerp", "phone", None)["reason"], "first sync: a filled value wins over an empty one");
    assert_eq!(change(&ch, "chargebee", "first_name", None)["reason"], "first sync: a filled value wins over an empty one");
    assert_eq!(change(&ch, "chargebee", "last_name", None)["reason"], "first sync: customerp wins (newest: Customerp was updated later)");
    assert_eq!(change(&ch, "chargebee", "meta_data.customerp", None)["reason"], "first sync: one-way property");
    // Drift repaired on request.
    let (cp, cb, base) = synced_contact_pair(d);
    let cb2 = with(cb, json!({"phone": "+47 915 55 555", "updated_at": 1782900000}));
    let one_way = plan(d, f, json!({"customerp": cp.clone(), "chargebee": cb2.clone(), "base": base}), json!({"readOnly": ["customerp"]}));
    let (_, ch) = plan_changes(d, f, json!({"customerp": cp, "chargebee": cb2, "base": one_way["base"]}), json!({"repair": true, "conflicts": "chargebee"}));
    assert_eq!(ch, vec![json!({"side": "customerp", "property": "phone", "chargebee": "phone", "from": "+47 22 00 00 00", "to": "+47 915 55 555",
        "reason": "repair: conflicts: chargebee"})]);
    // Two lines of one order, each merged on its own.
    let (cp, cb, base) = synced_two_line_pair(d);
    let mut cp1 = with(cp, json!({"updated": "2025-03-15T10:00:00Z"}));
    cp1["lines"][0]["sku"] = json!("SKU-1A");
    let mut cb1 = with(cb, json!({"updated_at": 1742100000}));
    cb1["order_line_items"][1]["sku"] = json!("SKU-2B");
    let (_, ch) = plan_changes(d, "order-order", json!({"customerp": cp1, "chargebee": cb1, "base": base, "links": line_links()}), Value::Null);
    assert_eq!(ch, vec![
        json!({"side": "customerp", "property": "lines.sku", "line": {"customerp": "l2", "chargebee": "o_li_2"}, "chargebee": "order_line_items.sku",
               "from": "SKU-2", "to": "SKU-2B", "reason": "changed in chargebee"}),
        json!({"side": "chargebee", "property": "lines.sku", "line": {"customerp": "l1", "chargebee": "o_li_1"}, "chargebee": "order_line_items.sku",
               "from": "SKU-1", "to": "SKU-1A", "reason": "changed in customerp"}),
    ]);
}
