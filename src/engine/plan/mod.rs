//! The planner: from the current record on each side and the last synced state, exactly which
//! Chargebee requests and Customerp changes to make.
//!
//! Per property it runs a three-way merge against `base`: one side changed → copy it over; both
//! changed to the same canonical value → nothing; both changed differently → a conflict, settled
//! by the policy and reported with both values and the base.
//!
//! By phase: this file reads the input and picks the phase; `create` is a first sync (a record on
//! one side only), `merge` the three-way merge of a linked pair, `writes` turns merged rows into the
//! Customerp change and the Chargebee requests with their expectations, `deletes` a record gone on
//! one side. Idempotency keys are in `engine::keys`.

mod changes;
mod create;
mod deletes;
mod merge;
mod undo;
mod writes;

pub use changes::PlanChange;
pub use undo::{Skipped, UndoPlan};
use changes::Why;

use merge::align_base;

use crate::engine::base::{is_pending, pending, Base, BaseOut};
use crate::engine::keys::keyed_requests;
use crate::engine::path::{get_path, head, set_path};
use crate::engine::record::{read_chargebee, read_customerp, Record};
use crate::engine::table::{CpSource, Dir, Kind, Prop};
use crate::engine::{Ctx, Flow, FlowId, Links, RequestSpec, Warning};
use crate::error::{pointer, Result, SyncError};
use crate::options::{ConflictPolicy, DeletePolicy, Options, Side};
use serde::Serialize;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub flow: FlowId,
    pub link: Link,
    pub customerp: CustomerpAction,
    pub chargebee: ChargebeeAction,
    pub base: Option<BaseOut>,
    pub conflicts: Vec<Conflict>,
    pub warnings: Vec<Warning>,
    #[serde(rename = "waitingFor")]
    pub waiting_for: Vec<Wait>,
    /// With option `changes`: each property the plan writes, per side, before and after, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<PlanChange>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub customerp: Option<String>,
    pub chargebee: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerpAction {
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChargebeeAction {
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub requests: Vec<Request>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Request {
    pub method: &'static str,
    pub path: String,
    pub params: Map<String, Value>,
    #[serde(rename = "idempotencyKey")]
    pub idempotency_key: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub property: String,
    /// For a line property: the line, by its Customerp id and its Chargebee line id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<Value>,
    pub customerp: Value,
    pub chargebee: Value,
    pub base: Value,
    pub winner: Side,
    pub rule: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wait {
    pub flow: FlowId,
    #[serde(rename = "customerpId")]
    pub customerp_id: String,
}

impl CustomerpAction {
    fn none() -> Self {
        CustomerpAction { action: "none", id: None, changes: None, expect: None, reason: None }
    }
}

impl ChargebeeAction {
    fn none() -> Self {
        ChargebeeAction { action: "none", id: None, requests: Vec::new(), expect: None, reason: None }
    }
}

/// Plans one pair. Errors name the flow and the record.
pub fn plan(flow: &dyn Flow, input: &Value, options: &Options) -> Result<Plan> {
    plan_inner(flow, input, options, None).map(|(plan, _)| plan).map_err(|e| e.in_flow(flow.id().as_str()))
}

/// Plans the undo of a run's writes on one pair (`planUndo`). Errors name the flow and the record.
pub fn plan_undo(flow: &dyn Flow, input: &Value, undo: &Value, options: &Options) -> Result<UndoPlan> {
    plan_inner(flow, input, options, Some(undo))
        .map(|(plan, skipped)| UndoPlan { plan, skipped })
        .map_err(|e| e.in_flow(flow.id().as_str()))
}

fn plan_inner(flow: &dyn Flow, input: &Value, options: &Options, undo: Option<&Value>) -> Result<(Plan, Vec<Skipped>)> {
    let obj = input
        .as_object()
        .ok_or_else(|| SyncError::invalid_type("", "a PlanInput object {customerp, chargebee, base, links}"))?;
    // A misspelt key (`customrep`) would otherwise plan "nothing to sync" for a record that exists.
    if let Some(k) = obj.keys().find(|k| !matches!(k.as_str(), "customerp" | "chargebee" | "base" | "links")) {
        let at = pointer("", k);
        return Err(SyncError::new(
            crate::error::ErrorCode::InvalidType,
            at.clone(),
            format!("{at}: unknown PlanInput key {k:?}; a PlanInput has customerp, chargebee, base and links"),
        ));
    }
    let links = Links::parse(obj.get("links"), "/links")?;
    let mut ctx = Ctx::new(options, &links);
    let cp = match obj.get("customerp") {
        None | Some(Value::Null) => None,
        Some(v) => Some(read_customerp(flow, v, "/customerp", &mut ctx)?),
    };
    let cp_id = cp.as_ref().map(|r| r.id.clone());
    if let Some(pairs) = Base::raw_line_pairs(obj.get("base")) {
        ctx.scratch.insert(crate::engine::BASE_LINE_PAIRS.into(), Value::Array(pairs.clone()));
    }
    let cb = match obj.get("chargebee") {
        None | Some(Value::Null) => None,
        Some(v) => Some(read_chargebee(flow, v, "/chargebee", &mut ctx).map_err(|e| e.for_record(cp_id.as_deref()))?),
    };
    let base = Base::parse(flow, obj.get("base"), "/base")
        .map_err(|e| e.for_record(cp_id.as_deref().or(cb.as_ref().map(|r| r.id.as_str()))))?;
    // The state a plan is based on, as the current version writes it: returned as it is when nothing
    // changes, and hashed into the idempotency keys.
    let input_base = base.as_ref().map(|b| BaseOut::new(flow, b.clone()));
    let base = base.map(|b| align_base(flow, b, &ctx));
    let mut p = Planner::new(flow, ctx, input_base, empty_plan(flow, cp.as_ref(), cb.as_ref()));
    match undo {
        None => p.run(cp.as_ref(), cb.as_ref(), base.as_ref())?,
        Some(undo) => {
            p.undo = Some(undo.clone());
            let record = cp_id.as_deref().or(cb.as_ref().map(|r| r.id.as_str()));
            p.run_undo(cp.as_ref(), cb.as_ref(), base.as_ref(), undo).map_err(|e| e.for_record(record))?;
        }
    }
    let skipped = std::mem::take(&mut p.skipped);
    Ok((p.finish(), skipped))
}

fn empty_plan(flow: &dyn Flow, cp: Option<&Record>, cb: Option<&Record>) -> Plan {
    Plan {
        flow: flow.id(),
        link: Link { customerp: cp.map(|r| r.id.clone()), chargebee: cb.map(|r| r.id.clone()) },
        customerp: CustomerpAction::none(),
        chargebee: ChargebeeAction::none(),
        base: None,
        conflicts: Vec::new(),
        warnings: Vec::new(),
        waiting_for: Vec::new(),
        changes: None,
    }
}

struct Planner<'f, 'c> {
    flow: &'f dyn Flow,
    ctx: Ctx<'c>,
    input_base: Option<BaseOut>,
    plan: Plan,
    /// With option `changes`: why each value was written, by side, row and line; and the changes.
    whys: Vec<(changes::Written, Why)>,
    changes: Vec<PlanChange>,
    /// The base's rows whose sides differ on purpose (an undo's): `repair` leaves them alone.
    kept: Vec<bool>,
    /// An undo plan's undo input, hashed into its idempotency keys.
    undo: Option<Value>,
    /// An undo plan's properties not put back.
    skipped: Vec<Skipped>,
}

/// Stands in a line value the base has no record of (a line paired for the first time): the
/// first-sync rule applies to it. Only inside a plan: every base a plan returns is built anew.
fn unknown() -> Value {
    json!({"$unknown": true})
}

fn is_unknown(v: &Value) -> bool {
    v.get("$unknown") == Some(&Value::Bool(true))
}

fn has_lines(flow: &dyn Flow) -> bool {
    flow.props().iter().any(|p| matches!(p.kind, Kind::Each(_)))
}

/// Whether a value differs from its base; a line value the base has no record of is no edit.
fn changed_from(p: &Prop, v: &Value, base: &Value) -> bool {
    match (v, base) {
        (Value::Array(vs), Value::Array(bs)) if bs.iter().any(is_unknown) => {
            vs.len() != bs.len() || vs.iter().zip(bs).any(|(v, b)| !is_unknown(b) && !p.same(v, b))
        }
        _ => !p.same(v, base),
    }
}

fn alive<'r, 'a>(r: Option<&'r Record<'a>>) -> Option<&'r Record<'a>> {
    r.filter(|r| !r.deleted)
}

/// What a merge decided for one row, and why.
enum Outcome {
    Keep,
    CopyTo(Side, Why),
}

impl<'f, 'c> Planner<'f, 'c> {
    fn new(flow: &'f dyn Flow, ctx: Ctx<'c>, input_base: Option<BaseOut>, plan: Plan) -> Self {
        Planner { flow, ctx, input_base, plan, whys: Vec::new(), changes: Vec::new(), kept: Vec::new(), undo: None, skipped: Vec::new() }
    }

    /// The plan, with the warnings collected and, when asked for, its changes.
    fn finish(self) -> Plan {
        let Planner { ctx, mut plan, changes, .. } = self;
        if ctx.options.changes {
            plan.changes = Some(changes::folded(changes));
        }
        plan.warnings = ctx.warnings;
        plan
    }

    fn props(&self) -> &'static [Prop] {
        self.flow.props()
    }

    /// The base a plan returns: both sides' values and, for a flow with lines, the line pairs.
    fn new_base(&self, customerp: Vec<Value>, chargebee: Vec<Value>) -> BaseOut {
        let lines = has_lines(self.flow).then(|| match self.ctx.scratch.get(crate::engine::LINE_PAIRS) {
            Some(Value::Array(pairs)) => pairs.clone(),
            _ => match self.ctx.scratch.get(crate::engine::CUSTOMERP_LINE_IDS) {
                Some(Value::Array(ids)) => ids.iter().map(|id| json!({"customerp": id, "chargebee": null})).collect(),
                _ => Vec::new(),
            },
        });
        BaseOut::new(self.flow, Base { customerp, chargebee, lines, kept: Vec::new() })
    }

    /// Whether the base says this row's sides differ on purpose.
    fn is_kept(&self, p: &Prop) -> bool {
        !self.kept.is_empty() && self.props().iter().position(|q| std::ptr::eq(q, p)).is_some_and(|i| self.kept.get(i) == Some(&true))
    }

    /// [`Planner::new_base`] with rows whose sides differ on purpose (an undo's).
    fn new_base_kept(&self, customerp: Vec<Value>, chargebee: Vec<Value>, kept: Vec<bool>) -> BaseOut {
        let mut out = self.new_base(customerp, chargebee);
        out.set_kept(kept);
        out
    }

    fn opts(&self) -> &Options {
        self.ctx.options
    }

    fn manual(&self) -> bool {
        self.flow.writes_by_hand()
    }

    fn run(&mut self, cp: Option<&Record>, cb: Option<&Record>, base: Option<&Base>) -> Result<()> {
        match (alive(cp), alive(cb), base) {
            (Some(a), Some(b), _) => self.merge(a, b, base),
            (Some(a), None, None) => self.create_in_chargebee(a),
            (None, Some(b), None) => match cp {
                Some(deleted) => {
                    self.plan.link = Link { customerp: None, chargebee: Some(b.id.clone()) };
                    self.hold_both(format!("Customerp record {} is deleted and was never linked", deleted.id));
                    Ok(())
                }
                None => self.create_in_customerp(b),
            },
            (Some(a), None, Some(base)) => self.chargebee_deleted(a, cb, base),
            (None, Some(b), Some(base)) => self.customerp_deleted(cp, b, base),
            (None, None, base) => {
                self.plan.link = Link { customerp: None, chargebee: None };
                let why = if base.is_some() { "both records are gone; the link ends" } else { "nothing to sync" };
                self.hold_both(why.to_string());
                Ok(())
            }
        }
    }

    fn hold_both(&mut self, reason: String) {
        self.plan.customerp.reason = Some(reason.clone());
        self.plan.chargebee.reason = Some(reason);
    }

}


/// Sets one field of every line: `lines.sku` with `["A", "B"]` → `lines[0].sku = "A"`, ….
pub fn set_each(target: &mut Map<String, Value>, dotted: &str, values: &Value) {
    let (array, field) = dotted.split_once('.').unwrap_or((dotted, ""));
    let Some(values) = values.as_array() else { return };
    let slot = target.entry(array.to_string()).or_insert_with(|| json!([]));
    if !slot.is_array() {
        *slot = json!([]);
    }
    if let Value::Array(lines) = slot {
        while lines.len() < values.len() {
            lines.push(json!({}));
        }
        for (line, v) in lines.iter_mut().zip(values) {
            if let (Value::Object(l), false) = (line, v.is_null()) {
                l.insert(field.to_string(), v.clone());
            }
        }
    }
}

