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

/// A record as matching sees it: its id and its key under each of the flow's criteria.
struct Candidate {
    id: String,
    keys: Vec<Option<String>>,
}

/// Matching fed one record at a time: only each record's id and keys are kept, so a caller holding
/// a million records as text or JS objects never has to turn them into a million values at once.
pub struct Matcher<'f> {
    flow: &'f dyn Flow,
    cps: Vec<Candidate>,
    cbs: Vec<Candidate>,
}

impl<'f> Matcher<'f> {
    pub fn new(flow: &'f dyn Flow) -> Self {
        Matcher { flow, cps: Vec::new(), cbs: Vec::new() }
    }

    /// Adds the Customerp record at index `i` of its list.
    pub fn customerp(&mut self, i: usize, rec: &Value) -> Result<()> {
        let c = candidate(self.flow, rec, &pointer("/customerp", &i.to_string()), true).map_err(|e| e.in_flow(self.flow.id().as_str()))?;
        self.cps.extend(c);
        Ok(())
    }

    /// Adds the Chargebee record at index `i` of its list.
    pub fn chargebee(&mut self, i: usize, rec: &Value) -> Result<()> {
        let c = candidate(self.flow, rec, &pointer("/chargebee", &i.to_string()), false).map_err(|e| e.in_flow(self.flow.id().as_str()))?;
        self.cbs.extend(c);
        Ok(())
    }

    pub fn finish(self) -> MatchResult {
        match_candidates(self.flow, &self.cps, &self.cbs)
    }
}

/// The candidate a record is, or none when it cannot match (deleted, or another flow's).
fn candidate(flow: &dyn Flow, rec: &Value, at: &str, customerp: bool) -> Result<Option<Candidate>> {
    let rec = if customerp { rec } else { unwrap_resource(flow, rec).0 };
    if !rec.is_object() {
        return Err(SyncError::invalid_type(at, "a record object"));
    }
    let id_path = pointer(at, "id");
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
        return Ok(None);
    }
    if !customerp && flow.foreign_chargebee(rec) {
        return Ok(None); // belongs to another flow or was let go by a safe delete
    }
    let key = |c: &Criterion| if customerp { (c.customerp)(rec) } else { (c.chargebee)(rec) };
    Ok(Some(Candidate { id, keys: flow.criteria().iter().map(key).collect() }))
}

/// Matches unlinked Customerp records to unlinked Chargebee records.
pub fn match_records(flow: &dyn Flow, customerp: &Value, chargebee: &Value) -> Result<MatchResult> {
    let not_a_list = |root: &str| SyncError::invalid_type(root, "an array of records").in_flow(flow.id().as_str());
    let mut m = Matcher::new(flow);
    for (i, rec) in customerp.as_array().ok_or_else(|| not_a_list("/customerp"))?.iter().enumerate() {
        m.customerp(i, rec)?;
    }
    for (i, rec) in chargebee.as_array().ok_or_else(|| not_a_list("/chargebee"))?.iter().enumerate() {
        m.chargebee(i, rec)?;
    }
    Ok(m.finish())
}

fn match_candidates(flow: &dyn Flow, cps: &[Candidate], cbs: &[Candidate]) -> MatchResult {
    let mut result = MatchResult::default();
    let mut cp_taken = vec![false; cps.len()];
    let mut cb_taken = vec![false; cbs.len()];
    for (k, criterion) in flow.criteria().iter().enumerate() {
        match_by(criterion, k, cps, cbs, &mut cp_taken, &mut cb_taken, &mut result);
    }
    result
}

fn match_by(
    c: &Criterion,
    k: usize,
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
        if let Some(key) = &cand.keys[k] {
            out.operations += 1;
            let g = groups.entry(key.clone()).or_insert_with(|| {
                order.push(key.clone());
                (Vec::new(), Vec::new())
            });
            g.0.push(i);
        }
    }
    for (j, cand) in cbs.iter().enumerate() {
        if cb_taken[j] {
            continue;
        }
        if let Some(key) = &cand.keys[k] {
            out.operations += 1;
            if let Some(g) = groups.get_mut(key) {
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
