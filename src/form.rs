//! Chargebee's `application/x-www-form-urlencoded` bodies, serialised the way its official SDKs
//! do: `a[b]=` for nested objects, `a[field][i]=` for lists of objects, `a[i]=` for lists of
//! scalars, and `meta_data` / `metadata` / `exemption_details` as one JSON string. Keys and values
//! are percent-encoded like `encodeURIComponent` (a space as `+`), so no value can add or change a
//! parameter, and the body is byte for byte what the official Node SDK sends.

use crate::error::{pointer, Result, SyncError};
use serde_json::{Map, Value};

/// Top-level keys Chargebee takes as a single JSON-encoded field.
const JSON_KEYS: [&str; 3] = ["meta_data", "metadata", "exemption_details"];

pub fn encode_form(params: &Value) -> Result<String> {
    let map = params
        .as_object()
        .ok_or_else(|| SyncError::invalid_type("", "an object of Chargebee parameters"))?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (key, value) in map {
        let path = pointer("", key);
        if JSON_KEYS.contains(&key.as_str()) {
            // As the SDK: null is sent empty, a string as it is, anything else as JSON text.
            reject_references(value, &path)?;
            let text = match value {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            pairs.push((key.clone(), text));
        } else {
            flatten(key.clone(), value, &path, &mut pairs)?;
        }
    }
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        percent_encode(k, &mut out);
        out.push('=');
        percent_encode(v, &mut out);
    }
    Ok(out)
}

fn flatten(key: String, value: &Value, path: &str, out: &mut Vec<(String, String)>) -> Result<()> {
    match value {
        Value::Null => {} // absent, as the SDK drops undefined/null
        Value::Bool(b) => out.push((key, b.to_string())),
        Value::Number(n) => out.push((key, n.to_string())),
        Value::String(s) => out.push((key, s.clone())),
        Value::Object(map) => {
            reject_reference(map, path)?;
            for (k, v) in map {
                flatten(format!("{key}[{k}]"), v, &pointer(path, k), out)?;
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let item_path = pointer(path, &i.to_string());
                match item {
                    Value::Object(fields) => {
                        reject_reference(fields, &item_path)?;
                        for (field, v) in fields {
                            if v.is_object() || v.is_array() {
                                return Err(SyncError::invalid_type(
                                    &pointer(&item_path, field),
                                    "a scalar (Chargebee lists of objects are one level deep)",
                                ));
                            }
                            flatten(format!("{key}[{field}][{i}]"), v, &pointer(&item_path, field), out)?;
                        }
                    }
                    Value::Array(_) => {
                        return Err(SyncError::invalid_type(&item_path, "a scalar or an object, not a nested list"))
                    }
                    scalar => flatten(format!("{key}[{i}]"), scalar, &item_path, out)?,
                }
            }
        }
    }
    Ok(())
}

fn reject_reference(map: &Map<String, Value>, path: &str) -> Result<()> {
    if map.contains_key("$result") {
        return Err(SyncError::invalid_value(
            path,
            "unresolved {\"$result\": …} reference: replace it with the value from that request's response first",
        ));
    }
    Ok(())
}

fn reject_references(v: &Value, path: &str) -> Result<()> {
    match v {
        Value::Object(m) => {
            reject_reference(m, path)?;
            m.iter().try_for_each(|(k, v)| reject_references(v, &pointer(path, k)))
        }
        Value::Array(a) => a.iter().enumerate().try_for_each(|(i, v)| reject_references(v, &pointer(path, &i.to_string()))),
        _ => Ok(()),
    }
}

/// Percent-encodes everything but `encodeURIComponent`'s unreserved set, and writes a space as
/// `+`, as Chargebee's Node SDK does.
fn percent_encode(s: &str, out: &mut String) {
    percent_encode_as(s, out, true)
}

/// One segment of a request path, percent-encoded like `encodeURIComponent` (a space as `%20`): an
/// id can then never add a segment, a query or a fragment to the path it is put in.
pub fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    percent_encode_as(s, &mut out, false);
    out
}

fn percent_encode_as(s: &str, out: &mut String, space_as_plus: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if b == b' ' && space_as_plus {
            out.push('+');
            continue;
        }
        let unreserved = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')');
        if unreserved {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_segments_are_percent_encoded_so_an_id_stays_one_segment() {
        assert_eq!(path_segment("SKU-Ø40"), "SKU-%C3%9840");
        assert_eq!(path_segment("a b+c&d"), "a%20b%2Bc%26d");
        let spec = crate::engine::RequestSpec::post("/items/Widget Ø40/delete".into(), serde_json::Map::new());
        assert_eq!(spec.path, "/items/Widget%20%C3%9840/delete");
        assert_eq!(crate::engine::RequestSpec::post("/customers/cp-contact-17".into(), serde_json::Map::new()).path, "/customers/cp-contact-17");
    }

    fn decode(body: &str) -> Vec<(String, String)> {
        fn un(s: &str) -> String {
            let b = s.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' {
                    out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                    i += 3;
                } else {
                    out.push(if b[i] == b'+' { b' ' } else { b[i] });
                    i += 1;
                }
            }
            String::from_utf8(out).unwrap()
        }
        body.split('&').map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (un(k), un(v))
        }).collect()
    }

    #[test]
    fn bracket_rules_of_the_sdk() {
        let body = encode_form(&json!({
            "id": "cp-contact-17",
            "billing_address": {"city": "Tromsø", "country": "NO"},
            "item_prices": [{"item_price_id": "a-USD", "quantity": 2}, {"item_price_id": "b-USD", "quantity": 1}],
            "applicable_items": ["x", "y"],
            "meta_data": {"customerp": {"type": "contact", "id": "17"}},
            "auto_collection": null,
            "is_shippable": true
        })).unwrap();
        assert_eq!(decode(&body), vec![
            ("id".into(), "cp-contact-17".into()),
            ("billing_address[city]".into(), "Tromsø".into()),
            ("billing_address[country]".into(), "NO".into()),
            ("item_prices[item_price_id][0]".into(), "a-USD".into()),
            ("item_prices[quantity][0]".into(), "2".into()),
            ("item_prices[item_price_id][1]".into(), "b-USD".into()),
            ("item_prices[quantity][1]".into(), "1".into()),
            ("applicable_items[0]".into(), "x".into()),
            ("applicable_items[1]".into(), "y".into()),
            ("meta_data".into(), r#"{"customerp":{"type":"contact","id":"17"}}"#.into()),
            ("is_shippable".into(), "true".into()),
        ]);
    }

    #[test]
    fn injection_cannot_add_parameters() {
        let evil = "a&b=c[d]=%20\n😀 ø";
        let body = encode_form(&json!({"first_name": evil, "x]&y": "1"})).unwrap();
        assert_eq!(body.matches('&').count(), 1);
        let d = decode(&body);
        assert_eq!(d[0], ("first_name".into(), evil.into()));
        assert_eq!(d[1], ("x]&y".into(), "1".into()));
    }

    #[test]
    fn unresolved_references_are_refused() {
        let e = encode_form(&json!({"invoice_id": {"$result": 0, "path": "invoice.id"}})).unwrap_err();
        assert_eq!(e.path, "/invoice_id");
        assert!(encode_form(&json!([1])).is_err());
        assert!(encode_form(&json!({"a": [[1]]})).is_err());
    }
}
