//! The three-way merge of a linked pair: per row, which side changed since the base, conflicts
//! settled by the policy (and by a repair), lines merged pair by pair, companions that follow their
//! lead row.

use super::*;

/// The base's line values in this plan's line order: each aligned line takes the values of the pair
/// the base lists with its Customerp or Chargebee line id; a version 1 base (no pairs) by position.
pub(super) fn align_base(flow: &dyn Flow, mut base: Base, ctx: &Ctx) -> Base {
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

impl<'f, 'c> Planner<'f, 'c> {
    pub(super) fn decide(&mut self, i: usize, cp: &Record, cb: &Record, base: Option<&Base>, made_here: bool) -> Outcome {
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
                    let why = match base_cp {
                        None => Why::OneWay,
                        Some(_) if changed => Why::Changed(Side::Customerp),
                        Some(_) => Why::Pending,
                    };
                    Outcome::CopyTo(Side::Chargebee, why)
                } else {
                    Outcome::Keep
                }
            }
            Dir::ToCustomerp => {
                let changed = base_cb.map_or(!b.is_null(), |bv| changed_from(p, b, bv));
                let why = if base_cb.is_some() { Why::Changed(Side::Chargebee) } else { Why::OneWay };
                if changed && !p.same(a, b) { Outcome::CopyTo(Side::Customerp, why) } else { Outcome::Keep }
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
    pub(super) fn decide_both(
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
                Some(w) if raw != Some(&w) => Outcome::CopyTo(Side::Chargebee, Why::Pending),
                _ => Outcome::Keep,
            };
        }
        match (base_cp.filter(|v| !is_unknown(v)), base_cb.filter(|v| !is_unknown(v))) {
            // A create could not set this row: Chargebee's value is a default, not an edit.
            _ if pending => {
                if a.is_null() { Outcome::CopyTo(Side::Customerp, Why::Pending) } else { Outcome::CopyTo(Side::Chargebee, Why::Pending) }
            }
            (Some(bcp), Some(bcb)) => match (!p.same(a, bcp), !p.same(b, bcb)) {
                (true, false) => Outcome::CopyTo(Side::Chargebee, Why::Changed(Side::Customerp)),
                (false, true) => Outcome::CopyTo(Side::Customerp, Why::Changed(Side::Chargebee)),
                (true, true) => self.settle(p, a, b, bcp, cp, cb, line, false),
                // Sides an undo left apart on purpose are no drift.
                (false, false) if self.opts().repairs(p.cp) && !self.is_kept(p) => self.repair(p, a, b, bcp, cp, cb, line),
                (false, false) => Outcome::Keep,
            },
            // This plugin created the Chargebee record (it has the id the plugin gives this
            // Customerp record) and its base was lost, e.g. in a crash before the host stored it:
            // rows the create could not set still hold Chargebee's defaults, not edits.
            (None, None) if made_here && !self.flow.settable_on_create(p) => {
                if a.is_null() { Outcome::CopyTo(Side::Customerp, Why::Pending) } else { Outcome::CopyTo(Side::Chargebee, Why::Pending) }
            }
            // First sync of a pair (or of a line): a filled value never loses to an empty one.
            _ if a.is_null() => Outcome::CopyTo(Side::Customerp, Why::Filled),
            _ if b.is_null() => Outcome::CopyTo(Side::Chargebee, Why::Filled),
            _ => self.settle(p, a, b, &Value::Null, cp, cb, line, true),
        }
    }

    /// A line property, merged line by line: each pair of lines with its own base values; a line
    /// without a partner on the other side is left alone. Returns both sides' merged values and
    /// whether each side is written.
    pub(super) fn merge_lines(&mut self, i: usize, cp: &Record, cb: &Record, base: Option<&Base>, made_here: bool) -> (Value, Value, bool, bool) {
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
                Outcome::CopyTo(Side::Chargebee, _) if a[k].is_null() && p.write_chargebee_value(&Value::Null, &self.ctx).is_none() => {
                    self.ctx.warn("not_clearable", Some(p.cp), format!("{} was emptied in Customerp, but Chargebee cannot empty {}: not written", p.cp, p.cb));
                }
                Outcome::CopyTo(Side::Chargebee, why) => {
                    mb[k] = a[k].clone();
                    write_cb = true;
                    self.note(Side::Chargebee, i, Some(k), why);
                }
                Outcome::CopyTo(Side::Customerp, why) => {
                    ma[k] = b[k].clone();
                    write_cp = true;
                    self.note(Side::Customerp, i, Some(k), why);
                }
                Outcome::Keep => {}
            }
        }
        (Value::Array(ma), Value::Array(mb), write_cp, write_cb)
    }

    /// A companion row's values and base on both sides.
    pub(super) fn companion_values(&self, i: usize, cp: &Record, cb: &Record, base: Option<&Base>) -> [Value; 4] {
        let base_cp = base.map(|bs| bs.customerp[i].clone()).unwrap_or(Value::Null);
        let base_cb = base.map(|bs| bs.chargebee[i].clone()).unwrap_or(Value::Null);
        [cp.values[i].clone(), cb.values[i].clone(), base_cp, base_cb]
    }

    /// Reports a companion row's edit lost with its lead (`why` completes "decided with status: …").
    pub(super) fn companion_conflict(&mut self, i: usize, values: &[Value; 4], winner: Side, why: &str) {
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
    pub(super) fn empty_with_lead(&mut self, i: usize, cp: &Record, cb: &Record, base: Option<&Base>) {
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
    pub(super) fn follow_lead(&mut self, i: usize, to: Side, cp: &Record, cb: &Record, base: Option<&Base>) -> Outcome {
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
        Outcome::CopyTo(to, Why::WithLead)
    }

    /// Settles a conflict (at a first sync, with `first_sync`): the loser takes the winner's value.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn settle(&mut self, p: &Prop, a: &Value, b: &Value, base: &Value, cp: &Record, cb: &Record, line: Option<&Value>, first_sync: bool) -> Outcome {
        let winner = self.conflict(p, a, b, base, cp, cb, line);
        let why = Why::Conflict(self.plan.conflicts.len().saturating_sub(1), first_sync);
        Outcome::CopyTo(winner.other(), why)
    }

    /// Reports a conflict of one value (of one line, with `line`) and the side that won it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push_conflict(&mut self, p: &Prop, a: &Value, b: &Value, base: &Value, line: Option<&Value>, winner: Side, rule: String) {
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
    pub(super) fn repair(&mut self, p: &Prop, a: &Value, b: &Value, base: &Value, cp: &Record, cb: &Record, line: Option<&Value>) -> Outcome {
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
        Outcome::CopyTo(winner.other(), Why::Conflict(self.plan.conflicts.len().saturating_sub(1), false))
    }

    pub(super) fn merge(&mut self, cp: &Record, cb: &Record, base: Option<&Base>) -> Result<()> {
        if let Some(why) = self.flow.released(cp, cb) {
            self.plan.link = Link { customerp: Some(cp.id.clone()), chargebee: Some(cb.id.clone()) };
            self.plan.base = base.and(self.input_base.clone());
            self.hold_both(why);
            return Ok(());
        }
        let n = self.props().len();
        self.kept = base.map(|b| b.kept.clone()).unwrap_or_default();
        let mut merged_cp = cp.values.clone();
        let mut merged_cb = cb.values.clone();
        let mut write_cp: Vec<usize> = Vec::new();
        let mut write_cb: Vec<usize> = Vec::new();
        // Rows Chargebee empties itself when the lead is written (a reopen), for `changes`.
        let mut emptied_cb: Vec<usize> = Vec::new();
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
                emptied_cb.push(i);
                self.note(Side::Chargebee, i, None, Why::EmptiedWithLead);
                if !cp.values[i].is_null() && !cp_ro {
                    merged_cp[i] = Value::Null;
                    write_cp.push(i);
                    self.note(Side::Customerp, i, None, Why::EmptiedWithLead);
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
            if companion && lead_to == Some(Side::Chargebee) && !unwritable && matches!(outcome, Outcome::CopyTo(Side::Chargebee, _)) && cp.values[i].is_null() {
                // Emptied with its lead: the lead's write (a reopen) empties it in Chargebee.
                merged_cb[i] = Value::Null;
                emptied_cb.push(i);
                self.note(Side::Chargebee, i, None, Why::EmptiedWithLead);
                continue;
            }
            if Some(i) == lead {
                lead_conflict = self.plan.conflicts.len() > conflicts_before;
                lead_to = match outcome {
                    Outcome::CopyTo(Side::Chargebee, _) if !cb_ro => Some(Side::Chargebee),
                    Outcome::CopyTo(Side::Customerp, _) if !cp_ro => Some(Side::Customerp),
                    _ => None,
                };
            }
            match outcome {
                Outcome::CopyTo(Side::Chargebee, _) if !cb_ro && cp.values[i].is_null() && self.props()[i].write_chargebee(&Value::Null, &self.ctx).is_none() => {
                    // Chargebee's API cannot empty this field: say so once; the base keeps both sides as they are.
                    let p = &self.props()[i];
                    self.ctx.warn("not_clearable", Some(p.cp), format!("{} was emptied in Customerp, but Chargebee cannot empty {}: not written", p.cp, p.cb));
                }
                Outcome::CopyTo(Side::Chargebee, why) if !cb_ro => {
                    merged_cb[i] = cp.values[i].clone();
                    write_cb.push(i);
                    self.note(Side::Chargebee, i, None, why);
                }
                Outcome::CopyTo(Side::Customerp, why) if !cp_ro => {
                    merged_cp[i] = cb.values[i].clone();
                    write_cp.push(i);
                    self.note(Side::Customerp, i, None, why);
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
                    if let Some(why) = self.noted(Side::Customerp, i, None) {
                        self.note(Side::Chargebee, j, None, why);
                    }
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
                self.note(Side::Chargebee, i, None, Why::ReadBack);
            }
        }
        write_cb.sort_unstable();
        // Each side's rows before and after this plan's writes (Customerp's as it reads them back).
        self.changed_rows(Side::Customerp, &cp.values, &base_cp, |p| p.dir.writes_customerp(), Why::ReadBack);
        if !self.manual() {
            for &i in write_cb.iter().chain(&emptied_cb) {
                self.changed_row(Side::Chargebee, i, &cb.values[i], &merged_cb[i], Why::Changed(Side::Customerp));
            }
        }
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
        // A row kept apart stays so while neither side is written and the sides still differ.
        let kept: Vec<bool> = match self.kept.is_empty() {
            true => Vec::new(),
            false => (0..n)
                .map(|i| self.kept.get(i) == Some(&true) && !write_cp.contains(&i) && !write_cb.contains(&i) && !self.props()[i].same(&base_cp[i], &merged_cb[i]))
                .collect(),
        };
        self.plan.base = Some(self.new_base_kept(base_cp, merged_cb, kept));
        Ok(())
    }

    /// Settles a conflict on one property and records it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn conflict(&mut self, p: &Prop, a: &Value, b: &Value, base: &Value, cp: &Record, cb: &Record, line: Option<&Value>) -> Side {
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
}
