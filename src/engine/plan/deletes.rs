//! A record gone or deleted on one side: by the delete policy, the other side is deleted, released
//! or kept, and the link ends; unless the other side changed since the base.

use super::*;

impl<'f, 'c> Planner<'f, 'c> {
    pub(super) fn changed_since(&self, rec: &Record, base_side: &[Value], side: Side) -> Option<usize> {
        self.props().iter().enumerate().position(|(i, p)| {
            let relevant = match side {
                Side::Customerp => matches!(p.dir, Dir::Both | Dir::ToChargebee),
                Side::Chargebee => p.dir.writes_customerp(),
            };
            relevant && !is_pending(&base_side[i]) && changed_from(p, &rec.values[i], &base_side[i])
        })
    }

    /// The Customerp record is gone or deleted; Chargebee's is alive.
    pub(super) fn customerp_deleted(&mut self, cp: Option<&Record>, cb: &Record, base: &Base) -> Result<()> {
        let cp_id = cp.map(|r| r.id.clone());
        self.plan.link = Link { customerp: cp_id.clone(), chargebee: Some(cb.id.clone()) };
        if self.opts().deletes == DeletePolicy::Ignore {
            self.plan.base = self.input_base.clone();
            self.hold_both("deleted in Customerp; deletes: \"ignore\" leaves Chargebee as it is".into());
            return Ok(());
        }
        if self.changed_since(cb, &base.chargebee, Side::Chargebee).is_some() && !self.opts().is_read_only(Side::Customerp) {
            // A delete against an edit: the edit wins, and Customerp gets the record back.
            let why = Why::Conflict(self.plan.conflicts.len(), false);
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
                    self.changed_rows(Side::Customerp, &rec.values, &merged, |p| p.dir.writes_customerp(), why);
                    self.plan.base = Some(self.new_base(merged, cb.values.clone()));
                }
                None => {
                    self.create_in_customerp_unchecked(cb, why)?;
                    self.plan.customerp.reason = Some("deleted in Customerp but edited in Chargebee: recreated".into());
                }
            }
            return Ok(());
        }
        self.plan.link = Link { customerp: None, chargebee: None };
        self.plan.customerp.reason = Some("deleted in Customerp; the link ends".into());
        let propagate = self.opts().deletes == DeletePolicy::Propagate;
        let why = if propagate { "deletes: \"propagate\": deleted in Chargebee" } else { "deletes: \"safe\": marked in Chargebee, not deleted" };
        self.delete_in_chargebee(cb, cp_id.as_deref(), propagate, why, Why::Delete);
        Ok(())
    }

    /// Chargebee's record of a pair whose link ends: marked (`propagate`: deleted), unless Chargebee is
    /// read-only; a flow written by hand asks a person. `reason` says why.
    pub(super) fn delete_in_chargebee(&mut self, cb: &Record, cp_id: Option<&str>, propagate: bool, reason: &str, why: Why) {
        if self.opts().is_read_only(Side::Chargebee) {
            self.plan.chargebee.reason = Some("Chargebee is read-only for this flow".into());
            return;
        }
        let op = if propagate { "delete" } else { "mark-deleted" };
        if self.manual() {
            let instruction = self.flow.manual_instruction(op, Some(&cb.id), &[], &cb.values);
            self.plan.chargebee = ChargebeeAction { action: "manual", id: Some(cb.id.clone()), reason: Some(instruction), ..ChargebeeAction::none() };
            return;
        }
        let (action, specs) = if propagate {
            ("delete", self.flow.delete_requests(&cb.id, &cb.raw))
        } else {
            ("update", self.flow.mark_deleted_requests(&cb.id, &cb.raw, cp_id))
        };
        if self.changes_on() {
            let mut ctx = Ctx::new(self.ctx.options, self.ctx.links);
            ctx.currency = self.ctx.currency;
            let after = self.flow.values_after_delete(&cb.values, &specs, &mut ctx);
            self.changed_rows(Side::Chargebee, &cb.values, &after, |_| true, why);
        }
        let expect = json!({"updated_at": cb.raw.get("updated_at").cloned().unwrap_or(Value::Null)});
        self.plan.chargebee = self.chargebee_action(action, &cb.id, specs, expect);
        self.plan.chargebee.reason = Some(reason.into());
    }

    /// Customerp's record of a pair whose link ends: marked inactive (`propagate`: deleted), unless
    /// Customerp is read-only. `reasons` say why, for each.
    pub(super) fn delete_in_customerp(&mut self, cp: &Record, propagate: bool, reasons: [&str; 2], why: Why) {
        if self.opts().is_read_only(Side::Customerp) {
            self.plan.customerp.reason = Some("Customerp is read-only for this flow".into());
            return;
        }
        let expect = json!({"updated": cp.raw.get("updated").cloned().unwrap_or(Value::Null)});
        self.plan.customerp = if propagate {
            let gone = vec![Value::Null; cp.values.len()];
            self.changed_rows(Side::Customerp, &cp.values, &gone, |p| p.dir.writes_customerp(), why);
            CustomerpAction { action: "delete", id: Some(cp.id.clone()), changes: None, expect: Some(expect), reason: Some(reasons[0].into()) }
        } else {
            let changes = self.flow.customerp_deactivate();
            if self.changes_on() {
                let after = self.read_customerp_after(cp, &changes);
                self.changed_rows(Side::Customerp, &cp.values, &after, |p| p.dir.writes_customerp(), why);
            }
            CustomerpAction { action: "update", id: Some(cp.id.clone()), changes: Some(changes), expect: Some(expect), reason: Some(reasons[1].into()) }
        };
    }

    /// Chargebee's record is gone or deleted; the Customerp record is alive.
    pub(super) fn chargebee_deleted(&mut self, cp: &Record, cb: Option<&Record>, base: &Base) -> Result<()> {
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
        let reasons = ["deletes: \"propagate\": deleted in Customerp", "deletes: \"safe\": marked inactive in Customerp, not deleted"];
        self.delete_in_customerp(cp, self.opts().deletes == DeletePolicy::Propagate, reasons, Why::Delete);
        Ok(())
    }
}
