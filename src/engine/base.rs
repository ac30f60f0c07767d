//! The last synced state of a pair: what each side held, per property, in canonical form.
//! Versioned and tagged with its flow, so a base from another flow or a newer version of the
//! plugin is refused instead of being misread.
//!
//! Version 2 adds `lines`: for a flow with lines, the pairs of lines (Customerp line id, Chargebee
//! line id) the per-line values belong to, so a line keeps its partner and its own base when a sku
//! changes on either side. A version 1 base (no pairs) is still read: its line values are taken by
//! position, as version 1 wrote them.
//!
//! Version 3 writes a value once where both sides agree, which is almost everywhere: `customerp`
//! holds Customerp's non-null values (an absent row is null), `chargebee` only the rows where
//! Chargebee's value differs from Customerp's (an absent row is Customerp's value). Versions 1
//! and 2 list every row on both sides, so reading them by the same rules gives what they wrote.
//!
//! `kept` (optional, any version) lists the rows, by Chargebee attribute, whose two sides an undo left
//! apart on purpose: `repair` leaves such a difference alone until either side changes. A base
//! without it is read as before, and only an undo's base (and the plans after it) write it.

use crate::engine::keys::{hash_sorted_array, hash_sorted_object, HashWriter};
use crate::engine::table::Prop;
use crate::engine::{Flow, FlowId};
use crate::error::{ErrorCode, Result, SyncError};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Map, Value};

pub const BASE_VERSION: u64 = 3;
/// The oldest base this version still reads.
pub const OLDEST_BASE_VERSION: u64 = 1;

#[derive(Debug, Clone, PartialEq)]
pub struct Base {
    /// Per table row: the value Customerp held after the last sync.
    pub customerp: Vec<Value>,
    /// Per table row: the value Chargebee held after the last sync.
    pub chargebee: Vec<Value>,
    /// For a flow with lines: the line pairs the per-line values are listed in, each
    /// `{"customerp": line id | null, "chargebee": line id | null}`; `None` in a version 1 base.
    pub lines: Option<Vec<Value>>,
    /// Per table row: its sides differ on purpose (an undo put one side back). Empty: none.
    pub kept: Vec<bool>,
}

fn invalid(path: &str, why: impl std::fmt::Display) -> SyncError {
    SyncError::new(ErrorCode::InvalidBase, path, format!("{path}: {why}"))
}

/// Stands in the Chargebee side of a row that a create could not set: whatever Chargebee filled
/// in is a default, not an edit, so Customerp's value is written by the next plan.
pub fn pending() -> Value {
    json!({"$pending": true})
}

pub fn is_pending(v: &Value) -> bool {
    v.get("$pending") == Some(&Value::Bool(true))
}

impl Base {
    pub fn parse(flow: &dyn Flow, v: Option<&Value>, root: &str) -> Result<Option<Base>> {
        let m = match v {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(invalid(root, "a base is the object a previous plan returned")),
        };
        let version = match m.get("version").and_then(Value::as_u64) {
            Some(v) if (OLDEST_BASE_VERSION..=BASE_VERSION).contains(&v) => v,
            Some(v) if v > BASE_VERSION => {
                return Err(invalid(root, format!("base version {v} is newer than this plugin understands ({BASE_VERSION})")))
            }
            _ => return Err(invalid(root, "not a base this plugin produced (no known version)")),
        };
        match m.get("flow").and_then(Value::as_str) {
            Some(f) if f == flow.id().as_str() => {}
            Some(f) => return Err(invalid(root, format!("base of flow {f:?} given to flow {:?}", flow.id().as_str()))),
            None => return Err(invalid(root, "base names no flow")),
        }
        let side = |key: &str| -> Result<&Map<String, Value>> {
            m.get(key).and_then(Value::as_object).ok_or_else(|| invalid(root, format!("base has no {key} state")))
        };
        let (cp_side, cb_side) = (side("customerp")?, side("chargebee")?);
        let customerp: Vec<Value> = flow.props().iter().map(|p| cp_side.get(p.cb).cloned().unwrap_or(Value::Null)).collect();
        let chargebee = flow
            .props()
            .iter()
            .zip(&customerp)
            .map(|(p, cp)| match cb_side.get(p.cb) {
                Some(v) => v.clone(),
                // Before version 3 an absent row was null; since, it is the value both sides agreed on.
                None if version < 3 => Value::Null,
                None => cp.clone(),
            })
            .collect();
        let lines = match m.get("lines") {
            None | Some(Value::Null) => None,
            Some(Value::Array(pairs)) if pairs.iter().all(Value::is_object) => Some(pairs.clone()),
            Some(_) => return Err(invalid(root, "base lines are a list of line pairs")),
        };
        let kept = match m.get("kept") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(rows)) if rows.iter().all(Value::is_string) => {
                // A row no longer in the table (a mapping removed) is forgotten.
                flow.props().iter().map(|p| rows.iter().any(|r| r == p.cb)).collect()
            }
            Some(_) => return Err(invalid(root, "base kept is a list of Chargebee attributes")),
        };
        Ok(Some(Base { customerp, chargebee, lines, kept }))
    }

    /// Whether row `i`'s sides differ on purpose (see `kept` above).
    pub fn is_kept(&self, i: usize) -> bool {
        self.kept.get(i).copied().unwrap_or(false)
    }

    /// The line pairs of a base as given in a plan input, read leniently: they only steer which
    /// Chargebee line a Customerp line is paired with; the full check is `parse`.
    pub fn raw_line_pairs(v: Option<&Value>) -> Option<&Vec<Value>> {
        v?.get("lines")?.as_array()
    }
}

/// A base as a plan returns it, written straight to JSON by `Serialize` (no map is built):
/// `customerp` lists Customerp's non-null values, `chargebee` the rows where Chargebee differs,
/// keyed by the Chargebee attribute (unique in a flow, where a Customerp field may feed two).
#[derive(Clone)]
pub struct BaseOut {
    flow: FlowId,
    props: &'static [Prop],
    base: Base,
}

impl BaseOut {
    pub fn new(flow: &dyn Flow, base: Base) -> Self {
        BaseOut { flow: flow.id(), props: flow.props(), base }
    }

    pub fn set_kept(&mut self, kept: Vec<bool>) {
        self.base.kept = kept;
    }

    fn customerp(&self) -> impl Iterator<Item = (&'static str, &Value)> + '_ {
        self.props.iter().zip(&self.base.customerp).filter(|(_, v)| !v.is_null()).map(|(p, v)| (p.cb, v))
    }

    fn chargebee(&self) -> impl Iterator<Item = (&'static str, &Value)> + '_ {
        self.props
            .iter()
            .zip(self.base.customerp.iter().zip(&self.base.chargebee))
            .filter(|(_, (cp, cb))| cp != cb)
            .map(|(p, (_, cb))| (p.cb, cb))
    }

    /// The kept rows' Chargebee attributes, in table order; `None` when there are none.
    fn kept(&self) -> Option<Vec<Value>> {
        let kept: Vec<Value> = self.props.iter().enumerate().filter(|(i, _)| self.base.is_kept(*i)).map(|(_, p)| Value::from(p.cb)).collect();
        (!kept.is_empty()).then_some(kept)
    }

    /// Feeds the hasher the same text as `hash_sorted_json` of this base's JSON, without building it:
    /// keys sorted at every level.
    pub(crate) fn hash_sorted(&self, h: &mut HashWriter) {
        h.raw(b"{\"chargebee\":");
        hash_sorted_object(self.chargebee(), h);
        h.raw(b",\"customerp\":");
        hash_sorted_object(self.customerp(), h);
        h.raw(b",\"flow\":");
        h.json(self.flow.as_str());
        if let Some(kept) = self.kept() {
            h.raw(b",\"kept\":");
            hash_sorted_array(&kept, h);
        }
        if let Some(lines) = &self.base.lines {
            h.raw(b",\"lines\":");
            hash_sorted_array(lines, h);
        }
        h.raw(b",\"version\":");
        h.json(&BASE_VERSION);
        h.raw(b"}");
    }
}

/// A side's rows as a JSON object, from the iterator `F` makes.
struct Entries<F>(F);

impl<'a, F, I> Serialize for Entries<F>
where
    F: Fn() -> I,
    I: Iterator<Item = (&'static str, &'a Value)>,
{
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_map((self.0)())
    }
}

impl Serialize for BaseOut {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("version", &BASE_VERSION)?;
        m.serialize_entry("flow", self.flow.as_str())?;
        m.serialize_entry("customerp", &Entries(|| self.customerp()))?;
        m.serialize_entry("chargebee", &Entries(|| self.chargebee()))?;
        if let Some(lines) = &self.base.lines {
            m.serialize_entry("lines", lines)?;
        }
        if let Some(kept) = self.kept() {
            m.serialize_entry("kept", &kept)?;
        }
        m.end()
    }
}

impl std::fmt::Debug for BaseOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", serde_json::to_string(self).unwrap_or_default())
    }
}
