//! JSON text in: a parse whose errors say where the input went wrong.

use crate::error::{pointer, SyncError};
use serde_json::Value;

/// Parses JSON text; an error names where in the input it failed, under `path`.
pub fn parse(text: &str, path: &str) -> Result<Value, SyncError> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Ok(v),
        Err(_) => {
            // Parse again, slower, only to name where it failed.
            let mut de = serde_json::Deserializer::from_str(text);
            let err = serde_path_to_error::deserialize::<_, Value>(&mut de).err();
            let (at, why) = match &err {
                Some(e) => (format!("{path}{}", pointer_of(e.path())), e.inner().to_string()),
                None => (path.to_string(), "unreadable input".to_string()),
            };
            if let (true, Some(e)) = (why.starts_with("number out of range"), &err) {
                // 1e309 or -1e400: read as ±infinity it has no JSON value, so it is refused like JS's ±Infinity.
                let (line, column) = (e.inner().line(), e.inner().column());
                return Err(not_finite(&at, &format!("a number out of range (beyond ±1.8e308, at line {line}, column {column})")));
            }
            let why = if why.contains("surrogate") || why.contains("hex escape") {
                "text is not well-formed Unicode (lone UTF-16 surrogate)".to_string()
            } else if why.contains("recursion limit") {
                "nested too deeply".to_string()
            } else {
                why
            };
            Err(SyncError::invalid_value(&at, why))
        }
    }
}

/// A number that is not finite (`what`: "NaN", "Infinity", or the number out of range), at `path`. JSON
/// has no such value; read as `null` it would silently be "absent".
pub fn not_finite(path: &str, what: &str) -> SyncError {
    SyncError::invalid_value(path, format!("{what} is not a finite number; only finite numbers are accepted"))
}

fn pointer_of(p: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    p.iter()
        .filter_map(|seg| match seg {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .fold(String::new(), |acc, s| pointer(&acc, &s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_out_of_range_and_lone_surrogates_are_refused_at_the_field() {
        for (text, at) in [
            (r#"{"customerp": {"updated": 1e309}}"#, "/customerp/updated"),
            (r#"{"chargebee": {"billing_address": {"city": -1e400}}}"#, "/chargebee/billing_address/city"),
            (r#"[{"a": 1}, {"b": [0, 1e309]}]"#, "/1/b/1"),
        ] {
            let e = parse(text, "").unwrap_err();
            assert_eq!((e.code.as_str(), e.path.as_str()), ("invalid_value", at), "{text}");
            assert!(e.message.contains("out of range") && e.message.contains("not a finite number"), "{}", e.message);
        }
        let e = parse(r#"{"chargebee": {"billing_address": {"city": "\ud800"}}}"#, "").unwrap_err();
        assert_eq!(e.path, "/chargebee/billing_address/city");
        assert!(e.message.contains("lone UTF-16 surrogate"), "{}", e.message);
        // The largest finite numbers are numbers.
        assert!(parse("[1.7976931348623157e308, -1.7976931348623157e308, 1e-400]", "").is_ok());
    }
}
