//! First sync: a record on one side only is created on the other, unless it is too old, deleted,
//! or for a flow written by hand.

use super::*;

impl<'f, 'c> Planner<'f, 'c> {
    pub(super) fn create_in_chargebee(&mut self, cp: &Record) -> Result<()> {
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
            self.created_in_chargebee(cp, &self.all_pending());
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
            .collect::<Vec<_>>();
        self.created_in_chargebee(cp, &cb_side);
        self.plan.base = Some(self.new_base(cp.values.clone(), cb_side));
        self.plan.customerp.reason = Some("new in Customerp: created in Chargebee".into());
        Ok(())
    }

    /// `changes` of a create in Chargebee: the rows it sets, not those left to Chargebee (`$pending`
    /// in the new base's Chargebee side `cb_side`), which the next plan writes.
    fn created_in_chargebee(&mut self, cp: &Record, cb_side: &[Value]) {
        let props = self.props();
        let created = |p: &Prop, i: usize| {
            p.dir.writes_chargebee() && self.flow.create_writes(p) && !is_pending(&cb_side[i]) && p.write_chargebee(&cp.values[i], &self.ctx).is_some()
        };
        let rows: Vec<usize> = (0..props.len()).filter(|&i| created(&props[i], i)).collect();
        for i in rows {
            self.changed_row(Side::Chargebee, i, &Value::Null, &cp.values[i], Why::Create);
        }
    }

    /// A Chargebee side whose every row Customerp writes is still to be written (`$pending`).
    pub(super) fn all_pending(&self) -> Vec<Value> {
        self.props().iter().map(|p| if matches!(p.dir, Dir::Both | Dir::ToChargebee) { pending() } else { Value::Null }).collect()
    }

    pub(super) fn new_customerp_record(&self, cb: &Record) -> Map<String, Value> {
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

    pub(super) fn create_in_customerp(&mut self, cb: &Record) -> Result<()> {
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
        self.create_in_customerp_unchecked(cb, Why::Create)?;
        self.plan.customerp.reason = Some("new in Chargebee: created in Customerp".into());
        Ok(())
    }

    /// The canonical values of the Customerp record a create will make, read back as any Customerp
    /// record is read, so the next plan sees exactly what was written. A Chargebee value Customerp
    /// would refuse (a malformed e-mail) is a typed error naming the Chargebee field.
    pub(super) fn read_back(&self, record: &Value, cb: &Record) -> Result<Vec<Value>> {
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
    pub(super) fn chargebee_path_of(&self, cp_path: &str) -> Option<String> {
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

    pub(super) fn create_in_customerp_unchecked(&mut self, cb: &Record, why: Why) -> Result<()> {
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
        let empty = vec![Value::Null; cp_side.len()];
        self.changed_rows(Side::Customerp, &empty, &cp_side, |p| p.dir.writes_customerp(), why);
        self.plan.base = Some(self.new_base(cp_side, cb.values.clone()));
        Ok(())
    }

    pub(super) fn too_old(&self, created: Option<i64>, side: &str) -> Option<String> {
        let after = self.opts().created_after?;
        match created {
            Some(c) if c >= after => None,
            Some(_) => Some(format!("created in {side} before createdAfter: matched only, never copied")),
            None => Some(format!("no creation time in {side}, and createdAfter is set: not copied")),
        }
    }
}
