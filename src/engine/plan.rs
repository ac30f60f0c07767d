//! The planner: from the current record on each side and the last synced state, exactly which
//! Chargebee requests and Customerp changes to make.
//!
//! Per property it runs a three-way merge against `base`: one side changed → copy it over; both
//! changed to the same canonical value → nothing; both changed differently → a conflict, settled
//! by the policy and reported with both values and the base.

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
    plan_inner(flow, input, options).map_err(|e| e.in_flow(flow.id().as_str()))
}

fn plan_inner(flow: &dyn Flow, input: &Value, options: &Options) -> Result<Plan> {
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
    let mut p = Planner { flow, ctx, input_base, plan: empty_plan(flow, cp.as_ref(), cb.as_ref()) };
    p.run(cp.as_ref(), cb.as_ref(), base.as_ref())?;
    let Planner { ctx, mut plan, .. } = p;
    plan.warnings = ctx.warnings;
    Ok(plan)
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
    }
}

struct Planner<'f, 'c> {
    flow: &'f dyn Flow,
    ctx: Ctx<'c>,
    input_base: Option<BaseOut>,
    plan: Plan,
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

/// The base's line values in this plan's line order: each aligned line takes the values of the pair
/// the base lists with its Customerp or Chargebee line id; a version 1 base (no pairs) by position.
fn align_base(flow: &dyn Flow, mut base: Base, ctx: &Ctx) -> Base {
    let Some(Value::Array(pairs)) = ctx.scratch.get(crate::engine::LINE_PAIRS) else { return base };
    if !has_lines(flow) {
        return base;
    }
    // Old pairs by either line id (the first that names it), so aligning stays linear in the lines.
    let index = |side: &str| -> std::collections::HashMap<String, usize> {
        let mut m = std::collections::HashMap::new();
        for (k, o) in base.lines.iter().flatten().enumerate() {
            if let Some(id) = o.get(side).and_then(Value::as_str) {
                m.entry(id.to_string()).or_insert(k);
            }
        }
        m
    };
    let (by_cp, by_cb) = (index("customerp"), index("chargebee"));
    let find = |pair: &Value, side: &str, m: &std::collections::HashMap<String, usize>| pair.get(side).and_then(Value::as_str).and_then(|id| m.get(id)).copied();
    let from: Vec<Option<usize>> = pairs
        .iter()
        .enumerate()
        .map(|(k, pair)| match &base.lines {
            None => Some(k),
            Some(_) => find(pair, "customerp", &by_cp).or_else(|| find(pair, "chargebee", &by_cb)),
        })
        .collect();
    for (i, p) in flow.props().iter().enumerate() {
        if !matches!(p.kind, Kind::Each(_)) {
            continue;
        }
        for side in [&mut base.customerp, &mut base.chargebee] {
            let row = &side[i];
            if is_pending(row) {
                continue;
            }
            let old = row.as_array();
            let aligned: Vec<Value> = from
                .iter()
                .map(|m| m.and_then(|m| old.and_then(|o| o.get(m))).cloned().unwrap_or_else(unknown))
                .collect();
            side[i] = if aligned.is_empty() { Value::Null } else { Value::Array(aligned) };
        }
    }
    base
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

/// What a merge decided for one row.
enum Outcome {
    Keep,
    CopyTo(Side),
}

impl<'f, 'c> Planner<'f, 'c> {
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
        BaseOut::new(self.flow, Base { customerp, chargebee, lines })
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

    // ---- creates -------------------------------------------------------------------------

    fn create_in_chargebee(&mut self, cp: &Record) -> Result<()> {
        self.plan.link.chargebee = None;
        let hold = if self.opts().is_read_only(Side::Chargebee) {
            Some("Chargebee is read-only for this flow".to_string())
        } else if let Some(why) = self.too_old(cp.created, "Customerp") {
            Some(why)
        } else {
            self.flow.hold_customerp(&cp.raw)
        };
        if let Some(why) = hold {
            self.hold_both(why);
            return Ok(());
        }
        let waits = self.flow.waiting_for(&cp.raw, &self.ctx);
        if !waits.is_empty() {
            // Parents not linked yet: nothing is written until they are.
            let names: Vec<String> = waits.iter().map(|w| format!("{} {}", w.flow.as_str(), w.customerp_id)).collect();
            self.hold_both(format!("waiting for parents to be linked: {}", names.join(", ")));
            self.plan.waiting_for = waits;
            return Ok(());
        }
        if let Some((id, why)) = self.flow.adopt(&cp.raw, &self.ctx) {
            // The adopted record's values are defaults for this one, not edits: Customerp's win.
            self.plan.base = Some(self.new_base(cp.values.clone(), self.all_pending()));
            self.plan.link = Link { customerp: Some(cp.id.clone()), chargebee: Some(id) };
            self.hold_both(why);
            return Ok(());
        }
        if self.manual() {
            let rows: Vec<usize> = (0..self.props().len()).collect();
            let instruction = self.flow.manual_instruction("create", None, &rows, &cp.values);
            self.plan.chargebee = ChargebeeAction { action: "manual", reason: Some(instruction), ..ChargebeeAction::none() };
            return Ok(());
        }
        let id = self.flow.chargebee_id(&cp.id, &cp.raw, &self.ctx).map_err(|e| e.for_record(Some(&cp.id)))?;
        let mut resource = Map::new();
        for (p, v) in self.props().iter().zip(&cp.values) {
            if p.dir.writes_chargebee() && !v.is_null() {
                if let Some(w) = p.write_chargebee(v, &self.ctx) {
                    match p.kind {
                        Kind::Each(_) => set_each(&mut resource, p.cb, &w),
                        _ => set_path(&mut resource, p.cb, w),
                    }
                }
            }
        }
        let specs = self.flow.create_requests(&id, resource, &cp.raw, &self.ctx).map_err(|e| e.for_record(Some(&cp.id)))?;
        let expect = json!({"exists": false});
        self.plan.chargebee = self.chargebee_action("create", &id, specs, expect);
        if let Some(why) = self.flow.made_by_chargebee(&self.ctx) {
            // Chargebee gives the record its own id, and sets none of the row values: the plan given
            // that record adopts it, and Customerp's values win over what Chargebee filled in.
            self.plan.chargebee.id = None;
            self.plan.chargebee.reason = Some(why);
            self.plan.link = Link { customerp: Some(cp.id.clone()), chargebee: None };
            self.plan.base = Some(self.new_base(cp.values.clone(), self.all_pending()));
            self.plan.customerp.reason = Some("new in Customerp: created in Chargebee".into());
            return Ok(());
        }
        self.plan.link = Link { customerp: Some(cp.id.clone()), chargebee: Some(id) };
        let cb_side = self
            .props()
            .iter()
            .zip(&cp.values)
            .map(|(p, v)| match p.dir {
                Dir::ToChargebeeOnCreate => Value::Null,
                Dir::ToCustomerp => Value::Null,
                _ if !self.flow.settable_on_create(p) => pending(),
                _ => v.clone(),
            })
            .collect();
        self.plan.base = Some(self.new_base(cp.values.clone(), cb_side));
        self.plan.customerp.reason = Some("new in Customerp: created in Chargebee".into());
        Ok(())
    }

    /// A Chargebee side whose every row Customerp writes is still to be written (`$pending`).
    fn all_pending(&self) -> Vec<Value> {
        self.props().iter().map(|p| if matches!(p.dir, Dir::Both | Dir::ToChargebee) { pending() } else { Value::Null }).collect()
    }

    fn new_customerp_record(&self, cb: &Record) -> Map<String, Value> {
        let mut changes = self.flow.customerp_new(&cb.raw, &self.ctx);
        for (p, v) in self.props().iter().zip(&cb.values) {
            if p.dir.writes_customerp() && !v.is_null() {
                let value = p.write_customerp(v, &self.ctx);
                match p.kind {
                    Kind::Each(_) => set_each(&mut changes, p.cp_field(), &value),
                    _ => set_path(&mut changes, p.cp_field(), value),
                }
            }
        }
        changes
    }

    fn create_in_customerp(&mut self, cb: &Record) -> Result<()> {
        self.plan.link = Link { customerp: None, chargebee: Some(cb.id.clone()) };
        let hold = if self.opts().is_read_only(Side::Customerp) {
            Some("Customerp is read-only for this flow".to_string())
        } else if let Some(why) = self.too_old(cb.created, "Chargebee") {
            Some(why)
        } else {
            self.flow.hold_chargebee(&cb.raw)
        };
        if let Some(why) = hold {
            self.hold_both(why);
            return Ok(());
        }
        self.create_in_customerp_unchecked(cb)?;
        self.plan.customerp.reason = Some("new in Chargebee: created in Customerp".into());
        Ok(())
    }

    /// The canonical values of the Customerp record a create will make, read back as any Customerp
    /// record is read, so the next plan sees exactly what was written. A Chargebee value Customerp
    /// would refuse (a malformed e-mail) is a typed error naming the Chargebee field.
    fn read_back(&self, record: &Value, cb: &Record) -> Result<Vec<Value>> {
        let mut ctx = Ctx::new(self.ctx.options, self.ctx.links);
        read_customerp(self.flow, record, "/customerp", &mut ctx).map(|r| r.values).map_err(|mut e| {
            if let Some(at) = self.chargebee_path_of(&e.path) {
                e.message = format!("{at}: Chargebee's value cannot be copied to Customerp: {}", e.message);
                e.path = at;
            }
            e.record_id = Some(cb.id.clone());
            e
        })
    }

    /// `/customerp/address/city` → `/chargebee/billing_address/city`;
    /// `/customerp/lines/0/quantity` → `/chargebee/order_line_items/0/fulfillment_quantity`.
    fn chargebee_path_of(&self, cp_path: &str) -> Option<String> {
        use crate::error::pointer_for_dotted;
        self.props().iter().find_map(|p| {
            if let Kind::Each(_) = p.kind {
                let (cp_arr, cp_field) = p.cp.split_once('.')?;
                let (cb_arr, cb_field) = p.cb.split_once('.')?;
                let rest = cp_path.strip_prefix(&format!("/customerp/{cp_arr}/"))?;
                let (i, field) = rest.split_once('/')?;
                (field == cp_field).then(|| format!("/chargebee/{cb_arr}/{i}/{cb_field}"))
            } else {
                (pointer_for_dotted("/customerp", p.cp_field()) == cp_path).then(|| pointer_for_dotted("/chargebee", p.cb))
            }
        })
    }

    fn create_in_customerp_unchecked(&mut self, cb: &Record) -> Result<()> {
        let changes = self.new_customerp_record(cb);
        let mut probe = changes.clone();
        probe.insert("id".into(), json!(cb.id)); // stands in for the id Customerp will assign
        let cp_side = self.read_back(&Value::Object(probe), cb)?;
        self.plan.link = Link { customerp: None, chargebee: Some(cb.id.clone()) };
        self.plan.customerp = CustomerpAction {
            action: "create",
            id: None,
            changes: Some(changes),
            expect: Some(json!({"exists": false})),
            reason: None,
        };
        self.plan.base = Some(self.new_base(cp_side, cb.values.clone()));
        Ok(())
    }

    fn too_old(&self, created: Option<i64>, side: &str) -> Option<String> {
        let after = self.opts().created_after?;
        match created {
            Some(c) if c >= after => None,
            Some(_) => Some(format!("created in {side} before createdAfter: matched only, never copied")),
            None => Some(format!("no creation time in {side}, and createdAfter is set: not copied")),
        }
    }

    // ---- the three-way merge -------------------------------------------------------------

    fn decide(&mut self, i: usize, cp: &Record, cb: &Record, base: Option<&Base>, made_here: bool) -> Outcome {
        let p = &self.props()[i];
        let (a, b) = (&cp.values[i], &cb.values[i]);
        let base_cp = base.map(|bs| &bs.customerp[i]);
        let base_cb = base.map(|bs| &bs.chargebee[i]);
        match p.dir {
            Dir::ToChargebeeOnCreate => {
                if base_cp.is_some_and(|bv| changed_from(p, a, bv)) {
                    self.ctx.warn(
                        "not_writable",
                        Some(p.cp),
                        format!("{} changed in Customerp, but Chargebee cannot change {} after creation: not written", p.cp, p.cb),
                    );
                }
                Outcome::Keep
            }
            Dir::ToChargebee => {
                let changed = base_cp.map_or(!a.is_null(), |bv| changed_from(p, a, bv));
                let pending = base_cb.is_some_and(is_pending);
                if (changed || pending) && !p.same(a, b) && !(a.is_null() && pending) {
                    Outcome::CopyTo(Side::Chargebee)
                } else {
                    Outcome::Keep
                }
            }
            Dir::ToCustomerp => {
                let changed = base_cb.map_or(!b.is_null(), |bv| changed_from(p, b, bv));
                if changed && !p.same(a, b) { Outcome::CopyTo(Side::Customerp) } else { Outcome::Keep }
            }
            Dir::Both => {
                let raw = get_path(&cb.raw, p.cb, "").ok().flatten();
                self.decide_both(p, a, b, base_cp, base_cb, made_here, cp, cb, None, raw)
            }
        }
    }

    /// The three-way merge of one value that travels both ways (a property, or one line's value of a
    /// line property, with `line` naming the line). `raw` is Chargebee's value as given.
    #[allow(clippy::too_many_arguments)]
    fn decide_both(
        &mut self,
        p: &Prop,
        a: &Value,
        b: &Value,
        base_cp: Option<&Value>,
        base_cb: Option<&Value>,
        made_here: bool,
        cp: &Record,
        cb: &Record,
        line: Option<&Value>,
        raw: Option<&Value>,
    ) -> Outcome {
        let pending = base_cb.is_some_and(is_pending);
        if p.same(a, b) {
            // A default a create left (an order's legacy `new`) may read as Customerp's value and still
            // not be it: then Customerp's value is written as it is.
            let written = if pending && !a.is_null() { p.write_chargebee_value(a, &self.ctx) } else { None };
            return match written {
                Some(w) if raw != Some(&w) => Outcome::CopyTo(Side::Chargebee),
                _ => Outcome::Keep,
            };
        }
        match (base_cp.filter(|v| !is_unknown(v)), base_cb.filter(|v| !is_unknown(v))) {
            // A create could not set this row: Chargebee's value is a default, not an edit.
            _ if pending => {
                if a.is_null() { Outcome::CopyTo(Side::Customerp) } else { Outcome::CopyTo(Side::Chargebee) }
            }
            (Some(bcp), Some(bcb)) => match (!p.same(a, bcp), !p.same(b, bcb)) {
                (true, false) => Outcome::CopyTo(Side::Chargebee),
                (false, true) => Outcome::CopyTo(Side::Customerp),
                (true, true) => self.settle(p, a, b, bcp, cp, cb, line),
                (false, false) if self.opts().repairs(p.cp) => self.repair(p, a, b, bcp, cp, cb, line),
                (false, false) => Outcome::Keep,
            },
            // This plugin created the Chargebee record (it has the id the plugin gives this
            // Customerp record) and its base was lost, e.g. in a crash before the host stored it:
            // rows the create could not set still hold Chargebee's defaults, not edits.
            (None, None) if made_here && !self.flow.settable_on_create(p) => {
                if a.is_null() { Outcome::CopyTo(Side::Customerp) } else { Outcome::CopyTo(Side::Chargebee) }
            }
            // First sync of a pair (or of a line): a filled value never loses to an empty one.
            _ if a.is_null() => Outcome::CopyTo(Side::Customerp),
            _ if b.is_null() => Outcome::CopyTo(Side::Chargebee),
            _ => self.settle(p, a, b, &Value::Null, cp, cb, line),
        }
    }

    /// A line property, merged line by line: each pair of lines with its own base values; a line
    /// without a partner on the other side is left alone. Returns both sides' merged values and
    /// whether each side is written.
    fn merge_lines(&mut self, i: usize, cp: &Record, cb: &Record, base: Option<&Base>, made_here: bool) -> (Value, Value, bool, bool) {
        let p = &self.props()[i];
        let (Some(a), Some(b)) = (cp.values[i].as_array(), cb.values[i].as_array()) else {
            return (cp.values[i].clone(), cb.values[i].clone(), false, false);
        };
        let (array, field) = p.cb.split_once('.').unwrap_or((p.cb, ""));
        let pairs = match self.ctx.scratch.get(crate::engine::LINE_PAIRS) {
            Some(Value::Array(pairs)) => pairs.clone(),
            _ => Vec::new(),
        };
        let pending = json!({"$pending": true});
        let element = |row: Option<&Value>, k: usize| -> Option<Value> {
            match row {
                None => None,
                Some(r) if is_pending(r) => Some(pending.clone()),
                Some(r) => Some(r.as_array().and_then(|arr| arr.get(k)).cloned().unwrap_or_else(unknown)),
            }
        };
        let (mut ma, mut mb) = (a.clone(), b.clone());
        let (mut write_cp, mut write_cb) = (false, false);
        for k in 0..a.len().min(b.len()) {
            let pair = pairs.get(k);
            if pair.is_some_and(|pr| pr["chargebee"].is_null()) {
                continue; // a Customerp line Chargebee has no partner for
            }
            let bcp = element(base.map(|bs| &bs.customerp[i]), k);
            let bcb = element(base.map(|bs| &bs.chargebee[i]), k);
            let raw = cb.raw.get(array).and_then(|l| l.get(k)).and_then(|l| l.get(field));
            match self.decide_both(p, &a[k], &b[k], bcp.as_ref(), bcb.as_ref(), made_here, cp, cb, pair, raw) {
                Outcome::CopyTo(Side::Chargebee) if a[k].is_null() && p.write_chargebee_value(&Value::Null, &self.ctx).is_none() => {
                    self.ctx.warn("not_clearable", Some(p.cp), format!("{} was emptied in Customerp, but Chargebee cannot empty {}: not written", p.cp, p.cb));
                }
                Outcome::CopyTo(Side::Chargebee) => {
                    mb[k] = a[k].clone();
                    write_cb = true;
                }
                Outcome::CopyTo(Side::Customerp) => {
                    ma[k] = b[k].clone();
                    write_cp = true;
                }
                Outcome::Keep => {}
            }
        }
        (Value::Array(ma), Value::Array(mb), write_cp, write_cb)
    }

    /// A companion row's values and base on both sides.
    fn companion_values(&self, i: usize, cp: &Record, cb: &Record, base: Option<&Base>) -> [Value; 4] {
        let base_cp = base.map(|bs| bs.customerp[i].clone()).unwrap_or(Value::Null);
        let base_cb = base.map(|bs| bs.chargebee[i].clone()).unwrap_or(Value::Null);
        [cp.values[i].clone(), cb.values[i].clone(), base_cp, base_cb]
    }

    /// Reports a companion row's edit lost with its lead (`why` completes "decided with status: …").
    fn companion_conflict(&mut self, i: usize, values: &[Value; 4], winner: Side, why: &str) {
        let p = &self.props()[i];
        let lead = self.flow.companions().map(|(lead, _)| lead).unwrap_or("status");
        let [a, b, base_cp, _] = values;
        self.plan.conflicts.push(Conflict {
            property: p.cp.to_string(),
            line: None,
            customerp: p.write_customerp(a, &self.ctx),
            chargebee: p.write_customerp(b, &self.ctx),
            base: p.write_customerp(base_cp, &self.ctx),
            winner,
            rule: format!("decided with {lead}: {why}"),
        });
    }

    /// Reports the edits of a companion row that its lead's write empties (a reopened order's
    /// cancellation reason and date), on either side.
    fn empty_with_lead(&mut self, i: usize, cp: &Record, cb: &Record, base: Option<&Base>) {
        let p = &self.props()[i];
        let values = self.companion_values(i, cp, cb, base);
        let [a, b, base_cp, base_cb] = &values;
        let edited = |v: &Value, bv: &Value| !v.is_null() && !is_pending(bv) && !p.same(v, bv);
        if edited(a, base_cp) || edited(b, base_cb) {
            self.companion_conflict(i, &values, Side::Customerp, "reopening the order empties it");
        }
    }

    /// A row decided with its leading row, which moves towards `to`: it takes the same winner. An
    /// edit of its own on the losing side is reported as lost with the lead.
    fn follow_lead(&mut self, i: usize, to: Side, cp: &Record, cb: &Record, base: Option<&Base>) -> Outcome {
        let p = &self.props()[i];
        let values = self.companion_values(i, cp, cb, base);
        let [a, b, base_cp, base_cb] = &values;
        if p.same(a, b) {
            return Outcome::Keep;
        }
        let (loser_value, loser_base, winner) = match to {
            Side::Chargebee => (b, base_cb, Side::Customerp),
            Side::Customerp => (a, base_cp, Side::Chargebee),
        };
        if !is_pending(loser_base) && !p.same(loser_value, loser_base) {
            self.companion_conflict(i, &values, winner, &format!("{} wins it", winner.as_str()));
        }
        Outcome::CopyTo(to)
    }

    #[allow(clippy::too_many_arguments)]
    fn settle(&mut self, p: &Prop, a: &Value, b: &Value, base: &Value, cp: &Record, cb: &Record, line: Option<&Value>) -> Outcome {
        match self.conflict(p, a, b, base, cp, cb, line) {
            Side::Customerp => Outcome::CopyTo(Side::Chargebee),
            Side::Chargebee => Outcome::CopyTo(Side::Customerp),
        }
    }

    /// Reports a conflict of one value (of one line, with `line`) and the side that won it.
    #[allow(clippy::too_many_arguments)]
    fn push_conflict(&mut self, p: &Prop, a: &Value, b: &Value, base: &Value, line: Option<&Value>, winner: Side, rule: String) {
        self.plan.conflicts.push(Conflict {
            property: p.cp.to_string(),
            line: line.cloned(),
            customerp: p.write_customerp_value(a, &self.ctx),
            // Both values in Customerp's form, so they compare at a glance (money as decimals, dates as dates).
            chargebee: p.write_customerp_value(b, &self.ctx),
            base: p.write_customerp_value(base, &self.ctx),
            winner,
            rule,
        });
    }

    /// Drift (`repair`): the sides differ and neither changed since the base. Settled as at a
    /// first sync — a filled value wins over an empty one, else the policy — and reported as a
    /// conflict whose rule starts with "repair".
    #[allow(clippy::too_many_arguments)]
    fn repair(&mut self, p: &Prop, a: &Value, b: &Value, base: &Value, cp: &Record, cb: &Record, line: Option<&Value>) -> Outcome {
        let filled = if a.is_null() { Some(Side::Chargebee) } else if b.is_null() { Some(Side::Customerp) } else { None };
        let winner = match filled {
            Some(side) => {
                self.push_conflict(p, a, b, base, line, side, "repair: a filled value wins over an empty one".into());
                side
            }
            None => {
                let side = self.conflict(p, a, b, base, cp, cb, line);
                if let Some(c) = self.plan.conflicts.last_mut() {
                    c.rule = format!("repair: {}", c.rule);
                }
                side
            }
        };
        match winner {
            Side::Customerp => Outcome::CopyTo(Side::Chargebee),
            Side::Chargebee => Outcome::CopyTo(Side::Customerp),
        }
    }

    fn merge(&mut self, cp: &Record, cb: &Record, base: Option<&Base>) -> Result<()> {
        if let Some(why) = self.flow.released(cp, cb) {
            self.plan.link = Link { customerp: Some(cp.id.clone()), chargebee: Some(cb.id.clone()) };
            self.plan.base = base.and(self.input_base.clone());
            self.hold_both(why);
            return Ok(());
        }
        let n = self.props().len();
        let mut merged_cp = cp.values.clone();
        let mut merged_cb = cb.values.clone();
        let mut write_cp: Vec<usize> = Vec::new();
        let mut write_cb: Vec<usize> = Vec::new();
        let cp_ro = self.opts().is_read_only(Side::Customerp);
        let cb_ro = self.opts().is_read_only(Side::Chargebee);

        let made_here = base.is_none() && self.flow.chargebee_id(&cp.id, &cp.raw, &self.ctx).is_ok_and(|id| id == cb.id);
        let index_of = |cb_attr: &str| self.props().iter().position(|p| p.cb == cb_attr);
        let (lead, companions): (Option<usize>, Vec<usize>) = match self.flow.companions() {
            Some((lead, rows)) => (index_of(lead), rows.iter().filter_map(|r| index_of(r)).collect()),
            None => (None, Vec::new()),
        };
        // Where the leading row moves, if it moves, and whether it won a conflict: then its
        // companions go the same way.
        let mut lead_to: Option<Side> = None;
        let mut lead_conflict = false;
        for i in 0..n {
            if self.props()[i].dir == Dir::Both && matches!(self.props()[i].kind, Kind::Each(_)) {
                let (mcp, mcb, to_cp, to_cb) = self.merge_lines(i, cp, cb, base, made_here);
                if to_cb && !cb_ro {
                    merged_cb[i] = mcb;
                    write_cb.push(i);
                }
                if to_cp && !cp_ro {
                    merged_cp[i] = mcp;
                    write_cp.push(i);
                }
                continue;
            }
            let conflicts_before = self.plan.conflicts.len();
            let companion = companions.contains(&i);
            if companion && lead_to == Some(Side::Chargebee) && self.flow.lead_write_empties_companions(&cb.raw) {
                // The lead's write (a reopen) empties it in Chargebee: it ends empty on both sides.
                self.empty_with_lead(i, cp, cb, base);
                merged_cb[i] = Value::Null;
                if !cp.values[i].is_null() && !cp_ro {
                    merged_cp[i] = Value::Null;
                    write_cp.push(i);
                }
                continue;
            }
            // Emptying a companion Chargebee cannot empty works only where the lead's write does it.
            let unwritable = cp.values[i].is_null()
                && self.props()[i].write_chargebee(&Value::Null, &self.ctx).is_none()
                && !self.flow.lead_write_empties_companions(&cb.raw);
            let outcome = match lead_to {
                Some(to) if companion && lead_conflict && !(to == Side::Chargebee && unwritable) => self.follow_lead(i, to, cp, cb, base),
                _ => self.decide(i, cp, cb, base, made_here),
            };
            if companion && lead_to == Some(Side::Chargebee) && !unwritable && matches!(outcome, Outcome::CopyTo(Side::Chargebee)) && cp.values[i].is_null() {
                // Emptied with its lead: the lead's write (a reopen) empties it in Chargebee.
                merged_cb[i] = Value::Null;
                continue;
            }
            if Some(i) == lead {
                lead_conflict = self.plan.conflicts.len() > conflicts_before;
                lead_to = match outcome {
                    Outcome::CopyTo(Side::Chargebee) if !cb_ro => Some(Side::Chargebee),
                    Outcome::CopyTo(Side::Customerp) if !cp_ro => Some(Side::Customerp),
                    _ => None,
                };
            }
            match outcome {
                Outcome::CopyTo(Side::Chargebee) if !cb_ro && cp.values[i].is_null() && self.props()[i].write_chargebee(&Value::Null, &self.ctx).is_none() => {
                    // Chargebee's API cannot empty this field: say so once; the base keeps both sides as they are.
                    let p = &self.props()[i];
                    self.ctx.warn("not_clearable", Some(p.cp), format!("{} was emptied in Customerp, but Chargebee cannot empty {}: not written", p.cp, p.cb));
                }
                Outcome::CopyTo(Side::Chargebee) if !cb_ro => {
                    merged_cb[i] = cp.values[i].clone();
                    write_cb.push(i);
                }
                Outcome::CopyTo(Side::Customerp) if !cp_ro => {
                    merged_cp[i] = cb.values[i].clone();
                    write_cp.push(i);
                }
                _ => {}
            }
        }
        // A Customerp field Chargebee just changed may feed other rows one way (an item's name is
        // also its external name): they follow in the same plan, not the next.
        for i in write_cp.clone() {
            let p = &self.props()[i];
            for (j, q) in self.props().iter().enumerate() {
                let same_source = matches!(q.source, CpSource::Field) && q.cp == p.cp && q.kind == p.kind;
                if q.dir == Dir::ToChargebee && same_source && !cb_ro {
                    merged_cp[j] = merged_cp[i].clone();
                    merged_cb[j] = merged_cp[i].clone();
                    let needed = !q.same(&merged_cp[i], &cb.values[j]);
                    match (needed, write_cb.iter().position(|&k| k == j)) {
                        (true, None) => write_cb.push(j),
                        (false, Some(at)) => {
                            write_cb.remove(at);
                        }
                        _ => {}
                    }
                }
            }
        }
        write_cb.sort_unstable();
        self.flow.check_pair(cp, cb, &mut self.ctx);

        self.plan.link = Link { customerp: Some(cp.id.clone()), chargebee: Some(cb.id.clone()) };
        if !write_cp.is_empty() {
            self.plan.customerp = self.customerp_update(cp, &write_cp, &merged_cp);
        }
        // What Customerp will hold, read back as any Customerp record is read (a cleared `phone`
        // shows `mobile` again), so the next plan sees no echo of this one's writes.
        let mut base_cp = match &self.plan.customerp.changes {
            Some(changes) if !write_cp.is_empty() => {
                let mut after = cp.raw.clone().into_owned();
                if let Value::Object(m) = &mut after {
                    m.extend(changes.clone());
                }
                self.read_back(&after, cb)?
            }
            _ => merged_cp.clone(),
        };
        // Where Customerp will read differently from what it was given (a cleared `phone` falls back
        // to `mobile`), Chargebee gets that value now, so both sides agree after this plan.
        for &i in &write_cp {
            let p = &self.props()[i];
            if p.dir == Dir::Both && !cb_ro && !p.same(&base_cp[i], &merged_cb[i]) && !write_cb.contains(&i) {
                merged_cb[i] = base_cp[i].clone();
                write_cb.push(i);
            }
        }
        write_cb.sort_unstable();
        if !write_cb.is_empty() {
            if self.manual() {
                let instruction = self.flow.manual_instruction("update", Some(&cb.id), &write_cb, &merged_cb);
                // Nothing reaches Chargebee until a person acts: keep the old base for these rows so
                // the instruction stands in every plan until Chargebee shows the change.
                for &i in &write_cb {
                    base_cp[i] = base.map(|b| b.customerp[i].clone()).unwrap_or(Value::Null);
                    merged_cb[i] = cb.values[i].clone();
                }
                self.plan.chargebee = ChargebeeAction {
                    action: "manual",
                    id: Some(cb.id.clone()),
                    reason: Some(instruction),
                    ..ChargebeeAction::none()
                };
            } else {
                let specs = self.flow.update_requests(&cb.id, &write_cb, &merged_cb, &cb.raw, &self.ctx);
                let expect = self.chargebee_expect(cb, &write_cb);
                self.plan.chargebee = self.chargebee_action("update", &cb.id, specs, expect);
            }
        }
        self.plan.base = Some(self.new_base(base_cp, merged_cb));
        Ok(())
    }

    /// Settles a conflict on one property and records it.
    #[allow(clippy::too_many_arguments)]
    fn conflict(&mut self, p: &Prop, a: &Value, b: &Value, base: &Value, cp: &Record, cb: &Record, line: Option<&Value>) -> Side {
        let cp_ro = self.opts().is_read_only(Side::Customerp);
        let cb_ro = self.opts().is_read_only(Side::Chargebee);
        let (winner, rule) = if cp_ro != cb_ro {
            // A read-only side is the source of a one-way sync: it cannot lose.
            (if cp_ro { Side::Customerp } else { Side::Chargebee }, "readOnly".to_string())
        } else if let Some(side) = self.opts().winner_for(p.cp) {
            (side, format!("propertyWinners: {}", side.as_str()))
        } else {
            match self.opts().conflicts {
                ConflictPolicy::Fixed(side) => (side, format!("conflicts: {}", side.as_str())),
                ConflictPolicy::Newest => {
                    let newer_cb = match (cp.clock, cb.clock) {
                        (Some(x), Some(y)) => y > x,
                        (None, Some(_)) => true,
                        _ => false,
                    };
                    if newer_cb {
                        (Side::Chargebee, "newest: Chargebee was updated later".to_string())
                    } else if cp.clock == cb.clock {
                        (Side::Customerp, "newest: same update time, Customerp wins ties".to_string())
                    } else {
                        (Side::Customerp, "newest: Customerp was updated later".to_string())
                    }
                }
            }
        };
        self.push_conflict(p, a, b, base, line, winner, rule);
        winner
    }

    fn customerp_update(&self, cp: &Record, rows: &[usize], merged: &[Value]) -> CustomerpAction {
        let mut changes = Map::new();
        let mut expect = Map::new();
        expect.insert("updated".into(), cp.raw.get("updated").cloned().unwrap_or(Value::Null));
        for &i in rows {
            let p = &self.props()[i];
            let field = p.cp_field();
            let top = head(field);
            if let Kind::Each(_) = p.kind {
                // Lines are given whole: Customerp's lines with this field replaced.
                let lines = changes.get(top).cloned().or_else(|| cp.raw.get(top).cloned()).unwrap_or_else(|| json!([]));
                expect.entry(top.to_string()).or_insert_with(|| cp.raw.get(top).cloned().unwrap_or(Value::Null));
                let sub = field.split_once('.').map(|(_, f)| f).unwrap_or(field);
                let values = p.write_customerp(&merged[i], &self.ctx);
                let mut lines = lines.as_array().cloned().unwrap_or_default();
                for (line, v) in lines.iter_mut().zip(values.as_array().cloned().unwrap_or_default()) {
                    if let Value::Object(l) = line {
                        l.insert(sub.to_string(), v);
                    }
                }
                changes.insert(top.to_string(), Value::Array(lines));
                continue;
            }
            if top != field && !changes.contains_key(top) {
                // A nested object is given whole, merged with what Customerp has.
                let current = cp.raw.get(top).filter(|v| v.is_object()).cloned().unwrap_or_else(|| json!({}));
                changes.insert(top.to_string(), current.clone());
                expect.insert(top.to_string(), current);
            }
            if top == field {
                expect.insert(field.to_string(), cp.raw.get(field).cloned().unwrap_or(Value::Null));
            }
            set_path(&mut changes, field, p.write_customerp(&merged[i], &self.ctx));
        }
        CustomerpAction {
            action: "update",
            id: Some(cp.id.clone()),
            changes: Some(changes),
            expect: Some(Value::Object(expect)),
            reason: None,
        }
    }

    fn chargebee_expect(&self, cb: &Record, rows: &[usize]) -> Value {
        let mut expect = Map::new();
        expect.insert("updated_at".into(), cb.raw.get("updated_at").cloned().unwrap_or(Value::Null));
        for &i in rows {
            let p = &self.props()[i];
            if let Kind::Each(_) = p.kind {
                let top = head(p.cb);
                // Lines by their Chargebee id; a Customerp line's empty stand-in is not Chargebee's.
                let current = match cb.raw.get(top) {
                    Some(Value::Array(lines)) => Value::Array(lines.iter().filter(|l| l.get("id").is_some()).cloned().collect()),
                    other => other.cloned().unwrap_or(Value::Null),
                };
                expect.insert(top.to_string(), current);
                continue;
            }
            if let Some((parent, _)) = p.cb.split_once('.') {
                let Some(nested) = cb.raw.get(parent).filter(|v| v.is_object()) else {
                    continue; // not there yet (an item without this price): nothing to expect of it
                };
                // A nested resource with its own id and clock (an item's price): both are part of the state.
                for key in ["id", "updated_at"] {
                    if let Some(v) = nested.get(key) {
                        set_path(&mut expect, &format!("{parent}.{key}"), v.clone());
                    }
                }
            }
            let current = get_path(&cb.raw, p.cb, "").ok().flatten().cloned().unwrap_or(Value::Null);
            set_path(&mut expect, p.cb, current);
        }
        // In the shape the host reads the record in (an item's price under `item_prices`).
        self.flow.resource_from_view(&mut expect, &self.ctx);
        Value::Object(expect)
    }

    fn chargebee_action(&self, action: &'static str, id: &str, specs: Vec<RequestSpec>, expect: Value) -> ChargebeeAction {
        if specs.is_empty() {
            return ChargebeeAction { id: Some(id.to_string()), ..ChargebeeAction::none() };
        }
        let requests = keyed_requests(self.flow.id(), specs, &expect, self.input_base.as_ref());
        ChargebeeAction { action, id: Some(id.to_string()), requests, expect: Some(expect), reason: None }
    }

    // ---- deletes -------------------------------------------------------------------------

    fn changed_since(&self, rec: &Record, base_side: &[Value], side: Side) -> Option<usize> {
        self.props().iter().enumerate().position(|(i, p)| {
            let relevant = match side {
                Side::Customerp => matches!(p.dir, Dir::Both | Dir::ToChargebee),
                Side::Chargebee => p.dir.writes_customerp(),
            };
            relevant && !is_pending(&base_side[i]) && changed_from(p, &rec.values[i], &base_side[i])
        })
    }

    /// The Customerp record is gone or deleted; Chargebee's is alive.
    fn customerp_deleted(&mut self, cp: Option<&Record>, cb: &Record, base: &Base) -> Result<()> {
        let cp_id = cp.map(|r| r.id.clone());
        self.plan.link = Link { customerp: cp_id.clone(), chargebee: Some(cb.id.clone()) };
        if self.opts().deletes == DeletePolicy::Ignore {
            self.plan.base = self.input_base.clone();
            self.hold_both("deleted in Customerp; deletes: \"ignore\" leaves Chargebee as it is".into());
            return Ok(());
        }
        if self.changed_since(cb, &base.chargebee, Side::Chargebee).is_some() && !self.opts().is_read_only(Side::Customerp) {
            // A delete against an edit: the edit wins, and Customerp gets the record back.
            self.plan.conflicts.push(Conflict {
                property: "deleted".into(),
                line: None,
                customerp: Value::Bool(true),
                chargebee: Value::Bool(false),
                base: Value::Bool(false),
                winner: Side::Chargebee,
                rule: "an edit wins over a delete".into(),
            });
            match cp {
                Some(rec) => {
                    let rows: Vec<usize> = (0..self.props().len())
                        .filter(|&i| self.props()[i].dir.writes_customerp())
                        .filter(|&i| !self.props()[i].same(&rec.values[i], &cb.values[i]))
                        .collect();
                    let mut merged = rec.values.clone();
                    for &i in &rows {
                        merged[i] = cb.values[i].clone();
                    }
                    let mut action = self.customerp_update(rec, &rows, &merged);
                    if let Some(ch) = action.changes.as_mut() {
                        ch.insert("deleted".into(), Value::Bool(false));
                    }
                    if let Some(Value::Object(ex)) = action.expect.as_mut() {
                        ex.insert("deleted".into(), Value::Bool(true));
                    }
                    action.reason = Some("deleted in Customerp but edited in Chargebee: restored".into());
                    self.plan.customerp = action;
                    self.plan.base = Some(self.new_base(merged, cb.values.clone()));
                }
                None => {
                    self.create_in_customerp_unchecked(cb)?;
                    self.plan.customerp.reason = Some("deleted in Customerp but edited in Chargebee: recreated".into());
                }
            }
            return Ok(());
        }
        self.plan.link = Link { customerp: None, chargebee: None };
        self.plan.customerp.reason = Some("deleted in Customerp; the link ends".into());
        if self.opts().is_read_only(Side::Chargebee) {
            self.plan.chargebee.reason = Some("Chargebee is read-only for this flow".into());
            return Ok(());
        }
        let propagate = self.opts().deletes == DeletePolicy::Propagate;
        let op = if propagate { "delete" } else { "mark-deleted" };
        if self.manual() {
            let instruction = self.flow.manual_instruction(op, Some(&cb.id), &[], &cb.values);
            self.plan.chargebee = ChargebeeAction { action: "manual", id: Some(cb.id.clone()), reason: Some(instruction), ..ChargebeeAction::none() };
            return Ok(());
        }
        let (action, specs, why) = if propagate {
            ("delete", self.flow.delete_requests(&cb.id, &cb.raw), "deletes: \"propagate\": deleted in Chargebee")
        } else {
            (
                "update",
                self.flow.mark_deleted_requests(&cb.id, &cb.raw, cp_id.as_deref()),
                "deletes: \"safe\": marked in Chargebee, not deleted",
            )
        };
        let expect = json!({"updated_at": cb.raw.get("updated_at").cloned().unwrap_or(Value::Null)});
        self.plan.chargebee = self.chargebee_action(action, &cb.id, specs, expect);
        self.plan.chargebee.reason = Some(why.into());
        Ok(())
    }

    /// Chargebee's record is gone or deleted; the Customerp record is alive.
    fn chargebee_deleted(&mut self, cp: &Record, cb: Option<&Record>, base: &Base) -> Result<()> {
        self.plan.link = Link { customerp: Some(cp.id.clone()), chargebee: cb.map(|r| r.id.clone()) };
        if self.opts().deletes == DeletePolicy::Ignore {
            self.plan.base = self.input_base.clone();
            self.hold_both("deleted in Chargebee; deletes: \"ignore\" leaves Customerp as it is".into());
            return Ok(());
        }
        if self.changed_since(cp, &base.customerp, Side::Customerp).is_some() && !self.opts().is_read_only(Side::Chargebee) && !self.manual() {
            self.plan.conflicts.push(Conflict {
                property: "deleted".into(),
                line: None,
                customerp: Value::Bool(false),
                chargebee: Value::Bool(true),
                base: Value::Bool(false),
                winner: Side::Customerp,
                rule: "an edit wins over a delete".into(),
            });
            let created = self.create_in_chargebee(cp);
            self.plan.chargebee.reason = Some("deleted in Chargebee but edited in Customerp: recreated".into());
            self.plan.customerp.reason = None;
            return created;
        }
        self.plan.link = Link { customerp: None, chargebee: None };
        self.plan.chargebee.reason = Some("deleted in Chargebee; the link ends".into());
        if self.opts().is_read_only(Side::Customerp) {
            self.plan.customerp.reason = Some("Customerp is read-only for this flow".into());
            return Ok(());
        }
        let expect = json!({"updated": cp.raw.get("updated").cloned().unwrap_or(Value::Null)});
        self.plan.customerp = match self.opts().deletes {
            DeletePolicy::Propagate => CustomerpAction {
                action: "delete",
                id: Some(cp.id.clone()),
                changes: None,
                expect: Some(expect),
                reason: Some("deletes: \"propagate\": deleted in Customerp".into()),
            },
            _ => CustomerpAction {
                action: "update",
                id: Some(cp.id.clone()),
                changes: Some(self.flow.customerp_deactivate()),
                expect: Some(expect),
                reason: Some("deletes: \"safe\": marked inactive in Customerp, not deleted".into()),
            },
        };
        Ok(())
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

