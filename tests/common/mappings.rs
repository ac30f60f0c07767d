//! The `mappings` option: rows a configuration adds, in contact-customer, product-item and
//! order-order, behaving as the flows' own rows do.

use super::{apply_customerp, contact, err, fake_chargebee, item_opts, ok, order_links, plan, product, requests, with, Driver};
use serde_json::{json, Value};

fn contact_mappings() -> Value {
    json!([
        {"customerp": "vat_id", "chargebee": "vat_number", "type": "string"},
        {"customerp": "segment", "chargebee": "cf_segment", "type": "enum", "values": ["smb", "enterprise", "offentlig"]},
        {"customerp": "crm.account", "chargebee": "meta_data.crm_account_id", "type": "string", "maxLength": 40},
        {"customerp": "payment_terms", "chargebee": "net_term_days", "type": "integer"},
        {"customerp": "invoice_note", "chargebee": "invoice_notes", "type": "string", "direction": "to-chargebee"}
    ])
}

fn contact_opts() -> Value {
    json!({"mappings": {"contact-customer": contact_mappings()}})
}

fn mapped_contact() -> Value {
    with(contact(), json!({"vat_id": "NO923456789MVA", "segment": "offentlig", "crm": {"account": "ACCT-Åsane-7"},
                           "payment_terms": 30, "invoice_note": "Merk faktura «Økonomi»"}))
}

#[allow(clippy::too_many_arguments)]
/// Plans and applies until nothing is left to write (at most `rounds` plans), asserting it settles.
fn settle(d: &dyn Driver, flow: &str, cp: Option<Value>, cb: Option<Value>, base: Value, links: Value, options: Value, rounds: usize)
    -> (Value, Option<Value>, Option<Value>) {
    let (mut cp, mut cb, mut base) = (cp, cb, base);
    for round in 0..rounds {
        let p = plan(d, flow, json!({"customerp": cp, "chargebee": cb, "base": base, "links": links}), options.clone());
        if p["chargebee"]["action"] == "none" && p["customerp"]["action"] == "none" {
            assert_eq!(p["conflicts"], json!([]), "settled with conflicts: {p}");
            return (p, cp, cb);
        }
        let now = 1_780_000_000 + round as i64 * 100;
        cb = fake_chargebee::apply(cb, &p, now);
        cp = apply_customerp(cp, &p, "900", &format!("2026-06-0{}T12:00:00+02:00", round + 1));
        base = p["base"].clone();
    }
    panic!("{flow} did not settle within {rounds} plans");
}

fn synced_mapped_contact(d: &dyn Driver) -> (Value, Value, Value) {
    let (p, cp, cb) = settle(d, "contact-customer", Some(mapped_contact()), None, Value::Null, Value::Null, contact_opts(), 3);
    (cp.unwrap(), cb.unwrap(), p["base"].clone())
}

pub fn mapped_fields_ride_the_contact_create(d: &dyn Driver) {
    let p = plan(d, "contact-customer", json!({"customerp": mapped_contact()}), contact_opts());
    let reqs = requests(&p);
    assert_eq!(reqs.len(), 1);
    let params = &reqs[0].1;
    assert_eq!(reqs[0].0, "/customers");
    assert_eq!(params["vat_number"], "NO923456789MVA", "the create takes vat_number");
    assert_eq!(params["cf_segment"], "offentlig");
    assert_eq!(params["net_term_days"], 30);
    assert_eq!(params["invoice_notes"], "Merk faktura «Økonomi»");
    assert_eq!(params["meta_data"], json!({"customerp": {"type": "contact", "id": "17"}, "crm_account_id": "ACCT-Åsane-7"}),
        "a mapped key sits beside the identity tag");
    // Applied, the next plan writes nothing: the mapped rows read back as they were written.
    synced_mapped_contact(d);
}

pub fn mapped_field_edits_reach_the_other_side(d: &dyn Driver) {
    let (cp, cb, base) = synced_mapped_contact(d);
    // Customerp → Chargebee: vat_number through update_billing_info (no address), the meta key merged.
    let cb_with_other_key = with(cb.clone(), json!({"meta_data": {"kept_by_someone": "yes"}}));
    let cp2 = with(cp.clone(), json!({"vat_id": "NO999888777MVA", "crm": {"account": "ACCT-Vest-1"}, "updated": "2026-07-01T09:00:00+02:00"}));
    let p = plan(d, "contact-customer", json!({"customerp": cp2.clone(), "chargebee": cb_with_other_key.clone(), "base": base.clone()}), contact_opts());
    assert_eq!(requests(&p), vec![
        ("/customers/cp-contact-17".to_string(), json!({"meta_data": {"customerp": {"type": "contact", "id": "17"},
            "crm_account_id": "ACCT-Vest-1", "kept_by_someone": "yes"}})),
        ("/customers/cp-contact-17/update_billing_info".to_string(), json!({"vat_number": "NO999888777MVA"})),
    ]);
    assert_eq!(p["chargebee"]["expect"]["vat_number"], "NO923456789MVA");
    assert_eq!(p["customerp"]["action"], "none");
    // Idempotency keys follow the mapped value: the same plan gives the same keys, another value others.
    let again = plan(d, "contact-customer", json!({"customerp": cp2.clone(), "chargebee": cb_with_other_key.clone(), "base": base.clone()}), contact_opts());
    assert_eq!(again["chargebee"]["requests"], p["chargebee"]["requests"]);
    let other = with(cp2, json!({"vat_id": "NO999888776MVA"}));
    let p2 = plan(d, "contact-customer", json!({"customerp": other, "chargebee": cb_with_other_key, "base": base.clone()}), contact_opts());
    assert_ne!(p2["chargebee"]["requests"][1]["idempotencyKey"], p["chargebee"]["requests"][1]["idempotencyKey"]);
    // Chargebee → Customerp: a custom field and a core attribute.
    let cb2 = with(cb, json!({"cf_segment": "enterprise", "net_term_days": 45, "updated_at": 1_790_000_000}));
    let p = plan(d, "contact-customer", json!({"customerp": cp.clone(), "chargebee": cb2.clone(), "base": base.clone()}), contact_opts());
    assert_eq!(p["chargebee"]["action"], "none");
    assert_eq!(p["customerp"]["changes"], json!({"segment": "enterprise", "payment_terms": 45}));
    // Composed and decomposed text are the same text: no edit.
    let decomposed = with(cp.clone(), json!({"crm": {"account": "ACCT-A\u{030A}sane-7"}, "updated": "2026-07-01T09:00:00+02:00"}));
    let p = plan(d, "contact-customer", json!({"customerp": decomposed, "chargebee": cb2.clone(), "base": base.clone()}), contact_opts());
    assert_eq!(p["chargebee"]["action"], "none", "{p}");
    // Bad values are typed errors naming the field.
    let long = with(cp.clone(), json!({"vat_id": "X".repeat(21)}));
    let e = err(d, "plan", vec![json!("contact-customer"), json!({"customerp": long}), contact_opts()]);
    assert_eq!((e["code"].as_str(), e["path"].as_str()), (Some("too_long"), Some("/customerp/vat_id")));
    let unknown = with(cp, json!({"segment": "medium"}));
    let e = err(d, "plan", vec![json!("contact-customer"), json!({"customerp": unknown}), contact_opts()]);
    assert_eq!((e["code"].as_str(), e["path"].as_str()), (Some("invalid_value"), Some("/customerp/segment")));
}

pub fn mapped_conflict_is_settled_by_property_winners(d: &dyn Driver) {
    let (cp, cb, base) = synced_mapped_contact(d);
    let cp2 = with(cp, json!({"vat_id": "NO111MVA", "updated": "2026-08-01T09:00:00+02:00"}));
    let cb2 = with(cb, json!({"vat_number": "NO222MVA", "updated_at": 1_790_000_000}));
    let input = json!({"customerp": cp2, "chargebee": cb2, "base": base});
    let mut opts = contact_opts();
    opts["propertyWinners"] = json!({"vat_id": "customerp"});
    let p = plan(d, "contact-customer", input.clone(), opts);
    assert_eq!(p["conflicts"].as_array().unwrap().len(), 1);
    let c = &p["conflicts"][0];
    assert_eq!((c["property"].as_str(), c["winner"].as_str(), c["rule"].as_str()), (Some("vat_id"), Some("customerp"), Some("propertyWinners: customerp")));
    assert_eq!((c["customerp"].as_str(), c["chargebee"].as_str(), c["base"].as_str()), (Some("NO111MVA"), Some("NO222MVA"), Some("NO923456789MVA")));
    assert_eq!(requests(&p), vec![("/customers/cp-contact-17/update_billing_info".to_string(), json!({"vat_number": "NO111MVA"}))]);
    // Without the winner, the newest side (Chargebee here) wins.
    let p = plan(d, "contact-customer", input.clone(), contact_opts());
    assert_eq!(p["conflicts"][0]["winner"], "chargebee");
    assert_eq!(p["customerp"]["changes"], json!({"vat_id": "NO222MVA"}));
    // readOnly Customerp: the one-way source wins, and Customerp is never written.
    let mut opts = contact_opts();
    opts["readOnly"] = json!(["customerp"]);
    let p = plan(d, "contact-customer", input, opts);
    assert_eq!(p["conflicts"][0]["rule"], "readOnly");
    assert_eq!(p["customerp"]["action"], "none");
}

pub fn to_customerp_mapping_is_never_written_to_chargebee(d: &dyn Driver) {
    let opts = json!({"mappings": {"contact-customer": [
        {"customerp": "billing_since", "chargebee": "created_at", "type": "date", "direction": "to-customerp"},
        {"customerp": "vat_status", "chargebee": "vat_number_status", "type": "enum", "direction": "to-customerp"}]},
        "timeZone": "Europe/Oslo"});
    let c = with(contact(), json!({"billing_since": "2020-01-01", "vat_status": "valid"}));
    let p = plan(d, "contact-customer", json!({"customerp": c.clone()}), opts.clone());
    let params = &requests(&p)[0].1;
    assert!(params.get("created_at").is_none() && params.get("vat_number_status").is_none(), "{params}");
    // Chargebee's creation date reaches Customerp (in the configured zone); Customerp's edits never go back.
    let (_, cp, cb) = settle(d, "contact-customer", Some(c), None, Value::Null, Value::Null, opts.clone(), 3);
    let (cp, cb) = (cp.unwrap(), cb.unwrap());
    assert_eq!(cp["billing_since"], "2026-05-28", "1_780_000_000 is 2026-05-28 in Oslo");
    let p = plan(d, "contact-customer", json!({"customerp": cp.clone(), "chargebee": cb.clone(), "base": Value::Null}), opts.clone());
    assert_eq!(p["chargebee"]["action"], "none");
    let edited = with(cp, json!({"billing_since": "1999-12-31", "updated": "2026-09-01T00:00:00Z"}));
    let base = plan(d, "contact-customer", json!({"customerp": edited.clone(), "chargebee": cb.clone()}), opts.clone())["base"].clone();
    let p = plan(d, "contact-customer", json!({"customerp": edited, "chargebee": cb, "base": base}), opts);
    assert_eq!(p["chargebee"]["action"], "none", "a to-customerp row is never written to Chargebee: {p}");
}

/// Each case: one more mapping row after `ok_row`, the error path under the row, and words of the message.
fn refused(d: &dyn Driver, flow: &str, input: Value, extra: Value, ok_row: Value, cases: &[(Value, &str, &str)]) {
    for (row, at, words) in cases {
        let mut opts = extra.clone();
        opts["mappings"] = json!({flow: [ok_row.clone(), row.clone()]});
        let e = err(d, "plan", vec![json!(flow), input.clone(), opts.clone()]);
        assert_eq!(e["code"], "invalid_options", "{opts}: {e}");
        let path = if at.is_empty() { format!("/options/mappings/{flow}/1") } else { format!("/options/mappings/{flow}/1/{at}") };
        assert_eq!(e["path"], json!(path), "{opts}: {e}");
        assert!(e["message"].as_str().unwrap().contains(words), "{opts}: message {:?} lacks {words:?}", e["message"]);
    }
}

pub fn invalid_mappings_are_refused_with_what_is_allowed(d: &dyn Driver) {
    let row = |m: Value| json!({"mappings": {"contact-customer": [{"customerp": "vat_id", "chargebee": "vat_number", "type": "string"}, m]}});
    let cases = [
        // An unknown Chargebee attribute.
        (row(json!({"customerp": "x", "chargebee": "vat_nummer", "type": "string"})), "/options/mappings/contact-customer/1/chargebee", "allowed: first_name"),
        // A read-only attribute on a row that writes Chargebee.
        (row(json!({"customerp": "x", "chargebee": "created_at", "type": "timestamp"})), "/options/mappings/contact-customer/1/chargebee", "read-only"),
        // An attribute a built-in row maps, and one another mapping maps.
        (row(json!({"customerp": "x", "chargebee": "email", "type": "string"})), "/options/mappings/contact-customer/1/chargebee", "already mapped by the flow's own table"),
        (row(json!({"customerp": "x", "chargebee": "vat_number", "type": "string"})), "/options/mappings/contact-customer/1/chargebee", "already mapped by another mapping"),
        (row(json!({"customerp": "x", "chargebee": "meta_data.customerp", "type": "string"})), "/options/mappings/contact-customer/1/chargebee", "identity tag"),
        // A Customerp path a built-in row uses (or a parent of one).
        (row(json!({"customerp": "address.city", "chargebee": "cf_city", "type": "string"})), "/options/mappings/contact-customer/1/customerp", "already used"),
        (row(json!({"customerp": "address", "chargebee": "cf_city", "type": "string"})), "/options/mappings/contact-customer/1/customerp", "already used"),
        (row(json!({"customerp": "mobile", "chargebee": "cf_mobile", "type": "string"})), "/options/mappings/contact-customer/1/customerp", "already used"),
        // A type that does not fit the attribute.
        (row(json!({"customerp": "x", "chargebee": "net_term_days", "type": "string"})), "/options/mappings/contact-customer/1/type", "use \"integer\""),
        (row(json!({"customerp": "x", "chargebee": "auto_collection", "type": "enum", "values": ["on", "sometimes"]})), "/options/mappings/contact-customer/1/values", "its values are on, off"),
        (row(json!({"customerp": "x", "chargebee": "invoice_notes", "type": "string", "maxLength": 5000})), "/options/mappings/contact-customer/1/maxLength", "at most 2000"),
        (row(json!({"customerp": "x", "chargebee": "cf_credit", "type": "money"})), "/options/mappings/contact-customer/1/type", "never money"),
        // Malformed rows.
        (row(json!("vat")), "/options/mappings/contact-customer/1", "a mapping is an object"),
        (row(json!({"customerp": "x", "chargebee": "cf_x"})), "/options/mappings/contact-customer/1/type", "expected a non-empty string"),
        (row(json!({"customerp": "x", "chargebee": "cf_x", "type": "text"})), "/options/mappings/contact-customer/1/type", "\"string\", \"boolean\""),
        (row(json!({"customerp": "x", "chargebee": "cf_x", "type": "string", "direction": "up"})), "/options/mappings/contact-customer/1/direction", "\"both\", \"to-chargebee\", \"to-customerp\""),
        (row(json!({"customerp": "x", "chargebee": "cf_x", "type": "string", "colour": 1})), "/options/mappings/contact-customer/1/colour", "unknown key"),
        (row(json!({"customerp": "x..y", "chargebee": "cf_x", "type": "string"})), "/options/mappings/contact-customer/1/customerp", "dotted path"),
        (row(json!({"customerp": "x", "chargebee": "cf_", "type": "string"})), "/options/mappings/contact-customer/1/chargebee", "API name"),
        (row(json!({"customerp": "x", "chargebee": "meta_data", "type": "string"})), "/options/mappings/contact-customer/1/chargebee", "meta_data.<key>"),
        (json!({"mappings": {"contact-customers": []}}), "/options/mappings/contact-customers", "unknown flow"),
        (json!({"mappings": {"contact-customer": {}}}), "/options/mappings/contact-customer", "expected an array"),
        (json!({"mappings": []}), "/options/mappings", "expected an object"),
        // Orders have no custom fields (another flow's rows are checked too).
        (json!({"mappings": {"order-order": [{"customerp": "x", "chargebee": "cf_x", "type": "string"}]}}), "/options/mappings/order-order/0/chargebee", "no custom fields"),
        (json!({"mappings": {"customer-business_entity": [{"customerp": "x", "chargebee": "cf_x", "type": "string"}]}}), "/options/mappings/customer-business_entity/0", "written by hand"),
        // propertyWinners may name a mapped path, not an unknown one.
        (json!({"mappings": {"contact-customer": contact_mappings()}, "propertyWinners": {"vat": "customerp"}}), "/options/propertyWinners/vat", "not a property"),
    ];
    for (opts, path, words) in cases {
        let e = err(d, "plan", vec![json!("contact-customer"), json!({"customerp": contact()}), opts.clone()]);
        assert_eq!(e["code"], "invalid_options", "{opts}: {e}");
        assert_eq!(e["path"], path, "{opts}: {e}");
        assert!(e["message"].as_str().unwrap().contains(words), "{opts}: message {:?} lacks {words:?}", e["message"]);
    }
    // Reading a read-only attribute is fine; the same options work on the next call.
    let ok_opts = row(json!({"customerp": "x", "chargebee": "created_at", "type": "timestamp", "direction": "to-customerp"}));
    ok(d, "plan", vec![json!("contact-customer"), json!({"customerp": contact()}), ok_opts]);
}

pub fn bases_without_a_mapping_work_when_it_is_added_or_removed(d: &dyn Driver) {
    // A pair synced before any mapping.
    let (p, cp, cb) = super::converge(d, "contact-customer", Some(contact()), None, Value::Null, Value::Null, Value::Null);
    let (cp, cb, base) = (cp.unwrap(), cb.unwrap(), p["base"].clone());
    // Added: as at a first sync, filled beats empty on either side.
    let cp2 = with(cp.clone(), json!({"vat_id": "NO923456789MVA"}));
    let cb2 = with(cb.clone(), json!({"cf_segment": "smb"}));
    let p = plan(d, "contact-customer", json!({"customerp": cp2.clone(), "chargebee": cb2.clone(), "base": base.clone()}), contact_opts());
    assert_eq!(requests(&p), vec![("/customers/cp-contact-17/update_billing_info".to_string(), json!({"vat_number": "NO923456789MVA"}))]);
    // Chargebee's net_term_days (0, its default) is a filled value too.
    assert_eq!(p["customerp"]["changes"], json!({"segment": "smb", "payment_terms": 0}));
    assert_eq!(p["conflicts"], json!([]));
    // Both filled and different at the first sync with the mapping: settled by the policy, reported.
    let cb3 = with(cb2.clone(), json!({"vat_number": "NO000MVA"}));
    let p2 = plan(d, "contact-customer", json!({"customerp": cp2.clone(), "chargebee": cb3, "base": base.clone()}), contact_opts());
    assert_eq!(p2["conflicts"][0]["property"], "vat_id");
    assert_eq!(p2["conflicts"][0]["base"], Value::Null);
    // Removed: a base made with the mapping still reads; its value is forgotten and nothing is written.
    let cb_after = fake_chargebee::apply(Some(cb2), &p, 1_781_000_000);
    let cp_after = apply_customerp(Some(cp2), &p, "900", "2026-06-02T12:00:00+02:00");
    let edited = with(cp_after.unwrap(), json!({"vat_id": "NO555MVA", "updated": "2026-07-01T09:00:00+02:00"}));
    let p3 = plan(d, "contact-customer", json!({"customerp": edited, "chargebee": cb_after, "base": p["base"]}), Value::Null);
    assert_eq!(p3["chargebee"]["action"], "none", "{p3}");
    assert_eq!(p3["customerp"]["action"], "none");
    assert!(p3["base"]["customerp"].get("vat_number").is_none(), "the removed row is not in the new base");
}

// ---- product-item ---------------------------------------------------------------------------

fn product_opts() -> Value {
    with(item_opts(), json!({"mappings": {"product-item": [
        {"customerp": "web.visible", "chargebee": "enabled_in_portal", "type": "boolean"},
        {"customerp": "colour", "chargebee": "cf_colour", "type": "string", "maxLength": 30},
        {"customerp": "erp_group", "chargebee": "metadata.erp_group", "type": "string"},
        {"customerp": "invoice_text", "chargebee": "item_price.invoice_notes", "type": "string"},
        {"customerp": "price_note", "chargebee": "item_price.cf_note", "type": "string"},
        {"customerp": "archived_on", "chargebee": "item_price.archived_at", "type": "timestamp", "direction": "to-customerp"}
    ]}}))
}

fn mapped_product() -> Value {
    with(product("KIT-1", "1499.50", "NOK"), json!({"web": {"visible": true}, "colour": "Blåbær", "erp_group": "Verktøy",
        "invoice_text": "Garanti 2 år", "price_note": "Kampanje"}))
}

pub fn product_mappings_create_edit_and_conflict(d: &dyn Driver) {
    let f = "product-item";
    let p = plan(d, f, json!({"customerp": mapped_product()}), product_opts());
    let reqs = requests(&p);
    assert_eq!(reqs[0].0, "/items");
    assert_eq!((reqs[0].1["enabled_in_portal"].clone(), reqs[0].1["cf_colour"].clone()), (json!(true), json!("Blåbær")));
    assert_eq!(reqs[0].1["metadata"], json!({"erp_group": "Verktøy"}));
    assert_eq!(reqs[1].0, "/item_prices");
    assert_eq!((reqs[1].1["invoice_notes"].clone(), reqs[1].1["cf_note"].clone()), (json!("Garanti 2 år"), json!("Kampanje")));
    assert!(reqs[1].1.get("archived_at").is_none(), "a to-customerp row is never written");
    let (p, cp, cb) = settle(d, f, Some(mapped_product()), None, Value::Null, Value::Null, product_opts(), 3);
    let (cp, cb, base) = (cp.unwrap(), cb.unwrap(), p["base"].clone());
    // Customerp → Chargebee: the item's metadata key merged with what others put there; the price's attribute to the price.
    let cb_other = with(cb.clone(), json!({"metadata": {"owner": "web"}}));
    let cp2 = with(cp.clone(), json!({"erp_group": "Hage", "invoice_text": "Garanti 5 år", "updated": "2026-07-01T00:00:00Z"}));
    let p = plan(d, f, json!({"customerp": cp2, "chargebee": cb_other, "base": base.clone()}), product_opts());
    let pid = cb["item_prices"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(requests(&p), vec![
        ("/items/KIT-1".to_string(), json!({"metadata": {"erp_group": "Hage", "owner": "web"}})),
        (format!("/item_prices/{pid}"), json!({"invoice_notes": "Garanti 5 år"})),
    ]);
    // Chargebee → Customerp: a custom field of the item and of the price.
    let mut cb2 = with(cb.clone(), json!({"cf_colour": "Tyttebær", "updated_at": 1_790_000_000}));
    cb2["item_prices"][0]["cf_note"] = json!("Utsalg");
    let p = plan(d, f, json!({"customerp": cp.clone(), "chargebee": cb2.clone(), "base": base.clone()}), product_opts());
    assert_eq!(p["customerp"]["changes"], json!({"colour": "Tyttebær", "price_note": "Utsalg"}));
    assert_eq!(p["chargebee"]["action"], "none");
    // Both sides edit the colour: propertyWinners settles it.
    let cp3 = with(cp, json!({"colour": "Multe", "updated": "2026-12-01T00:00:00Z"}));
    let mut opts = product_opts();
    opts["propertyWinners"] = json!({"colour": "chargebee"});
    let p = plan(d, f, json!({"customerp": cp3, "chargebee": cb2, "base": base}), opts);
    let c = p["conflicts"].as_array().unwrap().iter().find(|c| c["property"] == "colour").unwrap().clone();
    assert_eq!((c["winner"].as_str(), c["rule"].as_str()), (Some("chargebee"), Some("propertyWinners: chargebee")));
    assert_eq!(p["customerp"]["changes"]["colour"], "Tyttebær");
    // Every kind of bad row, for items and item prices.
    refused(d, f, json!({"customerp": mapped_product()}), item_opts(), json!({"customerp": "colour", "chargebee": "cf_colour", "type": "string"}), &[
        (json!({"customerp": "x", "chargebee": "colour", "type": "string"}), "chargebee", "allowed: name, description"),
        (json!({"customerp": "x", "chargebee": "item_price.colour", "type": "string"}), "chargebee", "allowed: item_price.name"),
        (json!({"customerp": "x", "chargebee": "archived_at", "type": "timestamp"}), "chargebee", "read-only"),
        (json!({"customerp": "x", "chargebee": "item_price.archived_at", "type": "timestamp", "direction": "both"}), "chargebee", "read-only"),
        (json!({"customerp": "x", "chargebee": "description", "type": "string"}), "chargebee", "already mapped by the flow's own table"),
        (json!({"customerp": "price", "chargebee": "item_price.invoice_notes", "type": "string"}), "customerp", "already used"),
        (json!({"customerp": "x", "chargebee": "enabled_in_portal", "type": "string"}), "type", "use \"boolean\""),
        (json!({"customerp": "x", "chargebee": "item_price.free_quantity", "type": "money"}), "type", "use \"integer\""),
        (json!({"customerp": "x", "chargebee": "item_price.shipping_period_unit", "type": "enum", "values": ["fortnight"]}), "values", "its values are day, week, month, year"),
        (json!({"customerp": "x", "chargebee": "cf_x", "type": "string", "maxLength": 0}), "maxLength", "at least 1"),
        (json!({"customerp": "x", "chargebee": "cf_x", "type": "boolean", "maxLength": 5}), "maxLength", "for type \"string\" only"),
        (json!({"customerp": "x", "chargebee": "metadata.a.b", "type": "string"}), "chargebee", "one key deep"),
        (json!(["x"]), "", "a mapping is an object"),
    ]);
    // A mapped key of the item is never the identity tag.
    let e = err(d, "plan", vec![json!(f), json!({"customerp": mapped_product()}),
        with(item_opts(), json!({"mappings": {"product-item": [{"customerp": "x", "chargebee": "metadata.customerp", "type": "string"}]}}))]);
    assert_eq!(e["path"], "/options/mappings/product-item/0/chargebee");
    let e = err(d, "plan", vec![json!(f), json!({"customerp": mapped_product()}),
        with(item_opts(), json!({"mappings": {"product-item": [{"customerp": "x", "chargebee": "item_price.price", "type": "money"}]}}))]);
    assert!(e["message"].as_str().unwrap().contains("already mapped"), "{e}");
}

// ---- order-order ----------------------------------------------------------------------------

fn order_opts() -> Value {
    json!({"timeZone": "Europe/Oslo", "mappings": {"order-order": [
        {"customerp": "batch", "chargebee": "batch_id", "type": "string"},
        {"customerp": "fulfilment", "chargebee": "fulfillment_status", "type": "enum", "values": ["picking", "packed", "sent"]},
        {"customerp": "paid_on", "chargebee": "paid_on", "type": "date", "direction": "to-customerp"},
        {"customerp": "invoice_total", "chargebee": "total", "type": "money", "direction": "to-customerp"}
    ]}})
}

pub fn order_mappings_create_edit_and_conflict(d: &dyn Driver) {
    let f = "order-order";
    let order = with(super::erp_order(), json!({"batch": "B-Østfold-1", "fulfilment": "picking", "paid_on": "2026-01-01", "invoice_total": "1"}));
    let p = plan(d, f, json!({"customerp": order.clone(), "links": order_links()}), order_opts());
    let reqs = requests(&p);
    assert_eq!(reqs[1].0, "/orders");
    assert_eq!((reqs[1].1["batch_id"].clone(), reqs[1].1["fulfillment_status"].clone()), (json!("B-Østfold-1"), json!("picking")),
        "POST /orders takes both");
    assert!(reqs.iter().all(|(_, params)| params.get("paid_on").is_none() && params.get("total").is_none()));
    let (p, cp, cb) = settle(d, f, Some(order), None, Value::Null, order_links(), order_opts(), 4);
    let (cp, cb, base) = (cp.unwrap(), cb.unwrap(), p["base"].clone());
    assert_eq!(cp["invoice_total"], "3098.00", "Chargebee's total, in the order's currency");
    // Each side's edit reaches the other.
    let cp2 = with(cp.clone(), json!({"fulfilment": "packed", "updated": "2026-07-01T00:00:00Z"}));
    let p = plan(d, f, json!({"customerp": cp2, "chargebee": cb.clone(), "base": base.clone(), "links": order_links()}), order_opts());
    assert_eq!(requests(&p), vec![("/orders/cp-order-107".to_string(), json!({"fulfillment_status": "packed"}))]);
    let cb2 = with(cb.clone(), json!({"batch_id": "B-Vestland-2", "updated_at": 1_790_000_000}));
    let p = plan(d, f, json!({"customerp": cp.clone(), "chargebee": cb2.clone(), "base": base.clone(), "links": order_links()}), order_opts());
    assert_eq!(p["customerp"]["changes"], json!({"batch": "B-Vestland-2"}));
    // A conflict on a mapped row, settled by propertyWinners.
    let cp3 = with(cp, json!({"batch": "B-Agder-3", "updated": "2026-12-01T00:00:00Z"}));
    let mut opts = order_opts();
    opts["propertyWinners"] = json!({"batch": "chargebee"});
    let p = plan(d, f, json!({"customerp": cp3, "chargebee": cb2, "base": base, "links": order_links()}), opts);
    assert_eq!(p["conflicts"][0]["property"], "batch");
    assert_eq!(p["conflicts"][0]["winner"], "chargebee");
    assert_eq!(p["customerp"]["changes"], json!({"batch": "B-Vestland-2"}));
    assert_eq!(p["chargebee"]["action"], "none");
    // Every kind of bad row, for orders.
    refused(d, f, json!({"customerp": super::erp_order(), "links": order_links()}), json!({}), json!({"customerp": "batch", "chargebee": "batch_id", "type": "string"}), &[
        (json!({"customerp": "x", "chargebee": "cf_x", "type": "string"}), "chargebee", "no custom fields"),
        (json!({"customerp": "x", "chargebee": "meta_data.x", "type": "string"}), "chargebee", "allowed: reference_id"),
        (json!({"customerp": "x", "chargebee": "total", "type": "money"}), "chargebee", "read-only"),
        (json!({"customerp": "x", "chargebee": "tracking_id", "type": "string"}), "chargebee", "already mapped by the flow's own table"),
        (json!({"customerp": "lines.sku", "chargebee": "fulfillment_status", "type": "string"}), "customerp", "already used"),
        (json!({"customerp": "x", "chargebee": "fulfillment_status", "type": "integer"}), "type", "text of at most 50 characters"),
        (json!({"customerp": "x", "chargebee": "paid_on", "type": "money", "direction": "to-customerp"}), "type", "use \"date\" or \"timestamp\""),
        (json!({"customerp": "x", "chargebee": "fulfillment_status", "type": "enum"}), "values", "lists its values"),
        (json!({"chargebee": "batch_id", "type": "string"}), "customerp", "expected a non-empty string"),
    ]);
}

pub fn product_and_order_bases_without_a_mapping_work_when_it_is_added_or_removed(d: &dyn Driver) {
    // product-item: synced without mappings; a price attribute and an item custom field added.
    let (p, cp, cb) = super::converge(d, "product-item", Some(product("KIT-1", "1499.50", "NOK")), None, Value::Null, Value::Null, item_opts());
    let (cp, cb, base) = (cp.unwrap(), cb.unwrap(), p["base"].clone());
    let cp2 = with(cp.clone(), json!({"invoice_text": "Garanti 2 år"}));
    let mut cb2 = with(cb.clone(), json!({"cf_colour": "Blåbær"}));
    cb2["item_prices"][0]["cf_note"] = json!("Kampanje");
    let p = plan(d, "product-item", json!({"customerp": cp2.clone(), "chargebee": cb2.clone(), "base": base}), product_opts());
    let pid = cb["item_prices"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(requests(&p), vec![(format!("/item_prices/{pid}"), json!({"invoice_notes": "Garanti 2 år"}))]);
    assert_eq!(p["customerp"]["changes"], json!({"colour": "Blåbær", "price_note": "Kampanje"}));
    assert_eq!(p["conflicts"], json!([]));
    // Removed: the base made with them reads, nothing is written for them.
    let edited = with(cp2, json!({"invoice_text": "Garanti 9 år", "colour": "Multe", "updated": "2026-09-01T00:00:00Z"}));
    let p = plan(d, "product-item", json!({"customerp": edited, "chargebee": cb2, "base": p["base"]}), item_opts());
    assert_eq!(p["chargebee"]["action"], "none", "{p}");
    assert_eq!(p["customerp"]["action"], "none");
    // order-order: synced without mappings; a batch added on the Customerp side, then the mapping removed.
    let f = "order-order";
    let opts = json!({"timeZone": "Europe/Oslo"});
    let (p, cp, cb) = settle(d, f, Some(super::erp_order()), None, Value::Null, order_links(), opts.clone(), 4);
    let (cp, cb, base) = (cp.unwrap(), cb.unwrap(), p["base"].clone());
    let cp2 = with(cp, json!({"batch": "B-Østfold-1"}));
    let p = plan(d, f, json!({"customerp": cp2.clone(), "chargebee": cb.clone(), "base": base, "links": order_links()}), order_opts());
    assert_eq!(requests(&p), vec![("/orders/cp-order-107".to_string(), json!({"batch_id": "B-Østfold-1"}))]);
    assert_eq!(p["customerp"]["changes"], json!({"invoice_total": "3098.00"}), "a to-customerp row fills Customerp at its first sync");
    let edited = with(cp2, json!({"batch": "B-Agder-2", "updated": "2026-09-01T00:00:00Z"}));
    let p = plan(d, f, json!({"customerp": edited, "chargebee": cb, "base": p["base"], "links": order_links()}), opts);
    assert_eq!(p["chargebee"]["action"], "none", "{p}");
}

pub fn flows_and_document_show_mapped_rows(d: &dyn Driver) {
    let opts = json!({"mappings": {"contact-customer": contact_mappings(), "product-item": product_opts()["mappings"]["product-item"]}});
    let flows = ok(d, "flows", vec![opts.clone()]);
    let contact = flows.as_array().unwrap().iter().find(|f| f["id"] == "contact-customer").unwrap();
    let vat = contact["properties"].as_array().unwrap().iter().find(|p| p["chargebee"] == "vat_number").unwrap();
    assert_eq!(vat["customerp"], "vat_id");
    assert_eq!(vat["mapped"], true);
    assert_eq!(vat["direction"], "both");
    assert!(vat["chargebeeType"].as_str().unwrap().contains("mapped by configuration"), "{vat}");
    assert!(contact["properties"].as_array().unwrap().iter().filter(|p| p["chargebee"] == "email").all(|p| p.get("mapped").is_none()));
    let plain = ok(d, "flows", vec![]);
    let n = |f: &Value, id: &str| f.as_array().unwrap().iter().find(|x| x["id"] == id).unwrap()["properties"].as_array().unwrap().len();
    assert_eq!(n(&flows, "contact-customer"), n(&plain, "contact-customer") + 5);
    assert_eq!(n(&flows, "product-item"), n(&plain, "product-item") + 6);
    assert_eq!(n(&flows, "order-order"), n(&plain, "order-order"));
    let md = ok(d, "dataflowDocument", vec![json!("markdown"), opts]);
    let md = md.as_str().unwrap();
    assert!(md.contains("| `vat_id` | `vat_number` | `string(20); mapped by configuration (attribute, update_billing_info)` | `both` |"), "{md}");
    assert!(md.contains("| `colour` | `cf_colour` | `string(30); mapped by configuration (custom field, update)` | `both` |"), "{md}");
    let e = err(d, "flows", vec![json!({"mappings": {"contact-customer": [{"customerp": "x"}]}})]);
    assert_eq!(e["code"], "invalid_options");
}
