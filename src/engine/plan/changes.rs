//! Option `changes`: each property a plan writes, per side, with its value before and after in
//! Customerp's form, and why. The phases note why they write a value; the changes are the rows whose
//! value the writes change, compared on each side before and after. Nothing is noted or compared
//! without the option, so such a plan is built and written as it always was.

use super::*;

/// One property a plan writes to one side.
#[derive(Debug, Clone, Serialize)]
pub struct PlanChange {
    pub side: Side,
    /// Customerp property path, as in `Conflict.property`.
    pub property: &'static str,
    /// For a line property: the line, by its Customerp and its Chargebee line id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<Value>,
    /// The Chargebee attribute of the row.
    pub chargebee: &'static str,
    pub from: Value,
    pub to: Value,
    pub reason: String,
}

/// A value written: the side, the row and, for a line property, the line.
pub(super) type Written = (Side, usize, Option<usize>);

/// Why a value is written; turned into text only for `changes`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Why {
    /// Edited on this side since the base.
    Changed(Side),
    /// A create could not set the row: what Chargebee holds is its default.
    Pending,
    /// A one-way row, at the first sync of the pair.
    OneWay,
    /// First sync: a filled value wins over an empty one.
    Filled,
    /// Settled by the conflict at this index of the plan's conflicts; `true` at a first sync.
    Conflict(usize, bool),
    /// Decided with its lead row (an order's cancellation with its status).
    WithLead,
    /// Emptied with its lead row (a reopened order loses its cancellation).
    EmptiedWithLead,
    /// Customerp reads the written record back with this value (a cleared phone shows the mobile).
    ReadBack,
    Create,
    Delete,
    /// Put back by an undo.
    Undo,
    /// Released by an undo.
    Release,
}

/// One change per side, property and line where the rows of a property are written alike: a product's
/// name and the external name that follows it are one change, named by its first row (an undo of it puts
/// both back). Rows of one property written differently keep a change each.
pub(super) fn folded(changes: Vec<PlanChange>) -> Vec<PlanChange> {
    let mut out: Vec<PlanChange> = Vec::with_capacity(changes.len());
    for c in changes {
        let same = |o: &PlanChange| o.side == c.side && o.property == c.property && o.line == c.line && o.from == c.from && o.to == c.to;
        if !out.iter().any(same) {
            out.push(c);
        }
    }
    out
}

impl<'f, 'c> Planner<'f, 'c> {
    pub(super) fn changes_on(&self) -> bool {
        self.ctx.options.changes
    }

    /// Notes why a value of a row (one line's, with `line`) is written to `side`.
    pub(super) fn note(&mut self, side: Side, row: usize, line: Option<usize>, why: Why) {
        if self.changes_on() {
            // Few values are written per plan, and each once: a list, looked up from the end.
            self.whys.push(((side, row, line), why));
        }
    }

    /// Why a row's value (a line's, else the row's) was written to `side`, if a phase noted it.
    pub(super) fn noted(&self, side: Side, row: usize, line: Option<usize>) -> Option<Why> {
        let find = |key: Written| self.whys.iter().rev().find(|(k, _)| *k == key).map(|(_, why)| *why);
        find((side, row, line)).or_else(|| line.and_then(|_| find((side, row, None))))
    }

    pub(super) fn reason(&self, why: Why) -> String {
        let lead = || self.flow.companions().map(|(lead, _)| lead).unwrap_or("status");
        match why {
            Why::Changed(side) => format!("changed in {}", side.as_str()),
            Why::Pending => "pending after create".into(),
            Why::OneWay => "first sync: one-way property".into(),
            Why::Filled => "first sync: a filled value wins over an empty one".into(),
            Why::Conflict(at, first_sync) => match self.plan.conflicts.get(at) {
                Some(c) if c.rule.starts_with("repair") => c.rule.clone(),
                Some(c) if first_sync => format!("first sync: {} wins ({})", c.winner.as_str(), c.rule),
                Some(c) => format!("conflict: {} wins ({})", c.winner.as_str(), c.rule),
                None => "conflict".into(),
            },
            Why::WithLead => format!("decided with {}", lead()),
            Why::EmptiedWithLead => format!("emptied with {}", lead()),
            Why::ReadBack => "as customerp reads it back".into(),
            Why::Create => "create".into(),
            Why::Delete => "delete".into(),
            Why::Undo => "undo".into(),
            Why::Release => "release".into(),
        }
    }

    /// Line `k` of this plan, as conflicts name it: its Customerp and Chargebee line ids.
    pub(super) fn line_of(&self, k: usize) -> Value {
        match self.ctx.scratch.get(crate::engine::LINE_PAIRS) {
            Some(Value::Array(pairs)) => pairs.get(k).cloned().unwrap_or(Value::Null),
            _ => match self.ctx.scratch.get(crate::engine::CUSTOMERP_LINE_IDS) {
                Some(Value::Array(ids)) => json!({"customerp": ids.get(k).cloned().unwrap_or(Value::Null), "chargebee": null}),
                _ => Value::Null,
            },
        }
    }

    /// The changes of one row on one side, from `before` to `after` (canonical values; a line row
    /// line by line). Each takes the reason noted for it, else `default`.
    pub(super) fn changed_row(&mut self, side: Side, row: usize, before: &Value, after: &Value, default: Why) {
        if !self.changes_on() {
            return;
        }
        let p = &self.props()[row];
        let push = |me: &mut Self, line: Option<usize>, from: &Value, to: &Value| {
            if p.same(from, to) || super::is_pending(to) || is_unknown(to) {
                return;
            }
            let why = me.noted(side, row, line).unwrap_or(default);
            let change = PlanChange {
                side,
                property: p.cp,
                line: line.map(|k| me.line_of(k)),
                chargebee: p.cb,
                from: p.write_customerp_value(from, &me.ctx),
                to: p.write_customerp_value(to, &me.ctx),
                reason: me.reason(why),
            };
            me.changes.push(change);
        };
        match p.kind {
            Kind::Each(_) => {
                let none = Vec::new();
                let (b, a) = (before.as_array().unwrap_or(&none), after.as_array().unwrap_or(&none));
                for k in 0..a.len().max(b.len()) {
                    push(self, Some(k), b.get(k).unwrap_or(&Value::Null), a.get(k).unwrap_or(&Value::Null));
                }
            }
            _ => push(self, None, before, after),
        }
    }

    /// The Customerp record's values once `changes` are written to it, read as any Customerp record is
    /// (its own values where it cannot be read: nothing is listed for them).
    pub(super) fn read_customerp_after(&self, cp: &Record, changes: &Map<String, Value>) -> Vec<Value> {
        let mut after = cp.raw.clone().into_owned();
        if let Value::Object(m) = &mut after {
            m.extend(changes.clone());
        }
        let mut ctx = Ctx::new(self.ctx.options, self.ctx.links);
        read_customerp(self.flow, &after, "/customerp", &mut ctx).map(|r| r.values).unwrap_or_else(|_| cp.values.clone())
    }

    /// The changes of every row of a side from `before` to `after`, for the rows `rows` says.
    pub(super) fn changed_rows(&mut self, side: Side, before: &[Value], after: &[Value], rows: impl Fn(&Prop) -> bool, default: Why) {
        if !self.changes_on() {
            return;
        }
        for (i, p) in self.props().iter().enumerate() {
            if rows(p) {
                self.changed_row(side, i, &before[i], &after[i], default);
            }
        }
    }
}
