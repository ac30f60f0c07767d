//! Finds partners for unlinked records by the flow's merge criteria, in linear time: one hash
//! map per criterion. A key shared by more than one record on either side links nothing and is
//! reported as ambiguous, so no partner is ever guessed.

use crate::engine::record::unwrap_resource;
use crate::engine::{Criterion, Flow};
use crate::error::{pointer, Result, SyncError};
use crate::values;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchLink {
    pub customerp: String,
    pub chargebee: String,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ambiguous {
    pub customerp: Vec<String>,
    pub chargebee: Vec<String>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct MatchResult {
    pub links: Vec<MatchLink>,
    pub ambiguous: Vec<Ambiguous>,
    /// Key comparisons made (hash probes), for the scaling guard; not part of the JS result.
    #[serde(skip)]
    pub operations: u64,
}

struct Candidate<'a> {
    id: String,
    rec: &'a Value,
}

fn read_side<'a>(flow: &dyn Flow, v: &'a Value, root: &str, customerp: bool) -> Result<Vec<Candidate<'a>>> {
    let arr = v.as_array().ok_or_else(|| SyncError::invalid_type(root, "an array of records"))?;
    let mut out = Vec::with_capacity(arr.len());
    for (i, rec) in arr.iter().enumerate() {
        let at = pointer(root, &i.to_string());
        let rec = if customerp { rec } else { unwrap_resource(flow, rec).0 };
        if !rec.is_object() {
            return Err(SyncError::invalid_type(&at, "a record object"));
        }
        let id_path = pointer(&at, "id");
        let id = if customerp {
            values::read_id(rec.get("id").unwrap_or(&Value::Null), &id_path)?
        } else {
            match rec.get("id") {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                None | Some(Value::Null) => return Err(SyncError::missing(&id_path)),
                Some(_) => return Err(SyncError::invalid_type(&id_path, "a Chargebee id string")),
            }
        };
        if rec.get("deleted").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        if !customerp && flow.foreign_chargebee(rec) {
            continue; // belongs to another flow or was let go by a safe delete
        }
        out.push(Candidate { id, rec });
    }
    Ok(out)
}

/// Matches unlinked Customerp records to unlinked Chargebee records.
pub fn match_records(flow: &dyn Flow, customerp: &Value, chargebee: &Value) -> Result<MatchResult> {
    let cps = read_side(flow, customerp, "/customerp", true).map_err(|e| e.in_flow(flow.id().as_str()))?;
    let cbs = read_side(flow, chargebee, "/chargebee", false).map_err(|e| e.in_flow(flow.id().as_str()))?;
    let mut result = MatchResult::default();
    let mut cp_taken = vec![false; cps.len()];
    let mut cb_taken = vec![false; cbs.len()];
    for criterion in flow.criteria() {
        match_by(criterion, &cps, &cbs, &mut cp_taken, &mut cb_taken, &mut result);
    }
    Ok(result)
}

fn match_by(
    c: &Criterion,
    cps: &[Candidate],
    cbs: &[Candidate],
    cp_taken: &mut [bool],
    cb_taken: &mut [bool],
    out: &mut MatchResult,
) {
    // key → (Customerp indices, Chargebee indices); `order` keeps first-seen order for stable output.
    let mut groups: HashMap<String, (Vec<usize>, Vec<usize>)> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for (i, cand) in cps.iter().enumerate() {
        if cp_taken[i] {
            continue;
        }
        if let Some(k) = (c.customerp)(cand.rec) {
            out.operations += 1;
            let g = groups.entry(k.clone()).or_insert_with(|| {
                order.push(k);
                (Vec::new(), Vec::new())
            });
            g.0.push(i);
        }
    }
    for (j, cand) in cbs.iter().enumerate() {
        if cb_taken[j] {
            continue;
        }
        if let Some(k) = (c.chargebee)(cand.rec) {
            out.operations += 1;
            if let Some(g) = groups.get_mut(&k) {
                g.1.push(j);
            }
        }
    }
    for key in order {
        let Some((cp_idx, cb_idx)) = groups.remove(&key) else { continue };
        match (cp_idx.as_slice(), cb_idx.as_slice()) {
            (_, []) => {}
            ([i], [j]) => {
                cp_taken[*i] = true;
                cb_taken[*j] = true;
                out.links.push(MatchLink { customerp: cps[*i].id.clone(), chargebee: cbs[*j].id.clone(), by: c.by.into() });
            }
            _ => {
                // Ambiguous: taken out of later criteria too, so a weaker key cannot guess.
                cp_idx.iter().for_each(|&i| cp_taken[i] = true);
                cb_idx.iter().for_each(|&j| cb_taken[j] = true);
                out.ambiguous.push(Ambiguous {
                    customerp: cp_idx.iter().map(|&i| cps[i].id.clone()).collect(),
                    chargebee: cb_idx.iter().map(|&j| cbs[j].id.clone()).collect(),
                    by: c.by.into(),
                });
            }
        }
    }
}
