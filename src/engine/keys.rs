//! Idempotency keys: each request's key is derived from the flow, its position, the request itself
//! and the state it was planned from, so equal inputs give equal keys and an A→B→A edit never
//! replays a stale response.

use crate::engine::base::BaseOut;
use crate::engine::plan::Request;
use crate::engine::{FlowId, RequestSpec};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Feeds the hasher JSON text with object keys sorted at every level: the same state always hashes
/// the same, whatever key order a store gave it back in. Written straight into the hasher, never
/// built as a string.
pub(crate) fn hash_sorted_json(v: &Value, h: &mut HashWriter) {
    match v {
        Value::Object(m) => hash_sorted_object(m.iter().map(|(k, v)| (k.as_str(), v)), h),
        Value::Array(a) => hash_sorted_array(a, h),
        other => h.json(other),
    }
}

/// An object's entries (its keys unique), sorted by key.
pub(crate) fn hash_sorted_object<'k, 'v>(entries: impl Iterator<Item = (&'k str, &'v Value)>, h: &mut HashWriter) {
    let mut entries: Vec<_> = entries.collect();
    entries.sort_unstable_by_key(|(k, _)| *k);
    h.raw(b"{");
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            h.raw(b",");
        }
        h.json(k);
        h.raw(b":");
        hash_sorted_json(v, h);
    }
    h.raw(b"}");
}

pub(crate) fn hash_sorted_array(a: &[Value], h: &mut HashWriter) {
    h.raw(b"[");
    for (i, x) in a.iter().enumerate() {
        if i > 0 {
            h.raw(b",");
        }
        hash_sorted_json(x, h);
    }
    h.raw(b"]");
}

/// A SHA-256 that JSON is written into as text.
pub(crate) struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl HashWriter {
    pub(crate) fn raw(&mut self, bytes: impl AsRef<[u8]>) {
        self.0.update(bytes);
    }

    pub(crate) fn json<T: serde::Serialize + ?Sized>(&mut self, v: &T) {
        // Writing into a hasher cannot fail, and serialising a JSON value never does.
        let _ = serde_json::to_writer(&mut *self, v);
    }
}

/// Gives each request its idempotency key. `undo`, for an undo plan, is hashed in too: an undo's
/// request never shares a key with a plan's, even where it sends the same params from the same state.
pub fn keyed_requests(flow: FlowId, specs: Vec<RequestSpec>, expect: &Value, base: Option<&BaseOut>, undo: Option<&Value>) -> Vec<Request> {
    specs
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let mut h = HashWriter(Sha256::new());
            for part in [flow.as_str(), &i.to_string(), s.method, &s.path] {
                h.raw(part.as_bytes());
                h.raw([0]);
            }
            h.json(&s.params);
            h.raw([0]);
            hash_sorted_json(expect, &mut h);
            h.raw([0]);
            match base {
                Some(b) => b.hash_sorted(&mut h),
                None => h.json(&Value::Null),
            }
            if let Some(undo) = undo {
                h.raw(b"\0undo\0");
                hash_sorted_json(undo, &mut h);
            }
            let digest = h.0.finalize();
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let mut key = String::with_capacity(5 + 32);
            key.push_str("cpcb-");
            for b in digest.iter().take(16) {
                key.push(HEX[(b >> 4) as usize] as char);
                key.push(HEX[(b & 15) as usize] as char);
            }
            Request { method: s.method, path: s.path, params: s.params, idempotency_key: key }
        })
        .collect()
}
