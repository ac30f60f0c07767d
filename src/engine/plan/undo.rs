//! `planUndo`: a run's writes put back, planned as any plan is. A property goes back to `before` on
//! the side the run wrote it, only where that side still holds `after`; a record the run created is
//! released as a safe delete releases a record, and the link ends. Requests, expectations and
//! idempotency keys come from the same machinery as a plan's (the keys also hash the undo input).
//!
//! The base records the undo: the side put back holds `before`, the other side what the last sync
//! left there, and such a row is `kept` apart, so the next plan of the pair writes nothing for it
//! and `repair` does not take it for drift. Rows the undo does not touch keep the input base, so an
//! edit made since the run still syncs.

use super::*;
use crate::error::ErrorCode;

/// What `planUndo` returns: the plan, and what it did not put back.
#[derive(Debug, Clone, Serialize)]
pub struct UndoPlan {
    #[serde(flatten)]
    pub plan: Plan,
    pub skipped: Vec<Skipped>,
}

/// A property not put back: its value on that side is no longer the one the run wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub side: Side,
    pub property: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<Value>,
    pub chargebee: &'static str,
    /// What the run wrote (`after`), in Customerp's form.
    pub wrote: Value,
    /// What that side holds now, in Customerp's form.
    pub now: Value,
}

/// One row of the table (one line of it) to put back, in canonical form.
struct Restore {
    side: Side,
    row: usize,
    line: Option<usize>,
    before: Value,
    after: Value,
    /// The index of its entry in `properties`, for errors.
    entry: usize,
    /// A row after the first of an entry that puts back several (a name and the external name that
    /// follows it): left alone, not skipped, where it does not hold `after`.
    follower: bool,
}

enum Undo {
    Restore(Vec<Restore>),
    Release(Side),
}

const ROOT: &str = "/undo";
static NULL: Value = Value::Null;

fn invalid_key(at: &str, key: &str, what: &str, keys: &str) -> SyncError {
    let at = pointer(at, key);
    SyncError::new(ErrorCode::InvalidType, at.clone(), format!("{at}: unknown {what} key {key:?}; {keys}"))
}

/// Line `line` of a row's value (the value itself for a row without lines).
fn element(v: &Value, line: Option<usize>) -> &Value {
    match line {
        None => v,
        Some(k) => v.as_array().and_then(|a| a.get(k)).unwrap_or(&NULL),
    }
}

/// Sets line `line` of a row's value; a row that is no list of lines yet starts from `current`.
fn set_element(row: &mut Value, line: Option<usize>, v: Value, current: &Value) {
    let Some(k) = line else {
        *row = v;
        return;
    };
    if !row.is_array() {
        *row = if current.is_array() { current.clone() } else { json!([]) };
    }
    if let Value::Array(items) = row {
        while items.len() <= k {
            items.push(Value::Null);
        }
        items[k] = v;
    }
}

impl<'f, 'c> Planner<'f, 'c> {
    pub(super) fn run_undo(&mut self, cp: Option<&Record>, cb: Option<&Record>, base: Option<&Base>, undo: &Value) -> Result<()> {
        match self.read_undo(undo, cp, cb, base)? {
            Undo::Release(side) => {
                self.release(side, cp, cb);
                Ok(())
            }
            Undo::Restore(restores) => match (alive(cp), alive(cb), base) {
                (Some(cp), Some(cb), Some(base)) if !restores.is_empty() => self.restore(cp, cb, base, restores),
                _ => {
                    self.plan.base = self.input_base.clone();
                    self.hold_both("undo: nothing to put back".into());
                    Ok(())
                }
            },
        }
    }

    fn read_undo(&self, v: &Value, cp: Option<&Record>, cb: Option<&Record>, base: Option<&Base>) -> Result<Undo> {
        let obj = v.as_object().ok_or_else(|| SyncError::invalid_type(ROOT, "an UndoInput object {properties, release}"))?;
        if let Some(k) = obj.keys().find(|k| !matches!(k.as_str(), "properties" | "release")) {
            return Err(invalid_key(ROOT, k, "UndoInput", "an UndoInput has properties and release"));
        }
        let at = "/undo/release";
        let release = match obj.get("release") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                Some(Side::parse(s).ok_or_else(|| SyncError::invalid_value(at, format!("{s:?} is not \"customerp\" or \"chargebee\"")))?)
            }
            Some(_) => return Err(SyncError::invalid_type(at, "\"customerp\", \"chargebee\" or null")),
        };
        let entries: &[Value] = match obj.get("properties") {
            None | Some(Value::Null) => &[],
            Some(Value::Array(a)) => a,
            Some(_) => return Err(SyncError::invalid_type("/undo/properties", "an array of properties to put back")),
        };
        if let Some(side) = release {
            if !entries.is_empty() {
                let why = "release and properties together: a released record is let go, not written (put properties back in an undo of their own)";
                return Err(SyncError::invalid_value(ROOT, why));
            }
            if alive(if side == Side::Customerp { cp } else { cb }).is_none() {
                return Err(SyncError::invalid_value(at, format!("no live {} record in the input to release", side.as_str())));
            }
            return Ok(Undo::Release(side));
        }
        let at = "/undo/properties";
        if entries.is_empty() {
            return Ok(Undo::Restore(Vec::new()));
        }
        if base.is_none() {
            return Err(SyncError::invalid_value(at, "putting properties back needs the pair's base (the input's `base`): the pair must be linked"));
        }
        let (Some(_), Some(_)) = (alive(cp), alive(cb)) else {
            return Err(SyncError::invalid_value(at, "putting properties back needs both records of the pair (in the input, and not deleted)"));
        };
        let mut asks: Vec<(bool, Vec<Restore>)> = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            asks.push(self.read_restore(e, i, entries)?);
        }
        self.one_row_each(&mut asks)?;
        let mut restores: Vec<Restore> = Vec::new();
        for r in asks.into_iter().flat_map(|(_, rs)| rs) {
            // The same row (and line) twice: a row an entry names wins over one it follows; fine with the
            // same values, an error with others.
            let p = &self.props()[r.row];
            match restores.iter_mut().find(|o| (o.side, o.row, o.line) == (r.side, r.row, r.line)) {
                None => restores.push(r),
                Some(o) if p.same(&o.before, &r.before) && p.same(&o.after, &r.after) => o.follower &= r.follower,
                Some(o) if o.follower && !r.follower => *o = r,
                Some(o) if r.follower && !o.follower => {}
                Some(o) => {
                    let why = format!("{} ({}) is put back by /undo/properties/{} too, with other values", p.cp, p.cb, o.entry);
                    return Err(SyncError::invalid_value(&format!("{at}/{}", r.entry), why));
                }
            }
        }
        Ok(Undo::Restore(restores))
    }

    /// Entries without `chargebee` that put back one property of one side (and line) with different
    /// values: `changes` lists a property's rows in table order, so the first puts back its first row
    /// alone, the second its second row, and so on.
    fn one_row_each(&self, asks: &mut [(bool, Vec<Restore>)]) -> Result<()> {
        let key = |rs: &[Restore]| rs.first().map(|r| (r.side, self.props()[r.row].cp, r.line));
        for i in 0..asks.len() {
            let (false, Some(k)) = (asks[i].0, key(&asks[i].1)) else { continue };
            let group: Vec<usize> = (i..asks.len()).filter(|&j| !asks[j].0 && key(&asks[j].1) == Some(k)).collect();
            if group.len() < 2 || group[0] != i {
                continue;
            }
            let first = &asks[i].1[0];
            let p = &self.props()[first.row];
            if group.iter().all(|&j| p.same(&asks[j].1[0].before, &first.before) && p.same(&asks[j].1[0].after, &first.after)) {
                continue; // the same entry again
            }
            for (n, &j) in group.iter().enumerate() {
                let mut rs = std::mem::take(&mut asks[j].1);
                if n >= rs.len() {
                    let at = format!("/undo/properties/{}", rs.first().map_or(j, |r| r.entry));
                    let why = format!("{:?} has {} rows to put back on {}; name each entry's row with `chargebee`", p.cp, rs.len(), k.0.as_str());
                    return Err(SyncError::invalid_value(&at, why));
                }
                let mut r = rs.swap_remove(n);
                r.follower = false;
                asks[j].1 = vec![r];
            }
        }
        Ok(())
    }

    /// One entry of `properties`: the rows (and line) it puts back, its values in canonical form.
    /// Whether it names its row (`chargebee`), and the restores of its rows: a row it names, or the
    /// property's rows on that side, the first one named, the others following it.
    fn read_restore(&self, e: &Value, entry: usize, entries: &[Value]) -> Result<(bool, Vec<Restore>)> {
        let at = format!("/undo/properties/{entry}");
        let obj = e.as_object().ok_or_else(|| SyncError::invalid_type(&at, "a property to put back {side, property, line?, before, after}"))?;
        if let Some(k) = obj.keys().find(|k| !matches!(k.as_str(), "side" | "property" | "chargebee" | "line" | "before" | "after")) {
            return Err(invalid_key(&at, k, "property", "a property to put back has side, property, chargebee, line, before and after"));
        }
        let field = |k: &str| obj.get(k).ok_or_else(|| SyncError::missing(&pointer(&at, k)));
        let text = |k: &str| -> Result<&str> { field(k)?.as_str().ok_or_else(|| SyncError::invalid_type(&pointer(&at, k), "a string")) };
        let side = text("side")?;
        let side = Side::parse(side).ok_or_else(|| SyncError::invalid_value(&pointer(&at, "side"), format!("{side:?} is not \"customerp\" or \"chargebee\"")))?;
        let property = text("property")?;
        let flow = self.flow.id().as_str();
        let props = self.props();
        let all: Vec<usize> = (0..props.len()).filter(|&i| props[i].cp == property).collect();
        if all.is_empty() {
            return Err(SyncError::invalid_value(&pointer(&at, "property"), format!("{property:?} is not a property of flow {flow}")));
        }
        let mut rows: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| match side {
                Side::Customerp => props[i].dir.writes_customerp(),
                Side::Chargebee => matches!(props[i].dir, Dir::Both | Dir::ToChargebee),
            })
            .collect();
        let never = || format!("{property:?} is never written to {} after a create: there is nothing to put back", side.as_str());
        if rows.is_empty() {
            return Err(SyncError::invalid_value(&pointer(&at, "property"), never()));
        }
        let keyed = obj.get("chargebee").is_some_and(|v| !v.is_null());
        if let Some(attr) = obj.get("chargebee").filter(|v| !v.is_null()) {
            let attr_at = pointer(&at, "chargebee");
            let attr = attr.as_str().ok_or_else(|| SyncError::invalid_type(&attr_at, "a string"))?;
            if !all.iter().any(|&i| props[i].cb == attr) {
                return Err(SyncError::invalid_value(&attr_at, format!("{attr:?} is not a Chargebee attribute of property {property:?}")));
            }
            // A change names the first row it was folded from; another row is that row alone.
            match rows.iter().position(|&i| props[i].cb == attr) {
                Some(0) => {}
                Some(k) => rows = vec![rows[k]],
                None => return Err(SyncError::invalid_value(&attr_at, never())),
            }
        }
        // A property with rows of two directions (a name, and the external name that follows it): where
        // the same property is put back on the other side too, the run wrote its two-way row there, so
        // here it was the source, not written; only the rows that follow it were.
        let line_json = obj.get("line").filter(|v| !v.is_null());
        let on_other_side = entries.iter().enumerate().any(|(j, o)| {
            j != entry
                && o.get("side").and_then(Value::as_str) == Some(side.other().as_str())
                && o.get("property").and_then(Value::as_str) == Some(property)
                && o.get("line").filter(|v| !v.is_null()) == line_json
        });
        if rows.len() > 1 && on_other_side {
            rows.retain(|&i| props[i].dir != Dir::Both);
        }
        if rows.is_empty() {
            return Err(SyncError::invalid_value(&pointer(&at, "property"), never()));
        }
        let is_line = matches!(self.props()[rows[0]].kind, Kind::Each(_));
        let line = match (obj.get("line").filter(|v| !v.is_null()), is_line) {
            (None, false) => None,
            (Some(_), false) => return Err(SyncError::invalid_value(&pointer(&at, "line"), format!("{property:?} is not a line property"))),
            (None, true) => return Err(SyncError::missing(&pointer(&at, "line"))),
            (Some(l), true) => Some(self.read_line(l, &pointer(&at, "line"), side)?),
        };
        let mut ctx = Ctx::new(self.ctx.options, self.ctx.links);
        ctx.currency = self.ctx.currency;
        let mut out = Vec::new();
        for (k, &row) in rows.iter().enumerate() {
            let p = &self.props()[row];
            let kind = match p.kind {
                Kind::Each(inner) => *inner,
                kind => kind,
            };
            let mut value = |k: &str| -> Result<Value> { p.read_cp_value(kind, Some(field(k)?), &pointer(&at, k), &mut ctx) };
            let (before, after) = (value("before")?, value("after")?);
            out.push(Restore { side, row, line, before, after, entry, follower: k > 0 });
        }
        Ok((keyed, out))
    }

    /// The line a `line` names (`{customerp, chargebee}`, as conflicts and changes name it), as this
    /// plan's line index; it must have a line on `side`.
    fn read_line(&self, v: &Value, at: &str, side: Side) -> Result<usize> {
        let obj = v.as_object().ok_or_else(|| SyncError::invalid_type(at, "a line {customerp, chargebee}"))?;
        if let Some(k) = obj.keys().find(|k| !matches!(k.as_str(), "customerp" | "chargebee")) {
            return Err(invalid_key(at, k, "line", "a line has customerp and chargebee (its line ids)"));
        }
        let id = |k: &str| -> Result<Option<String>> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Number(n)) => Ok(Some(n.to_string())),
                Some(_) => Err(SyncError::invalid_type(&pointer(at, k), "a line id (string) or null")),
            }
        };
        let (cp_id, cb_id) = (id("customerp")?, id("chargebee")?);
        if cp_id.is_none() && cb_id.is_none() {
            return Err(SyncError::invalid_value(at, "a line names its Customerp or Chargebee line id"));
        }
        let pairs: &[Value] = match self.ctx.scratch.get(crate::engine::LINE_PAIRS) {
            Some(Value::Array(pairs)) => pairs,
            _ => &[],
        };
        let names = |pair: &Value, side: &str, id: &Option<String>| id.as_ref().is_none_or(|id| pair.get(side).and_then(Value::as_str) == Some(id));
        let k = pairs
            .iter()
            .position(|pair| names(pair, "customerp", &cp_id) && names(pair, "chargebee", &cb_id))
            .ok_or_else(|| SyncError::invalid_value(at, format!("no line of this pair is {v}")))?;
        // A pair's Customerp lines come first, in Customerp's order: one with a Customerp id is one.
        if pairs[k][side.as_str()].is_null() {
            return Err(SyncError::invalid_value(at, format!("line {v} has no {} line", side.as_str())));
        }
        Ok(k)
    }

    /// Lets go of the record the run created, as a safe delete of its partner does, and ends the link.
    fn release(&mut self, side: Side, cp: Option<&Record>, cb: Option<&Record>) {
        self.plan.link = Link { customerp: None, chargebee: None };
        self.plan.base = None;
        match (side, alive(cp), alive(cb)) {
            (Side::Chargebee, _, Some(cb)) => {
                self.plan.customerp.reason = Some("undo: the link ends; Customerp is not written".into());
                let why = "undo: released in Chargebee, as a safe delete releases it (marked, not deleted)";
                self.delete_in_chargebee(cb, cp.map(|r| r.id.as_str()), false, why, Why::Release);
            }
            (Side::Customerp, Some(cp), _) => {
                self.plan.chargebee.reason = Some("undo: the link ends; Chargebee is not written".into());
                let why = "undo: released in Customerp, as a safe delete releases it (marked inactive, not deleted)";
                self.delete_in_customerp(cp, false, [why, why], Why::Release);
            }
            _ => self.hold_both("undo: nothing to release".into()),
        }
    }

    /// Puts properties back where they still hold what the run wrote.
    fn restore(&mut self, cp: &Record, cb: &Record, base: &Base, restores: Vec<Restore>) -> Result<()> {
        self.plan.link = Link { customerp: Some(cp.id.clone()), chargebee: Some(cb.id.clone()) };
        if let Some(why) = self.flow.released(cp, cb) {
            self.plan.base = self.input_base.clone();
            self.hold_both(why);
            return Ok(());
        }
        let n = self.props().len();
        let current = [&cp.values, &cb.values];
        let mut merged = [cp.values.clone(), cb.values.clone()];
        let mut base_sides = [base.customerp.clone(), base.chargebee.clone()];
        let mut write: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        let mut touched = vec![false; n];
        let manual = self.manual();
        for r in restores {
            let (s, p) = (r.side as usize, &self.props()[r.row]);
            if self.opts().is_read_only(r.side) {
                let message = format!("{} is read-only for this flow: {} is not put back there", r.side.as_str(), p.cp);
                self.ctx.warn("read_only", Some(p.cp), message);
                continue;
            }
            let now = element(&current[s][r.row], r.line);
            if p.same(now, &r.before) {
                // Already back (an undo applied whose base was not stored): the base says so.
                if !p.same(&r.before, &r.after) {
                    set_element(&mut base_sides[s][r.row], r.line, r.before, &current[s][r.row]);
                    touched[r.row] = true;
                }
                continue;
            }
            if !p.same(now, &r.after) {
                if r.follower {
                    continue;
                }
                self.skipped.push(Skipped {
                    side: r.side,
                    property: p.cp,
                    line: r.line.map(|k| self.line_of(k)),
                    chargebee: p.cb,
                    wrote: p.write_customerp_value(&r.after, &self.ctx),
                    now: p.write_customerp_value(now, &self.ctx),
                });
                continue;
            }
            if r.side == Side::Chargebee && r.before.is_null() && p.write_chargebee_value(&Value::Null, &self.ctx).is_none() {
                let message = format!("{} was empty in Chargebee before the run, but Chargebee cannot empty {}: not put back", p.cp, p.cb);
                self.ctx.warn("not_clearable", Some(p.cp), message);
                continue;
            }
            if r.side == Side::Chargebee && manual {
                // Nothing reaches Chargebee until a person acts: the base keeps the last sync's value.
                set_element(&mut merged[s][r.row], r.line, r.before, &current[s][r.row]);
            } else {
                set_element(&mut merged[s][r.row], r.line, r.before.clone(), &current[s][r.row]);
                set_element(&mut base_sides[s][r.row], r.line, r.before, &current[s][r.row]);
                touched[r.row] = true;
            }
            if !write[s].contains(&r.row) {
                write[s].push(r.row);
            }
            self.note(r.side, r.row, r.line, Why::Undo);
        }
        let [write_cp, mut write_cb] = write;
        let [merged_cp, mut merged_cb] = merged;
        let [mut base_cp, mut base_cb] = base_sides;
        if !write_cp.is_empty() {
            self.plan.customerp = self.customerp_update(cp, &write_cp, &merged_cp);
            self.plan.customerp.reason = Some("undo: put back in Customerp".into());
            // What Customerp will hold, as the next plan reads it: the rows it changes (a row fed by the
            // same field, a fallback) are recorded so, line by line.
            let changes = self.plan.customerp.changes.clone().unwrap_or_default();
            let after = self.read_customerp_after(cp, &changes);
            for (i, p) in self.props().iter().enumerate() {
                match (&after[i], &cp.values[i]) {
                    (Value::Array(a), now) if matches!(p.kind, Kind::Each(_)) => {
                        for (k, v) in a.iter().enumerate() {
                            if !p.same(v, element(now, Some(k))) {
                                set_element(&mut base_cp[i], Some(k), v.clone(), now);
                                touched[i] = true;
                            }
                        }
                    }
                    (a, now) if !p.same(a, now) => {
                        base_cp[i] = a.clone();
                        touched[i] = true;
                    }
                    _ => {}
                }
            }
            self.changed_rows(Side::Customerp, &cp.values, &after, |p| p.dir.writes_customerp(), Why::Undo);
        }
        write_cb.sort_unstable();
        if !write_cb.is_empty() {
            if manual {
                let instruction = self.flow.manual_instruction("update", Some(&cb.id), &write_cb, &merged_cb);
                self.plan.chargebee = ChargebeeAction { action: "manual", id: Some(cb.id.clone()), reason: Some(instruction), ..ChargebeeAction::none() };
            } else {
                let mut emptied = Vec::new();
                if let Some((lead, rows)) = self.flow.companions() {
                    // Writing the lead away from cancelled (a reopen) empties its companions in Chargebee.
                    let lead_row = self.props().iter().position(|p| p.cb == lead);
                    let reopens = lead_row.is_some_and(|l| write_cb.contains(&l) && merged_cb[l] != "cancelled");
                    if reopens && self.flow.lead_write_empties_companions(&cb.raw) {
                        for i in (0..n).filter(|&i| rows.contains(&self.props()[i].cb)) {
                            merged_cb[i] = Value::Null;
                            base_cb[i] = Value::Null;
                            touched[i] = true;
                            emptied.push(i);
                        }
                    }
                }
                let specs = self.flow.update_requests(&cb.id, &write_cb, &merged_cb, &cb.raw, &self.ctx);
                let expect = self.chargebee_expect(cb, &write_cb);
                self.plan.chargebee = self.chargebee_action("update", &cb.id, specs, expect);
                self.plan.chargebee.reason = Some("undo: put back in Chargebee".into());
                for &i in write_cb.iter().chain(&emptied) {
                    let why = if emptied.contains(&i) && !write_cb.contains(&i) { Why::EmptiedWithLead } else { Why::Undo };
                    self.changed_row(Side::Chargebee, i, &cb.values[i], &merged_cb[i], why);
                }
            }
        }
        if write_cp.is_empty() && write_cb.is_empty() {
            self.hold_both("undo: nothing to put back".into());
        }
        if !touched.contains(&true) {
            self.plan.base = self.input_base.clone();
            return Ok(());
        }
        // A base never holds the stand-in of a line the last sync did not know: such a line takes
        // what its side holds now.
        for i in (0..n).filter(|&i| matches!(self.props()[i].kind, Kind::Each(_))) {
            for (side, now) in [(&mut base_cp[i], &current[0][i]), (&mut base_cb[i], &current[1][i])] {
                if let Value::Array(items) = side {
                    for (k, v) in items.iter_mut().enumerate() {
                        if is_unknown(v) {
                            *v = element(now, Some(k)).clone();
                        }
                    }
                }
            }
        }
        let kept = (0..n)
            .map(|i| if touched[i] { !self.props()[i].same(&base_cp[i], &base_cb[i]) } else { base.is_kept(i) })
            .collect();
        self.plan.base = Some(self.new_base_kept(base_cp, base_cb, kept));
        Ok(())
    }
}
