//! The functions of the JS API (`api.md`), on `serde_json` values. The Wasm binding only
//! converts at the boundary and calls these.

use crate::engine::matching::{self, MatchResult, Matcher};
use crate::engine::path::set_path;
use crate::engine::plan::{self, Plan, UndoPlan};
use crate::engine::record::{read_chargebee, read_customerp};
use crate::engine::plan::set_each;
use crate::engine::table::{Dir, Kind};
use crate::engine::{Ctx, Flow, Links};
use crate::error::{ErrorCode, Result, SyncError};
use crate::flows;
use crate::options::{Options, Side};
use serde::Serialize;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Serialize)]
pub struct FlowInfo {
    pub id: &'static str,
    pub customerp: &'static str,
    pub chargebee: &'static str,
    pub properties: Vec<PropertyInfo>,
    #[serde(rename = "mergeCriteria")]
    pub merge_criteria: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PropertyInfo {
    pub customerp: String,
    pub chargebee: &'static str,
    #[serde(rename = "chargebeeType")]
    pub chargebee_type: &'static str,
    pub direction: &'static str,
    /// True for a row the `mappings` option adds.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub mapped: bool,
}

pub fn flow_info(f: &dyn Flow) -> FlowInfo {
    FlowInfo {
        id: f.id().as_str(),
        customerp: f.doc().customerp_type,
        chargebee: f.doc().chargebee_resource,
        properties: f
            .props()
            .iter()
            .map(|p| PropertyInfo {
                customerp: p.cp_label(),
                chargebee: p.cb,
                chargebee_type: p.cb_type,
                direction: p.dir.as_str(),
                mapped: p.mapped,
            })
            .collect(),
        merge_criteria: f.criteria().iter().map(|c| c.by).collect(),
    }
}

/// The flows' tables; with `options.mappings`, each flow's table with its mapped rows.
pub fn flows(options: Option<&Value>) -> Result<Vec<FlowInfo>> {
    Ok(crate::mappings::all_with(options)?.into_iter().map(flow_info).collect())
}

fn setup(flow: &str, options: Option<&Value>) -> Result<(&'static dyn Flow, Options)> {
    let f = flows::get(flow)?;
    let f = crate::mappings::flow_with(f, options).map_err(|e| e.in_flow(f.id().as_str()))?;
    let mut o = Options::parse(options, &f.property_names()).map_err(|e| e.in_flow(f.id().as_str()))?;
    o.rows = Some((f.id(), f.props()));
    Ok((f, o))
}

/// The Chargebee resource a Customerp record maps to.
pub fn to_chargebee(flow: &str, customerp: &Value, options: Option<&Value>) -> Result<Value> {
    let (f, o) = setup(flow, options)?;
    let links = Links::default();
    let mut ctx = Ctx::new(&o, &links);
    let rec = read_customerp(f, customerp, "/customerp", &mut ctx).map_err(|e| e.in_flow(flow))?;
    let mut out = Map::new();
    out.insert("id".into(), json!(f.chargebee_id(&rec.id, &rec.raw, &ctx).map_err(|e| e.in_flow(flow).for_record(Some(&rec.id)))?));
    for (p, v) in f.props().iter().zip(&rec.values) {
        if p.dir.writes_chargebee() && !v.is_null() {
            if let Some(w) = p.write_chargebee(v, &ctx) {
                match p.kind {
                    Kind::Each(_) => set_each(&mut out, p.cb, &w),
                    _ => set_path(&mut out, p.cb, w),
                }
            }
        }
    }
    f.resource_from_view(&mut out, &ctx);
    Ok(Value::Object(out))
}

/// The Customerp record a Chargebee resource maps to.
pub fn to_customerp(flow: &str, chargebee: &Value, options: Option<&Value>) -> Result<Value> {
    let (f, o) = setup(flow, options)?;
    let links = Links::default();
    let mut ctx = Ctx::new(&o, &links);
    let rec = read_chargebee(f, chargebee, "/chargebee", &mut ctx).map_err(|e| e.in_flow(flow))?;
    let mut out = Map::new();
    for (p, v) in f.props().iter().zip(&rec.values) {
        if matches!(p.dir, Dir::Both | Dir::ToCustomerp) && !v.is_null() {
            let value = p.write_customerp(v, &ctx);
            match p.kind {
                Kind::Each(_) => set_each(&mut out, p.cp_field(), &value),
                _ => set_path(&mut out, p.cp_field(), value),
            }
        }
    }
    Ok(Value::Object(out))
}

pub fn match_records(flow: &str, customerp: &Value, chargebee: &Value, options: Option<&Value>) -> Result<MatchResult> {
    let (f, _) = setup(flow, options)?;
    matching::match_records(f, customerp, chargebee)
}

/// Matching fed one record at a time (the Wasm binding's path: a million JS records never become
/// one JSON text and a million values at once).
pub fn matcher(flow: &str, options: Option<&Value>) -> Result<Matcher<'static>> {
    let (f, _) = setup(flow, options)?;
    Ok(Matcher::new(f))
}

/// The JS `Matcher`: unlinked records given page by page, either side, in any order, then matched
/// once. Only ids and keys are kept, so a host never holds a site's records at once. A record that
/// cannot be added gives the error `match` would throw for it, at its index across all pages, and
/// takes no part; the page's other records are added.
pub struct MatchStream {
    flow: &'static str,
    matcher: Option<Matcher<'static>>,
    /// Records given so far per side (Customerp, Chargebee): the index the next one gets.
    given: [usize; 2],
}

impl MatchStream {
    pub fn new(flow: &str, options: Option<&Value>) -> Result<Self> {
        let (f, _) = setup(flow, options)?;
        Ok(MatchStream { flow: f.id().as_str(), matcher: Some(Matcher::new(f)), given: [0, 0] })
    }

    pub fn flow(&self) -> &'static str {
        self.flow
    }

    /// The index the side's next record gets (its place in the side's list across all pages).
    pub fn next_index(&self, side: Side) -> usize {
        self.given[side as usize]
    }

    /// Adds a page of records, each as read (or the error reading it gave); returns the errors of the
    /// records it could not add. `Err` only after `finish`.
    pub fn add<T: std::borrow::Borrow<Value>>(&mut self, side: Side, records: impl IntoIterator<Item = Result<T>>) -> Result<Vec<SyncError>> {
        let flow = self.flow;
        let m = self.matcher.as_mut().ok_or_else(|| finished(flow))?;
        let mut errors = Vec::new();
        for rec in records {
            let i = self.given[side as usize];
            self.given[side as usize] += 1;
            let customerp = side == Side::Customerp;
            let added = match rec {
                Ok(v) if customerp => m.customerp(i, v.borrow()),
                Ok(v) => m.chargebee(i, v.borrow()),
                Err(e) => {
                    m.refused(customerp, i);
                    Err(e.in_flow(flow))
                }
            };
            errors.extend(added.err());
        }
        Ok(errors)
    }

    /// `Err` once `finish` was called: then nothing more can be added.
    pub fn open(&self) -> Result<()> {
        self.matcher.as_ref().map(|_| ()).ok_or_else(|| finished(self.flow))
    }

    /// [`MatchStream::add`] of a JSON list, as `match` takes each side.
    pub fn add_list(&mut self, side: Side, records: &Value) -> Result<Vec<SyncError>> {
        let root = if side == Side::Customerp { "/customerp" } else { "/chargebee" };
        self.open()?;
        let list = records.as_array().ok_or_else(|| SyncError::invalid_type(root, "an array of records").in_flow(self.flow))?;
        self.add(side, list.iter().map(Ok))
    }

    /// The links and ambiguities of every record added, as `match` gives them for the same lists.
    pub fn finish(&mut self) -> Result<MatchResult> {
        self.matcher.take().map(Matcher::finish).ok_or_else(|| finished(self.flow))
    }
}

/// Misuse of a `Matcher`: it matches once.
fn finished(flow: &str) -> SyncError {
    SyncError::new(
        ErrorCode::InvalidType,
        "",
        "Matcher: finish() was called already; a Matcher matches once (make a new one for the next match)",
    )
    .in_flow(flow)
}

pub fn plan(flow: &str, input: &Value, options: Option<&Value>) -> Result<Plan> {
    let (f, o) = setup(flow, options)?;
    plan::plan(f, input, &o)
}

/// Plans the undo of a run's writes on one pair: properties put back, or a created record released.
pub fn plan_undo(flow: &str, input: &Value, undo: &Value, options: Option<&Value>) -> Result<UndoPlan> {
    let (f, o) = setup(flow, options)?;
    plan::plan_undo(f, input, undo, &o)
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum BatchResult {
    Ok { ok: True, plan: Box<Plan> },
    Err { ok: False, error: SyncError },
}

/// `true` / `false` literals for the `ok` discriminant.
#[derive(Debug, Clone, Copy)]
pub struct True;
#[derive(Debug, Clone, Copy)]
pub struct False;
impl Serialize for True {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_bool(true)
    }
}
impl Serialize for False {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_bool(false)
    }
}

impl BatchResult {
    pub fn from_result(r: Result<Plan>) -> Self {
        match r {
            Ok(plan) => BatchResult::Ok { ok: True, plan: Box::new(plan) },
            Err(error) => BatchResult::Err { ok: False, error },
        }
    }
}

/// Plans many pairs. A bad record (or one that could not even be read from JS) fills its own
/// slot with an error; the others are planned. Options are checked once: bad options throw.
pub fn plan_batch(flow: &str, inputs: Vec<Result<Value>>, options: Option<&Value>) -> Result<Vec<BatchResult>> {
    let (f, o) = setup(flow, options)?;
    Ok(inputs
        .into_iter()
        .map(|input| BatchResult::from_result(input.and_then(|v| plan::plan(f, &v, &o)).map_err(|e| e.in_flow(flow))))
        .collect())
}

pub fn encode_form(params: &Value) -> Result<String> {
    crate::form::encode_form(params)
}

/// The dataflow document, regenerated from the flows' tables.
pub fn dataflow_document(format: Option<&str>, options: Option<&Value>) -> Result<String> {
    let format = crate::document::Format::parse(format)?;
    Ok(crate::document::document(format, &crate::mappings::all_with(options)?))
}
