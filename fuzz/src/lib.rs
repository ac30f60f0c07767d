//! Shared by the fuzz targets: how an input is read, and the invariants every result must keep.
//!
//! Input layout (every target): byte 0 picks the flow, byte 1 picks an options preset, the rest is
//! JSON text: the argument of the entry point in its JSON form (`plan`: a PlanInput, `planBatch`:
//! an array of them, `match`: `[customerpRecords, chargebeeRecords]`, `toChargebee`: a Customerp
//! record, `toCustomerp`: a Chargebee resource, `encodeForm`: request params). Text that is not
//! JSON is skipped: the Wasm binding turns it into a typed error before the core sees it.

use customerp_chargebee::{api, SyncError};
use serde_json::{json, Value};

pub const FLOWS: [&str; 6] =
    ["contact-customer", "customer-business_entity", "employee-customer", "quote-order", "order-order", "product-item"];

pub fn options_preset(i: u8) -> Value {
    match i % 8 {
        0 => Value::Null,
        1 => json!({"itemFamilyId": "hardware"}),
        2 => json!({"readOnly": ["chargebee"], "itemFamilyId": "hardware"}),
        3 => json!({"readOnly": ["customerp"], "itemFamilyId": "hardware"}),
        4 => json!({"conflicts": "chargebee", "deletes": "propagate", "itemFamilyId": "hardware", "timeZone": "Europe/Oslo"}),
        5 => json!({"deletes": "ignore", "idPrefix": "erp", "ownCompanyName": "Nordlys AS", "itemFamilyId": "hardware"}),
        6 => json!({"createdAfter": "2026-02-01T00:00:00Z", "itemFamilyId": "hardware"}),
        _ => json!({"conflicts": "customerp", "timeZone": "Pacific/Kiritimati", "itemFamilyId": "hardware",
                    "propertyWinners": {"email": "chargebee"}}),
    }
}

/// The encoding of one fuzz input; the seed maker writes the same layout.
pub fn encode_input(flow: usize, preset: u8, json: &Value) -> Vec<u8> {
    let mut out = vec![flow as u8, preset];
    out.extend_from_slice(json.to_string().as_bytes());
    out
}

pub struct Input {
    pub flow: &'static str,
    pub options: Value,
    pub value: Value,
}

pub fn decode(data: &[u8]) -> Option<Input> {
    if data.len() < 2 {
        return None;
    }
    let text = std::str::from_utf8(&data[2..]).ok()?;
    let value: Value = serde_json::from_str(text).ok()?;
    let options = options_preset(data[1]);
    Some(Input { flow: FLOWS[data[0] as usize % 6], options, value })
}

pub fn opts(i: &Input) -> Option<&Value> {
    (!i.options.is_null()).then_some(&i.options)
}

const CODES: [&str; 8] =
    ["unknown_flow", "invalid_options", "invalid_type", "missing_field", "invalid_value", "too_long", "unsupported", "invalid_base"];

/// A typed error is well formed: a known code, a JSON Pointer path, a message.
pub fn check_error(e: &SyncError) {
    let v = serde_json::to_value(e).expect("errors serialise");
    assert!(CODES.contains(&v["code"].as_str().unwrap()), "unknown code {v}");
    assert!(e.path.is_empty() || e.path.starts_with('/'), "path is not a JSON Pointer: {:?}", e.path);
    assert!(!e.message.is_empty(), "empty message");
    assert_eq!(e.name, "SyncError");
}

/// Same input, same output, byte for byte (api.md: pure and deterministic).
pub fn check_deterministic<T: serde::Serialize>(a: &Result<T, SyncError>, b: &Result<T, SyncError>) {
    let s = |r: &Result<T, SyncError>| match r {
        Ok(v) => serde_json::to_string(v).expect("results serialise"),
        Err(e) => serde_json::to_string(e).expect("errors serialise"),
    };
    assert_eq!(s(a), s(b), "two calls with the same input differ");
}

/// Replaces `{"$result": i, "path": …}` references as a host would before encoding.
pub fn resolve_refs(v: &Value) -> Value {
    match v {
        Value::Object(m) if m.contains_key("$result") => json!("ref-resolved"),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), resolve_refs(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(resolve_refs).collect()),
        other => other.clone(),
    }
}

/// A form body that no value can have added parameters to: every `&` separates pairs, every pair
/// has exactly one `=`, and only `encodeURIComponent`'s unreserved set, `%XX`, and `+` occur.
pub fn check_form_body(body: &str, params: &Value) {
    if body.is_empty() {
        return;
    }
    for pair in body.split('&') {
        assert_eq!(pair.matches('=').count(), 1, "pair {pair:?} of {body:?} for {params}");
        let b = pair.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c == b'%' {
                assert!(i + 2 < b.len() + 0 && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit(), "bad escape in {pair:?}");
                i += 3;
                continue;
            }
            assert!(
                c.is_ascii_alphanumeric() || b"-_.!~*'()+=".contains(&c),
                "raw byte {c:#x} in {pair:?}"
            );
            i += 1;
        }
    }
}

/// Every request a plan makes can be encoded, and its shape is sane.
pub fn check_plan(plan: &Value, options: &Value) {
    let reqs = plan["chargebee"]["requests"].as_array().expect("requests is an array");
    let mut keys = Vec::new();
    for r in reqs {
        assert!(matches!(r["method"].as_str(), Some("POST" | "GET")), "method {r}");
        assert!(r["path"].as_str().is_some_and(|p| p.starts_with('/')), "path {r}");
        let key = r["idempotencyKey"].as_str().expect("idempotencyKey");
        assert!(!key.is_empty() && key.len() <= 100, "idempotency key {key:?}");
        keys.push(key.to_string());
        let params = resolve_refs(&r["params"]);
        match api::encode_form(&params) {
            Ok(body) => check_form_body(&body, &params),
            Err(e) => panic!("a planned request cannot be encoded: {e} — {r}"),
        }
    }
    let mut dedup = keys.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), keys.len(), "two requests of one plan share an idempotency key");
    let action = plan["chargebee"]["action"].as_str().unwrap();
    if action == "none" || action == "manual" {
        assert!(reqs.is_empty(), "action {action} with requests");
    }
    let ro = |side: &str| options["readOnly"].as_array().is_some_and(|a| a.iter().any(|s| s == side));
    if ro("chargebee") {
        assert!(reqs.is_empty() && matches!(action, "none"), "readOnly chargebee, but {}", plan["chargebee"]);
    }
    if ro("customerp") {
        assert_eq!(plan["customerp"]["action"], "none", "readOnly customerp, but {}", plan["customerp"]);
    }
}
