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
