//! Dotted paths (`address.city`) into JSON records.

use crate::error::{pointer_for_dotted, Result, SyncError};
use serde_json::{Map, Value};

/// The value at a dotted path; `None` when any part is absent or null. A part that is present
/// but not an object is a typed error naming that part.
pub fn get_path<'a>(rec: &'a Value, dotted: &str, root: &str) -> Result<Option<&'a Value>> {
    let mut cur = rec;
    // Where `cur` sits: the byte length of `dotted`'s prefix that leads to it (the error path is
    // built only for an error; this runs for every property of every record).
    let mut depth = None;
    for seg in dotted.split('.') {
        match cur {
            Value::Object(m) => match m.get(seg) {
                None | Some(Value::Null) => return Ok(None),
                Some(v) => cur = v,
            },
            _ => {
                let at = match depth {
                    None => root.to_string(),
                    Some(len) => pointer_for_dotted(root, &dotted[..len]),
                };
                return Err(SyncError::invalid_type(&at, "an object"));
            }
        }
        depth = Some(depth.map_or(seg.len(), |len| len + 1 + seg.len()));
    }
    Ok(Some(cur))
}

/// Sets a dotted path in an object, creating intermediate objects.
pub fn set_path(target: &mut Map<String, Value>, dotted: &str, value: Value) {
    match dotted.split_once('.') {
        None => {
            target.insert(dotted.to_string(), value);
        }
        Some((head, rest)) => {
            let slot = target.entry(head.to_string()).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(inner) = slot {
                set_path(inner, rest, value);
            }
        }
    }
}

/// The top-level field of a dotted path (`address.city` → `address`).
pub fn head(dotted: &str) -> &str {
    dotted.split('.').next().unwrap_or(dotted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn get_and_set() {
        let rec = json!({"address": {"city": "Bergen"}, "name": "x"});
        assert_eq!(get_path(&rec, "address.city", "/customerp").unwrap(), Some(&json!("Bergen")));
        assert_eq!(get_path(&rec, "address.zip", "/customerp").unwrap(), None);
        let e = get_path(&rec, "name.first", "/customerp").unwrap_err();
        assert_eq!(e.path, "/customerp/name");
        let bad = json!({"address": "Storgata 1"});
        assert_eq!(get_path(&bad, "address.city", "/customerp").unwrap_err().path, "/customerp/address");
        let mut m = Map::new();
        set_path(&mut m, "billing_address.city", json!("Bergen"));
        set_path(&mut m, "billing_address.zip", json!("5003"));
        assert_eq!(Value::Object(m), json!({"billing_address": {"city": "Bergen", "zip": "5003"}}));
    }
}
