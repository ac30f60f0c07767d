//! From merged rows to writes: the Customerp change, and the Chargebee requests with what each
//! expects to find (the target's clock and the values the plan was based on).

use super::*;

impl<'f, 'c> Planner<'f, 'c> {
    pub(super) fn customerp_update(&self, cp: &Record, rows: &[usize], merged: &[Value]) -> CustomerpAction {
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

    pub(super) fn chargebee_expect(&self, cb: &Record, rows: &[usize]) -> Value {
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

    pub(super) fn chargebee_action(&self, action: &'static str, id: &str, specs: Vec<RequestSpec>, expect: Value) -> ChargebeeAction {
        if specs.is_empty() {
            return ChargebeeAction { id: Some(id.to_string()), ..ChargebeeAction::none() };
        }
        let requests = keyed_requests(self.flow.id(), specs, &expect, self.input_base.as_ref(), self.undo.as_ref());
        ChargebeeAction { action, id: Some(id.to_string()), requests, expect: Some(expect), reason: None }
    }
}
