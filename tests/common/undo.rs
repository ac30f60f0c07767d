//! Option `changes` (each property a plan writes, per side, before and after, and why) and
//! `planUndo` (a run's writes put back, planned as any plan is).

use super::{
    apply_customerp, chargebee_customer, contact, converge, erp_order, err, fake_chargebee, item_opts, ok, order_links, plan, product,
    requests, synced_contact_pair, synced_two_line_pair, line_links, with, Driver,
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
    // Each property (and line) once per side; a property written to two attributes with different values
    // (a product's kind: its type and is_shippable) once per attribute.
    let mut seen: Vec<(Value, Value, Value, Value, Value)> = Vec::new();
    for c in &changes {
        let key = (c["side"].clone(), c["property"].clone(), c.get("line").cloned().unwrap_or(Value::Null), c["from"].clone(), c["to"].clone());
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
    // Money in Customerp's form, as an exact decimal; a product's name feeds two Chargebee attributes,
    // written alike: one change, named by the first. Its kind feeds two, written differently: one each.
    assert_eq!(change(&ch, "chargebee", "item_price.price", None)["to"], "1499.50");
    assert_eq!(change(&ch, "chargebee", "name", None)["to"], "Produkt KIT-1 – Ærlig");
    assert!(!ch.iter().any(|c| c["chargebee"] == "external_name"), "{ch:#?}");
    assert_eq!((change(&ch, "chargebee", "type", None)["to"].clone(), change(&ch, "chargebee", "is_shippable", None)["to"].clone()),
               (json!("goods"), json!(true)));
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

// ---- planUndo -----------------------------------------------------------------------------------

/// The undo input that puts a plan's changes back: `before` each one's `from`, `after` its `to`.
fn undo_of(changes: &[Value]) -> Value {
    let properties: Vec<Value> = changes
        .iter()
        .map(|c| {
            let mut e = json!({"side": c["side"], "property": c["property"], "chargebee": c["chargebee"], "before": c["from"], "after": c["to"]});
            if let Some(line) = c.get("line") {
                e["line"] = line.clone();
            }
            e
        })
        .collect();
    json!({"properties": properties})
}

fn plan_undo(d: &dyn Driver, flow: &str, input: Value, undo: Value, options: Value) -> Value {
    ok(d, "planUndo", vec![json!(flow), input, undo, options])
}

/// Applies a plan to both records (as Chargebee and a connector would), then plans the pair again,
/// with `repair` off and on: nothing to write, no conflict. Returns the records.
#[allow(clippy::too_many_arguments)]
fn applied_and_quiet(d: &dyn Driver, flow: &str, cp: &Value, cb: &Value, p: &Value, links: &Value, options: &Value, now: i64) -> (Value, Value) {
    let cb2 = fake_chargebee::apply(Some(cb.clone()), p, now).unwrap();
    let cp2 = apply_customerp(Some(cp.clone()), p, "", "2026-11-01T12:00:00Z").unwrap();
    for repair in [false, true] {
        let mut o = if options.is_null() { json!({}) } else { options.clone() };
        o["repair"] = json!(repair);
        let again = plan(d, flow, json!({"customerp": cp2, "chargebee": cb2, "base": p["base"], "links": links}), o);
        assert_eq!((again["customerp"]["action"].as_str(), again["chargebee"]["action"].as_str()), (Some("none"), Some("none")),
                   "{flow}, repair {repair}: the pair is not quiet after {p}: {again}");
        assert_eq!(again["conflicts"], json!([]), "{flow}, repair {repair}: {again}");
    }
    (cp2, cb2)
}

fn keys(p: &Value) -> Vec<Value> {
    p["chargebee"]["requests"].as_array().unwrap().iter().map(|r| r["idempotencyKey"].clone()).collect()
}

pub fn undo_puts_a_contact_run_back_and_the_pair_stays_quiet(d: &dyn Driver) {
    let f = "contact-customer";
    let (cp0, cb0, base0) = synced_contact_pair(d);
    // The run: Customerp's last name and city go to Chargebee, Chargebee's phone to Customerp.
    let cp = with(cp0.clone(), json!({"last_name": "Berg", "address": {"city": "Bergen"}, "updated": "2026-07-01T09:00:00+02:00"}));
    let cb = with(cb0.clone(), json!({"phone": "+47 400 00 000", "updated_at": 1782900000}));
    let (run, ch) = plan_changes(d, f, json!({"customerp": cp.clone(), "chargebee": cb.clone(), "base": base0}), Value::Null);
    assert_eq!(ch.len(), 3, "{ch:#?}");
    let cb1 = fake_chargebee::apply(Some(cb.clone()), &run, 1_790_000_000).unwrap();
    let cp1 = apply_customerp(Some(cp.clone()), &run, "", "2026-07-02T00:00:00Z").unwrap();
    let input = json!({"customerp": cp1.clone(), "chargebee": cb1.clone(), "base": run["base"]});
    let u = plan_undo(d, f, input.clone(), undo_of(&ch), Value::Null);
    assert_eq!(u["skipped"], json!([]));
    assert_eq!(u["link"], json!({"customerp": "17", "chargebee": "cp-contact-17"}));
    assert_eq!(u["customerp"]["changes"], json!({"phone": "+47 22 00 00 00"}), "{u}");
    assert_eq!(u["customerp"]["expect"]["phone"], "+47 400 00 000");
    let reqs = requests(&u);
    assert_eq!(reqs[0], ("/customers/cp-contact-17".to_string(), json!({"last_name": "Ødegård"})));
    assert_eq!(reqs[1].0, "/customers/cp-contact-17/update_billing_info");
    assert_eq!(reqs[1].1["billing_address"]["city"], "Oslo");
    assert_eq!(u["chargebee"]["expect"]["last_name"], "Berg", "the run's value is expected: {u}");
    // Keys of their own: not the run's, not a plan's of the same input.
    let again = plan(d, f, input.clone(), Value::Null);
    for k in keys(&u) {
        assert!(!keys(&run).contains(&k) && !keys(&again).contains(&k), "{k}");
    }
    assert_eq!(plan_undo(d, f, input.clone(), undo_of(&ch), Value::Null), u, "deterministic");
    // Applied: each side is back where it was before the run; the next plan writes nothing.
    let (cp2, cb2) = applied_and_quiet(d, f, &cp1, &cb1, &u, &Value::Null, &Value::Null, 1_790_000_100);
    let canon = |cb: &Value| ok(d, "toCustomerp", vec![json!(f), cb.clone(), Value::Null]);
    assert_eq!((cp2["phone"].clone(), canon(&cb2)["last_name"].clone(), canon(&cb2)["address"]["city"].clone()),
               (cp0["phone"].clone(), json!("Ødegård"), json!("Oslo")));
    assert_eq!((cp2["last_name"].clone(), canon(&cb2)["phone"].clone()), (json!("Berg"), json!("+47 400 00 000")), "the other sides keep theirs");
    assert_eq!(u["base"]["kept"], json!(["last_name", "phone", "billing_address.city"]));
    // An edit after the undo syncs as ever, and the row is no longer kept apart.
    let cp3 = with(cp2.clone(), json!({"last_name": "Lie", "updated": "2026-12-01T00:00:00Z"}));
    let p = plan(d, f, json!({"customerp": cp3, "chargebee": cb2.clone(), "base": u["base"]}), json!({"repair": true}));
    assert_eq!(requests(&p), vec![("/customers/cp-contact-17".to_string(), json!({"last_name": "Lie"}))]);
    assert_eq!(p["base"]["kept"], json!(["phone", "billing_address.city"]));
    // With `changes`, an undo lists what it puts back.
    let u2 = plan_undo(d, f, input.clone(), undo_of(&ch), json!({"changes": true}));
    let uc = u2["changes"].as_array().unwrap();
    assert_eq!(uc.len(), 3);
    assert!(uc.iter().all(|c| c["reason"] == "undo"), "{uc:?}");
    assert_eq!(change(uc, "chargebee", "last_name", None)["to"], "Ødegård");
    // A value changed since the run is skipped, not written; its later edit still syncs.
    let cb_edited = with(cb1.clone(), json!({"last_name": "Bergh", "updated_at": 1790000050}));
    let u3 = plan_undo(d, f, json!({"customerp": cp1.clone(), "chargebee": cb_edited.clone(), "base": run["base"]}), undo_of(&ch), Value::Null);
    assert_eq!(u3["skipped"], json!([{"side": "chargebee", "property": "last_name", "chargebee": "last_name", "wrote": "Berg", "now": "Bergh"}]));
    assert!(!requests(&u3).iter().any(|r| r.1.get("last_name").is_some()), "{u3}");
    let cb4 = fake_chargebee::apply(Some(cb_edited), &u3, 1_790_000_100).unwrap();
    let cp4 = apply_customerp(Some(cp1.clone()), &u3, "", "2026-11-01T12:00:00Z").unwrap();
    let p = plan(d, f, json!({"customerp": cp4, "chargebee": cb4, "base": u3["base"]}), Value::Null);
    assert_eq!(p["customerp"]["changes"], json!({"last_name": "Bergh"}), "{p}");
    // A read-only side is never written: what is there to put back is said, not written.
    let ro = plan_undo(d, f, input.clone(), undo_of(&ch), json!({"readOnly": ["chargebee"]}));
    assert_eq!((ro["chargebee"]["action"].as_str(), ro["customerp"]["changes"].clone()), (Some("none"), json!({"phone": "+47 22 00 00 00"})));
    let said: Vec<&Value> = ro["warnings"].as_array().unwrap().iter().filter(|w| w["code"] == "read_only").map(|w| &w["property"]).collect();
    assert_eq!(said, [&json!("last_name"), &json!("address.city")], "{ro}");
    // An undo applied whose base was lost: planned again, nothing is left to write, and the base says so.
    let u4 = plan_undo(d, f, json!({"customerp": cp2.clone(), "chargebee": cb2.clone(), "base": run["base"]}), undo_of(&ch), Value::Null);
    assert_eq!((u4["customerp"]["action"].as_str(), u4["chargebee"]["action"].as_str()), (Some("none"), Some("none")), "{u4}");
    assert_eq!(u4["skipped"], json!([]));
    applied_and_quiet(d, f, &cp2, &cb2, &u4, &Value::Null, &Value::Null, 1_790_000_200);
}

pub fn undo_puts_product_and_order_runs_back(d: &dyn Driver) {
    // product-item: a price written to Chargebee, a rename written to Customerp (and to the external name).
    let f = "product-item";
    let prod = product("KIT-1", "1499.50", "USD");
    let (p, cp, cb) = converge(d, f, Some(prod.clone()), None, Value::Null, Value::Null, item_opts());
    let (cp, cb, base) = (cp.unwrap(), cb.unwrap(), p["base"].clone());
    let cp_edit = with(cp.clone(), json!({"price": "1599", "updated": "2026-07-01T00:00:00Z"}));
    let cb_edit = with(cb.clone(), json!({"name": "Kit", "updated_at": 1790000000}));
    let (run, ch) = plan_changes(d, f, json!({"customerp": cp_edit.clone(), "chargebee": cb_edit.clone(), "base": base}), item_opts());
    assert_eq!(ch.len(), 3, "{ch:#?}");
    let cb1 = fake_chargebee::apply(Some(cb_edit), &run, 1_790_000_100).unwrap();
    let cp1 = apply_customerp(Some(cp_edit), &run, "", "2026-07-02T00:00:00Z").unwrap();
    let u = plan_undo(d, f, json!({"customerp": cp1.clone(), "chargebee": cb1.clone(), "base": run["base"]}), undo_of(&ch), item_opts());
    assert_eq!(u["customerp"]["changes"], json!({"name": "Produkt KIT-1 – Ærlig"}));
    assert_eq!(requests(&u), vec![
        ("/items/KIT-1".to_string(), json!({"external_name": "Produkt KIT-1 – Ærlig"})),
        ("/item_prices/KIT-1-USD".to_string(), json!({"price": 149950})),
    ]);
    let (cp2, cb2) = applied_and_quiet(d, f, &cp1, &cb1, &u, &Value::Null, &item_opts(), 1_790_000_200);
    assert_eq!((cp2["price"].clone(), cb2["name"].clone()), (json!("1599"), json!("Kit")), "each side as before the run");
    // The same without `chargebee` (as UndoInput lists a property): the name stays Chargebee's own edit,
    // the external name that followed it goes back.
    let bare = json!({"properties": undo_of(&ch)["properties"].as_array().unwrap().iter()
        .map(|e| { let mut e = e.clone(); e.as_object_mut().unwrap().shift_remove("chargebee"); e }).collect::<Vec<_>>()});
    let u2 = plan_undo(d, f, json!({"customerp": cp1.clone(), "chargebee": cb1.clone(), "base": run["base"]}), bare, item_opts());
    assert_eq!((requests(&u2), &u2["customerp"]["changes"]), (requests(&u), &u["customerp"]["changes"]));
    // A rename in Customerp writes the name and the external name, here one change (they were alike);
    // where the external name had been changed in Chargebee, two, and each goes back to its own value.
    for external in ["Produkt KIT-1 – Ærlig", "Ekstern"] {
        let cb_x = with(cb.clone(), json!({"external_name": external, "updated_at": 1785000000}));
        let renamed = with(cp.clone(), json!({"name": "Sett", "updated": "2026-07-01T00:00:00Z"}));
        let (run, ch) = plan_changes(d, f, json!({"customerp": renamed.clone(), "chargebee": cb_x.clone(), "base": p["base"]}), item_opts());
        assert_eq!(ch.len(), if external == "Ekstern" { 2 } else { 1 }, "{ch:#?}");
        let cb1 = fake_chargebee::apply(Some(cb_x.clone()), &run, 1_790_000_100).unwrap();
        let input = json!({"customerp": renamed.clone(), "chargebee": cb1.clone(), "base": run["base"]});
        let keyed = undo_of(&ch);
        let mut bare = keyed.clone();
        for e in bare["properties"].as_array_mut().unwrap() {
            e.as_object_mut().unwrap().shift_remove("chargebee");
        }
        for undo in [keyed, bare] {
            let u = plan_undo(d, f, input.clone(), undo.clone(), item_opts());
            assert_eq!(requests(&u), vec![("/items/KIT-1".to_string(), json!({"name": "Produkt KIT-1 – Ærlig", "external_name": external}))], "{undo}: {u}");
            let (_, cb2) = applied_and_quiet(d, f, &renamed, &cb1, &u, &Value::Null, &item_opts(), 1_790_000_200);
            assert_eq!((cb2["name"].as_str(), cb2["external_name"].as_str()), (Some("Produkt KIT-1 – Ærlig"), Some(external)));
        }
    }

    // order-order: Chargebee ships line 2 and the order (to Customerp); Customerp changes line 1's sku
    // and the note (to Chargebee).
    let f = "order-order";
    let (cp, cb, base) = synced_two_line_pair(d);
    let mut cp_edit = with(cp.clone(), json!({"note": "Ring før levering", "updated": "2025-03-15T10:00:00Z"}));
    cp_edit["lines"][0]["sku"] = json!("SKU-1A");
    let mut cb_edit = with(cb.clone(), json!({"status": "shipped", "shipped_at": 1742100000, "updated_at": 1742100000}));
    cb_edit["order_line_items"][1]["status"] = json!("shipped");
    let (run, ch) = plan_changes(d, f, json!({"customerp": cp_edit.clone(), "chargebee": cb_edit.clone(), "base": base, "links": line_links()}), Value::Null);
    let l2 = json!({"customerp": "l2", "chargebee": "o_li_2"});
    assert_eq!(change(&ch, "customerp", "order_line_items.status", Some(l2.clone()))["to"], "shipped");
    let cb1 = fake_chargebee::apply(Some(cb_edit), &run, 1_742_100_100).unwrap();
    let cp1 = apply_customerp(Some(cp_edit), &run, "", "2025-03-15T11:00:00Z").unwrap();
    let u = plan_undo(d, f, json!({"customerp": cp1.clone(), "chargebee": cb1.clone(), "base": run["base"], "links": line_links()}), undo_of(&ch), Value::Null);
    assert_eq!(u["skipped"], json!([]), "{u}");
    assert_eq!(requests(&u), vec![("/orders/1187".to_string(), json!({"note": "", "order_line_items": [{"id": "o_li_1", "sku": "SKU-1"}]}))], "{u}");
    let ch_cp = &u["customerp"]["changes"];
    assert_eq!((ch_cp["status"].as_str(), ch_cp["shipped_at"].clone()), (Some("confirmed"), Value::Null), "{u}");
    assert_eq!(ch_cp["lines"][1]["status"], "queued");
    let (cp2, cb2) = applied_and_quiet(d, f, &cp1, &cb1, &u, &line_links(), &Value::Null, 1_742_100_200);
    assert_eq!((cp2["lines"][1]["status"].clone(), cb2["order_line_items"][1]["status"].clone()), (json!("queued"), json!("shipped")));
    assert_eq!((cp2["lines"][0]["sku"].clone(), cb2["order_line_items"][0]["sku"].clone()), (json!("SKU-1A"), json!("SKU-1")));
    // One line's status only, named by its Chargebee line id.
    let one = json!({"properties": [{"side": "customerp", "property": "lines.status", "line": {"customerp": null, "chargebee": "o_li_2"},
        "before": "queued", "after": "shipped"}]});
    let u = plan_undo(d, f, json!({"customerp": cp1.clone(), "chargebee": cb1.clone(), "base": run["base"], "links": line_links()}), one, Value::Null);
    assert_eq!(u["customerp"]["changes"]["lines"][1]["status"], "queued");
    assert_eq!(u["customerp"]["changes"]["lines"][0]["status"], "queued", "lines are given whole");
    assert_eq!(u["chargebee"]["action"], "none");
    applied_and_quiet(d, f, &cp1, &cb1, &u, &line_links(), &Value::Null, 1_742_100_300);
}

pub fn undo_releases_what_a_run_created(d: &dyn Driver) {
    // A contact the run created in Chargebee: released as a safe delete releases a customer.
    let f = "contact-customer";
    let (cp, cb, base) = synced_contact_pair(d);
    let u = plan_undo(d, f, json!({"customerp": cp.clone(), "chargebee": cb.clone(), "base": base.clone()}), json!({"release": "chargebee"}), Value::Null);
    let safe = plan(d, f, json!({"customerp": null, "chargebee": cb.clone(), "base": base.clone()}), Value::Null);
    assert_eq!(requests(&u), requests(&safe));
    assert_ne!(keys(&u), keys(&safe));
    assert_eq!(requests(&u)[0].1["meta_data"]["customerp"], json!({"type": "contact", "id": "17", "deleted": true}));
    assert_eq!((u["link"].clone(), u["base"].clone(), u["customerp"]["action"].as_str()), (json!({"customerp": null, "chargebee": null}), Value::Null, Some("none")));
    let uc = plan_undo(d, f, json!({"customerp": cp.clone(), "chargebee": cb.clone(), "base": base.clone()}), json!({"release": "chargebee"}), json!({"changes": true}));
    assert_eq!(uc["changes"][0]["reason"], "release");
    // Never copied back, nor matched.
    let released = fake_chargebee::apply(Some(cb.clone()), &u, 1_790_000_000).unwrap();
    assert_eq!(plan(d, f, json!({"customerp": null, "chargebee": released.clone(), "base": null}), Value::Null)["customerp"]["action"], "none");
    assert_eq!(ok(d, "match", vec![json!(f), json!([cp.clone()]), json!([released]), Value::Null])["links"], json!([]));
    // Chargebee read-only: nothing is written, the link still ends.
    let ro = plan_undo(d, f, json!({"customerp": cp.clone(), "chargebee": cb.clone(), "base": base.clone()}), json!({"release": "chargebee"}), json!({"readOnly": ["chargebee"]}));
    assert_eq!((ro["chargebee"]["action"].as_str(), ro["link"].clone()), (Some("none"), json!({"customerp": null, "chargebee": null})));
    // A contact the run created in Customerp: deactivated, Chargebee untouched.
    let u = plan_undo(d, f, json!({"customerp": cp.clone(), "chargebee": cb.clone(), "base": base.clone()}), json!({"release": "customerp"}), Value::Null);
    assert_eq!((u["customerp"]["action"].as_str(), u["customerp"]["changes"].clone()), (Some("update"), json!({"is_active": false})));
    assert_eq!((u["chargebee"]["action"].as_str(), u["link"].clone()), (Some("none"), json!({"customerp": null, "chargebee": null})));
    // An item, and an order: archived and cancelled, as their safe deletes do.
    let prod = product("KIT-1", "10", "USD");
    let (p, cp, cb) = converge(d, "product-item", Some(prod), None, Value::Null, Value::Null, item_opts());
    let u = plan_undo(d, "product-item", json!({"customerp": cp, "chargebee": cb, "base": p["base"]}), json!({"release": "chargebee"}), item_opts());
    assert_eq!(requests(&u)[0].1["status"], "archived");
    let (cp, cb, base) = synced_two_line_pair(d);
    let u = plan_undo(d, "order-order", json!({"customerp": cp, "chargebee": cb, "base": base, "links": line_links()}), json!({"release": "chargebee"}), Value::Null);
    assert_eq!(requests(&u), vec![("/orders/1187/cancel".to_string(), json!({"cancellation_reason": "others"}))]);
    // Nothing asked: nothing planned, the base as it was.
    let (cp, cb, base) = synced_contact_pair(d);
    let u = plan_undo(d, f, json!({"customerp": cp, "chargebee": cb, "base": base.clone()}), json!({}), Value::Null);
    assert_eq!((u["customerp"]["action"].as_str(), u["chargebee"]["action"].as_str(), u["base"].clone()), (Some("none"), Some("none"), base));
}

pub fn undo_refuses_bad_input_at_its_path(d: &dyn Driver) {
    let f = "contact-customer";
    let (cp, cb, base) = synced_contact_pair(d);
    let input = json!({"customerp": cp.clone(), "chargebee": cb.clone(), "base": base.clone()});
    let entry = |patch: Value| with(json!({"side": "chargebee", "property": "last_name", "before": "A", "after": "B"}), patch);
    let props = |es: Vec<Value>| json!({"properties": es});
    let cases: Vec<(Value, Value, &str, &str)> = vec![
        (input.clone(), json!("undo"), "invalid_type", "/undo"),
        (input.clone(), Value::Null, "invalid_type", "/undo"),
        (input.clone(), json!({"propertiez": []}), "invalid_type", "/undo/propertiez"),
        (input.clone(), json!({"release": "both"}), "invalid_value", "/undo/release"),
        (input.clone(), json!({"release": true}), "invalid_type", "/undo/release"),
        (input.clone(), json!({"release": "chargebee", "properties": [entry(json!({}))]}), "invalid_value", "/undo"),
        (json!({"customerp": cp.clone(), "chargebee": null, "base": base.clone()}), json!({"release": "chargebee"}), "invalid_value", "/undo/release"),
        (input.clone(), json!({"properties": {"side": "chargebee"}}), "invalid_type", "/undo/properties"),
        (json!({"customerp": cp.clone(), "chargebee": cb.clone(), "base": null}), props(vec![entry(json!({}))]), "invalid_value", "/undo/properties"),
        (json!({"customerp": null, "chargebee": cb.clone(), "base": base.clone()}), props(vec![entry(json!({}))]), "invalid_value", "/undo/properties"),
        (input.clone(), props(vec![json!("last_name")]), "invalid_type", "/undo/properties/0"),
        (input.clone(), props(vec![entry(json!({"side": "erp"}))]), "invalid_value", "/undo/properties/0/side"),
        (input.clone(), props(vec![entry(json!({"side": 1}))]), "invalid_type", "/undo/properties/0/side"),
        (input.clone(), props(vec![json!({"property": "last_name", "before": "A", "after": "B"})]), "missing_field", "/undo/properties/0/side"),
        (input.clone(), props(vec![entry(json!({"property": "nickname"}))]), "invalid_value", "/undo/properties/0/property"),
        (input.clone(), props(vec![entry(json!({"chargebee": "company"}))]), "invalid_value", "/undo/properties/0/chargebee"),
        (input.clone(), props(vec![entry(json!({"side": "customerp", "property": "customer_name"}))]), "invalid_value", "/undo/properties/0/property"),
        (input.clone(), props(vec![entry(json!({"line": {"customerp": "L1", "chargebee": null}}))]), "invalid_value", "/undo/properties/0/line"),
        (input.clone(), props(vec![entry(json!({"from": "A"}))]), "invalid_type", "/undo/properties/0/from"),
        (input.clone(), props(vec![json!({"side": "chargebee", "property": "last_name", "before": "A"})]), "missing_field", "/undo/properties/0/after"),
        (input.clone(), props(vec![entry(json!({"before": 42}))]), "invalid_type", "/undo/properties/0/before"),
        (input.clone(), props(vec![entry(json!({"property": "email", "before": "not an e-mail"}))]), "invalid_value", "/undo/properties/0/before"),
        (input.clone(), props(vec![entry(json!({"after": "x".repeat(151)}))]), "too_long", "/undo/properties/0/after"),
        (input.clone(), props(vec![entry(json!({})), entry(json!({"before": "C"}))]), "invalid_value", "/undo/properties/1"),
    ];
    for (input, undo, code, path) in cases {
        let e = err(d, "planUndo", vec![json!(f), input, undo.clone(), Value::Null]);
        assert_eq!((e["name"].as_str(), e["code"].as_str(), e["path"].as_str()), (Some("SyncError"), Some(code), Some(path)), "{undo} → {e}");
        assert_eq!(e["flow"], f, "{e}");
        assert!(e["message"].as_str().is_some_and(|m| m.starts_with(path) || path.is_empty()), "{e}");
    }
    // A record's error is the same as plan's; bad options are invalid_options.
    let e = err(d, "planUndo", vec![json!(f), json!({"customerp": with(cp.clone(), json!({"email": "a@"})), "chargebee": cb.clone(), "base": base.clone()}), json!({}), Value::Null]);
    assert_eq!((e["path"].as_str(), e["recordId"].as_str()), (Some("/customerp/email"), Some("17")));
    let e = err(d, "planUndo", vec![json!(f), input.clone(), json!({}), json!({"changes": 1})]);
    assert_eq!(e["path"], "/options/changes");
    let e = err(d, "planUndo", vec![json!(f), json!({"customrep": cp}), json!({}), Value::Null]);
    assert_eq!(e["path"], "/customrep");
    // Lines: the line must exist, and be named for a line property; money and enums are checked.
    let (ocp, ocb, obase) = synced_two_line_pair(d);
    let oinput = json!({"customerp": ocp, "chargebee": ocb, "base": obase, "links": line_links()});
    let line = |patch: Value| props(vec![with(json!({"side": "customerp", "property": "lines.status", "line": {"customerp": "l1", "chargebee": "o_li_1"},
        "before": "queued", "after": "shipped"}), patch)]);
    for (undo, code, path) in [
        (line(json!({"line": {"customerp": "l9", "chargebee": null}})), "invalid_value", "/undo/properties/0/line"),
        (line(json!({"line": {"customerp": null, "chargebee": null}})), "invalid_value", "/undo/properties/0/line"),
        (line(json!({"line": {"customerp": "l1", "chargebee": "o_li_2"}})), "invalid_value", "/undo/properties/0/line"),
        (line(json!({"line": "l1"})), "invalid_type", "/undo/properties/0/line"),
        (line(json!({"line": {"customerp": "l1", "id": "x"}})), "invalid_type", "/undo/properties/0/line/id"),
        (line(json!({"line": null})), "missing_field", "/undo/properties/0/line"),
        (line(json!({"before": "lost"})), "invalid_value", "/undo/properties/0/before"),
        (props(vec![json!({"side": "chargebee", "property": "lines.unit_price", "line": {"customerp": "l1", "chargebee": "o_li_1"}, "before": "1", "after": "2"})]),
         "invalid_value", "/undo/properties/0/property"),
        (props(vec![json!({"side": "customerp", "property": "delivery_date", "before": "2025-02-30", "after": null})]), "invalid_value", "/undo/properties/0/before"),
    ] {
        let e = err(d, "planUndo", vec![json!("order-order"), oinput.clone(), undo.clone(), Value::Null]);
        assert_eq!((e["code"].as_str(), e["path"].as_str()), (Some(code), Some(path)), "{undo} → {e}");
    }
    let e = err(d, "planUndo", vec![json!("product-item"), json!({"customerp": product("KIT-1", "10", "USD")}),
        props(vec![json!({"side": "chargebee", "property": "price", "before": "ten", "after": "10"})]), item_opts()]);
    assert_eq!((e["code"].as_str(), e["path"].as_str()), (Some("invalid_value"), Some("/undo/properties")), "no base: {e}");
    // The instance keeps working.
    assert_eq!(plan(d, f, json!({"customerp": contact()}), Value::Null)["chargebee"]["action"], "create");
}
