//! The one error type of the core. It crosses the Wasm boundary as a JS `Error` named `SyncError`.

use serde::Serialize;
use std::fmt;

/// Error codes of `api.md`. Stable strings: hosts branch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    UnknownFlow,
    InvalidOptions,
    InvalidType,
    MissingField,
    InvalidValue,
    TooLong,
    Unsupported,
    InvalidBase,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::UnknownFlow => "unknown_flow",
            ErrorCode::InvalidOptions => "invalid_options",
            ErrorCode::InvalidType => "invalid_type",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::InvalidValue => "invalid_value",
            ErrorCode::TooLong => "too_long",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::InvalidBase => "invalid_base",
        }
    }
}

/// A typed error naming the flow, the record and the field (a JSON Pointer into the input).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncError {
    pub name: &'static str,
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    pub path: String,
}

pub type Result<T, E = SyncError> = std::result::Result<T, E>;

impl SyncError {
    pub fn new(code: ErrorCode, path: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        // Messages start with the path they are about; the whole argument has the empty path, and
        // "the input" says it better than a bare ": ".
        let message = match message.strip_prefix(": ") {
            Some(rest) => format!("the input: {rest}"),
            None => message,
        };
        SyncError {
            name: "SyncError",
            code,
            message,
            flow: None,
            record_id: None,
            path: path.into(),
        }
    }

    pub fn invalid_type(path: &str, expected: &str) -> Self {
        Self::new(ErrorCode::InvalidType, path, format!("{path}: expected {expected}"))
    }

    pub fn missing(path: &str) -> Self {
        Self::new(ErrorCode::MissingField, path, format!("{path}: required field is missing"))
    }

    pub fn invalid_value(path: &str, why: impl fmt::Display) -> Self {
        Self::new(ErrorCode::InvalidValue, path, format!("{path}: {why}"))
    }

    /// Adds the flow unless an inner layer already named one.
    pub fn in_flow(mut self, flow: &str) -> Self {
        if self.flow.is_none() {
            self.flow = Some(flow.to_string());
        }
        self
    }

    /// Adds the record id unless an inner layer already named one.
    pub fn for_record(mut self, id: Option<&str>) -> Self {
        if self.record_id.is_none() {
            self.record_id = id.map(str::to_string);
        }
        self
    }
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code.as_str())
    }
}

impl std::error::Error for SyncError {}

/// Builds JSON Pointers (RFC 6901) for error paths.
pub fn pointer(base: &str, segment: &str) -> String {
    let mut out = String::with_capacity(base.len() + 1 + segment.len());
    out.push_str(base);
    push_segment(&mut out, segment);
    out
}

/// Runs `read` with an empty path and, only if it fails, again with the path `at` builds: reading is
/// pure, so the second run fails the same way, and the JSON Pointer of every value of every record
/// is built only for the error that needs it.
pub fn read_at<T>(at: impl FnOnce() -> String, mut read: impl FnMut(&str) -> Result<T>) -> Result<T> {
    read("").or_else(|_| read(&at()))
}

/// `address.city` under `/customerp` → `/customerp/address/city`.
pub fn pointer_for_dotted(base: &str, dotted: &str) -> String {
    // One allocation: paths are built for every property read, not only for errors.
    let mut out = String::with_capacity(base.len() + 1 + dotted.len());
    out.push_str(base);
    dotted.split('.').for_each(|seg| push_segment(&mut out, seg));
    out
}

/// Appends `/segment`, escaped as RFC 6901 says (`~` → `~0`, `/` → `~1`).
fn push_segment(out: &mut String, segment: &str) {
    out.push('/');
    if segment.contains(['~', '/']) {
        for c in segment.chars() {
            match c {
                '~' => out.push_str("~0"),
                '/' => out.push_str("~1"),
                c => out.push(c),
            }
        }
    } else {
        out.push_str(segment);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_tilde_and_slash() {
        assert_eq!(pointer("/customerp", "a/b~c"), "/customerp/a~1b~0c");
        assert_eq!(pointer_for_dotted("/customerp", "address.city"), "/customerp/address/city");
        assert_eq!(pointer_for_dotted("", "meta_data.cp/x"), "/meta_data/cp~1x");
        assert_eq!(pointer("", "Åse"), "/Åse");
    }
}
