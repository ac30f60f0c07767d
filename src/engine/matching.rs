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
use std::hash::BuildHasher;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchLink {
    pub customerp: String,
    pub chargebee: String,
    pub by: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ambiguous {
    pub customerp: Vec<String>,
    pub chargebee: Vec<String>,
    pub by: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct MatchResult {
    pub links: Vec<MatchLink>,
    pub ambiguous: Vec<Ambiguous>,
    /// Key comparisons made (hash probes), for the scaling guard; not part of the JS result.
    #[serde(skip)]
    pub operations: u64,
}

/// Where a string sits in a [`Side`]'s text; `start == NONE` for no string.
#[derive(Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

impl Span {
    const NONE: u32 = u32::MAX;
}

/// The text of a side, in chunks that are never moved: growing it never copies what is there, and
/// never holds the old and the new copy at once (a million e-mails are tens of MB).
#[derive(Default)]
struct Arena {
    chunks: Vec<String>,
}

impl Arena {
    const CHUNK: usize = 1 << 20;

    fn push(&mut self, s: &str) -> Span {
        // Offsets within a chunk stay below CHUNK, so `start / CHUNK` names the chunk.
        let fits = self.chunks.last().is_some_and(|c| c.len() + s.len() <= Self::CHUNK.min(c.capacity()));
        if !fits {
            self.chunks.push(String::with_capacity(s.len().max(Self::CHUNK)));
        }
        let chunk = self.chunks.len() - 1;
        let c = &mut self.chunks[chunk];
        let start = chunk * Self::CHUNK + c.len();
        c.push_str(s);
        // A string longer than a chunk gets a chunk of its own, which nothing else joins. Offsets fit
        // u32 for 4 GiB of text, all a Wasm memory holds.
        Span { start: start as u32, len: s.len() as u32 }
    }

    fn get(&self, span: Span) -> &str {
        let (chunk, at) = (span.start as usize / Self::CHUNK, span.start as usize % Self::CHUNK);
        &self.chunks[chunk][at..at + span.len as usize]
    }
}

/// The records of one side as matching sees them: each one's id and its key under each of the
/// flow's criteria, all in one arena of text. A million records are a few allocations, not millions.
#[derive(Default)]
struct Side {
    text: Arena,
    /// Per record: its id.
    ids: Vec<Span>,
    /// Per record, then per criterion: its key, if it has one.
    keys: Vec<Span>,
    /// The records by id, to refuse a second record with an id already given.
    by_id: hashbrown::HashTable<u32>,
    hasher: std::collections::hash_map::RandomState,
    /// List indices of the records left out (deleted, another flow's, refused), ascending: only for messages.
    skipped: Vec<usize>,
}

impl Side {
    /// The record already pushed with this id, as its index in the caller's list.
    fn find(&self, id: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(id);
        let at = *self.by_id.find(hash, |&r| self.id(r as usize) == id)? as usize;
        // A pushed record's list index is its own plus the left-out ones before it.
        Some(self.skipped.iter().fold(at, |i, &k| if k <= i { i + 1 } else { i }))
    }

    fn push(&mut self, id: &str, keys: impl Iterator<Item = Option<String>>) {
        let hash = self.hasher.hash_one(id);
        let (ids, text, hasher) = (&self.ids, &self.text, &self.hasher);
        self.by_id.insert_unique(hash, ids.len() as u32, |&r| hasher.hash_one(text.get(ids[r as usize])));
        let id = self.text.push(id);
        self.ids.push(id);
        for key in keys {
            let span = match key {
                Some(k) => self.text.push(&k),
                None => Span { start: Span::NONE, len: 0 },
            };
            self.keys.push(span);
        }
    }

    fn reserve(&mut self, records: usize, criteria: usize) {
        self.ids.reserve_exact(records);
        self.keys.reserve_exact(records * criteria);
        let (ids, text, hasher) = (&self.ids, &self.text, &self.hasher);
        self.by_id.reserve(records, |&r| hasher.hash_one(text.get(ids[r as usize])));
    }

    fn len(&self) -> usize {
        self.ids.len()
    }

    fn id(&self, i: usize) -> &str {
        self.text.get(self.ids[i])
    }

    /// Record `i`'s key under criterion `k` of `criteria`.
    fn key(&self, i: usize, k: usize, criteria: usize) -> Option<&str> {
        let span = self.keys[i * criteria + k];
        (span.start != Span::NONE).then(|| self.text.get(span))
    }
}

/// Matching fed one record at a time: only each record's id and keys are kept, so a caller holding
/// a million records as text or JS objects never has to turn them into a million values at once.
pub struct Matcher<'f> {
    flow: &'f dyn Flow,
    cps: Side,
    cbs: Side,
}

impl<'f> Matcher<'f> {
    pub fn new(flow: &'f dyn Flow) -> Self {
        Matcher { flow, cps: Side::default(), cbs: Side::default() }
    }

    /// Adds the Customerp record at index `i` of its list. One it refuses takes no part.
    pub fn customerp(&mut self, i: usize, rec: &Value) -> Result<()> {
        add(self.flow, &mut self.cps, rec, "/customerp", i, true).inspect_err(|_| self.cps.skipped.push(i))
    }

    /// Adds the Chargebee record at index `i` of its list. One it refuses takes no part.
    pub fn chargebee(&mut self, i: usize, rec: &Value) -> Result<()> {
        add(self.flow, &mut self.cbs, rec, "/chargebee", i, false).inspect_err(|_| self.cbs.skipped.push(i))
    }

    /// Record `i` of a side's list could not even be read: it takes no part, and the records after it
    /// keep their indices (a duplicate id's message names the index of the first record with it).
    pub fn refused(&mut self, customerp: bool, i: usize) {
        if customerp { self.cps.skipped.push(i) } else { self.cbs.skipped.push(i) }
    }

    /// Room for this many records per side, when the caller knows how many will come.
    pub fn reserve(&mut self, customerp: usize, chargebee: usize) {
        let k = self.flow.criteria().len();
        self.cps.reserve(customerp, k);
        self.cbs.reserve(chargebee, k);
    }

    pub fn finish(mut self) -> MatchResult {
        // The id indices are done with: their memory goes to the matching.
        self.cps.by_id = Default::default();
        self.cbs.by_id = Default::default();
        match_sides(self.flow, &self.cps, &self.cbs)
    }
}

/// Adds the record at index `i` of a side's list, unless it cannot match (deleted, or another flow's).
fn add(flow: &dyn Flow, side: &mut Side, rec: &Value, root: &str, i: usize, customerp: bool) -> Result<()> {
    let rec = if customerp { rec } else { unwrap_resource(flow, rec).0 };
    // Error paths are built only for an error: this runs for every record of both lists.
    let at = || pointer(root, &i.to_string());
    let fail = |e: SyncError| e.in_flow(flow.id().as_str());
    if !rec.is_object() {
        return Err(fail(SyncError::invalid_type(&at(), "a record object")));
    }
    let id_path = || pointer(&at(), "id");
    let id = if customerp {
        let v = rec.get("id").unwrap_or(&Value::Null);
        match v {
            Value::String(s) if !s.trim().is_empty() => std::borrow::Cow::Borrowed(s.trim()),
            _ => std::borrow::Cow::Owned(values::read_id(v, &id_path()).map_err(fail)?),
        }
    } else {
        match rec.get("id") {
            Some(Value::String(s)) if !s.is_empty() => std::borrow::Cow::Borrowed(s.as_str()),
            None | Some(Value::Null) => return Err(fail(SyncError::missing(&id_path()))),
            Some(_) => return Err(fail(SyncError::invalid_type(&id_path(), "a Chargebee id string"))),
        }
    };
    // A deleted record takes no part, and its id may come again: Chargebee frees the id of a deleted
    // item or item price for a new one.
    if rec.get("deleted").and_then(Value::as_bool) == Some(true) || (!customerp && flow.foreign_chargebee(rec)) {
        side.skipped.push(i);
        return Ok(()); // deleted, or belongs to another flow or was let go by a safe delete
    }
    // Two live records with one id would each get a partner: one record linked twice.
    if let Some(first) = side.find(&id) {
        let why = format!("duplicate id {id:?}: record {first} of the list has it too; each record may be given once");
        return Err(fail(SyncError::invalid_value(&id_path(), why).for_record(Some(&id))));
    }
    let key = |c: &Criterion| if customerp { (c.customerp)(rec) } else { (c.chargebee)(rec) };
    side.push(&id, flow.criteria().iter().map(key));
    Ok(())
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

fn match_sides(flow: &dyn Flow, cps: &Side, cbs: &Side) -> MatchResult {
    let mut result = MatchResult::default();
    let mut cp_taken = vec![false; cps.len()];
    let mut cb_taken = vec![false; cbs.len()];
    for (k, criterion) in flow.criteria().iter().enumerate() {
        match_by(criterion, k, flow.criteria().len(), cps, cbs, &mut cp_taken, &mut cb_taken, &mut result);
    }
    result
}

/// The records that share one key: the first and last of each side, chained through `next`.
struct Group {
    cp: Chain,
    cb: Chain,
}

#[derive(Clone, Copy)]
struct Chain {
    first: usize,
    last: usize,
    count: usize,
}

impl Chain {
    const EMPTY: Chain = Chain { first: usize::MAX, last: usize::MAX, count: 0 };

    fn push(&mut self, i: usize, next: &mut [usize]) {
        if self.count == 0 {
            self.first = i;
        } else {
            next[self.last] = i;
        }
        self.last = i;
        self.count += 1;
    }

    /// The indices in the order they were pushed.
    fn iter<'a>(&self, next: &'a [usize]) -> impl Iterator<Item = usize> + 'a {
        let (mut i, mut left) = (self.first, self.count);
        std::iter::from_fn(move || {
            (left > 0).then(|| {
                let cur = i;
                left -= 1;
                if left > 0 {
                    i = next[cur];
                }
                cur
            })
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn match_by(
    c: &Criterion,
    k: usize,
    criteria: usize,
    cps: &Side,
    cbs: &Side,
    cp_taken: &mut [bool],
    cb_taken: &mut [bool],
    out: &mut MatchResult,
) {
    // key → its group; groups are numbered in first-seen order, which keeps the output stable.
    let keys = (0..cps.len()).filter(|&i| !cp_taken[i] && cps.key(i, k, criteria).is_some()).count();
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(keys);
    let mut groups: Vec<Group> = Vec::with_capacity(keys);
    let mut cp_next = vec![usize::MAX; cps.len()];
    let mut cb_next = vec![usize::MAX; cbs.len()];
    for (i, _) in cp_taken.iter().enumerate().filter(|(_, taken)| !**taken) {
        if let Some(key) = cps.key(i, k, criteria) {
            out.operations += 1;
            let g = *index.entry(key).or_insert_with(|| {
                groups.push(Group { cp: Chain::EMPTY, cb: Chain::EMPTY });
                groups.len() - 1
            });
            groups[g].cp.push(i, &mut cp_next);
        }
    }
    for (j, _) in cb_taken.iter().enumerate().filter(|(_, taken)| !**taken) {
        if let Some(key) = cbs.key(j, k, criteria) {
            out.operations += 1;
            if let Some(&g) = index.get(key) {
                groups[g].cb.push(j, &mut cb_next);
            }
        }
    }
    drop(index);
    for g in &groups {
        match (g.cp.count, g.cb.count) {
            (_, 0) => {}
            (1, 1) => {
                let (i, j) = (g.cp.first, g.cb.first);
                cp_taken[i] = true;
                cb_taken[j] = true;
                out.links.push(MatchLink { customerp: cps.id(i).to_string(), chargebee: cbs.id(j).to_string(), by: c.by });
            }
            _ => {
                // Ambiguous: taken out of later criteria too, so a weaker key cannot guess.
                g.cp.iter(&cp_next).for_each(|i| cp_taken[i] = true);
                g.cb.iter(&cb_next).for_each(|j| cb_taken[j] = true);
                out.ambiguous.push(Ambiguous {
                    customerp: g.cp.iter(&cp_next).map(|i| cps.id(i).to_string()).collect(),
                    chargebee: g.cb.iter(&cb_next).map(|j| cbs.id(j).to_string()).collect(),
                    by: c.by,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::api;
    use serde_json::json;

    fn matched(cps: serde_json::Value, cbs: serde_json::Value) -> crate::error::Result<super::MatchResult> {
        api::match_records("contact-customer", &cps, &cbs, None)
    }

    #[test]
    fn a_second_live_record_with_an_id_is_refused_on_either_side() {
        // Without the check, contact 17 linked to both customers.
        let e = matched(
            json!([{"id": "17", "email": "a@example.com"}, {"id": "5", "email": "x@example.com"}, {"id": 17, "email": "b@example.com"}]),
            json!([{"id": "cb1", "email": "a@example.com"}, {"id": "cb2", "email": "b@example.com"}]),
        )
        .unwrap_err();
        assert_eq!((e.code.as_str(), e.path.as_str(), e.record_id.as_deref()), ("invalid_value", "/customerp/2/id", Some("17")));
        assert!(e.message.contains(r#"duplicate id "17""#) && e.message.contains("record 0"), "{}", e.message);
        // The first occurrence's index counts the records left out before it.
        let e = matched(
            json!([{"id": "1", "email": "a@example.com"}, {"id": "2", "email": "b@example.com"}]),
            json!([{"id": "gone", "deleted": true}, {"id": "cb1", "email": "a@example.com"}, {"id": "cb1", "email": "b@example.com"}]),
        )
        .unwrap_err();
        assert_eq!(e.path, "/chargebee/2/id");
        assert!(e.message.contains("record 1 of the list"), "{}", e.message);
    }

    #[test]
    fn a_deleted_record_may_share_its_id_with_a_live_one() {
        // Chargebee frees a deleted item's id; a list may hold the deleted one and its successor.
        let m = matched(
            json!([{"id": "1", "email": "a@example.com"}]),
            json!([{"id": "cb1", "email": "a@example.com", "deleted": true}, {"id": "cb1", "email": "a@example.com"}]),
        )
        .unwrap();
        assert_eq!(m.links.len(), 1);
        assert_eq!(m.links[0].chargebee, "cb1");
    }
}
