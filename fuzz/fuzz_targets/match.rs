#![no_main]
use customerp_chargebee::api;
use customerp_chargebee::options::Side;
use customerp_chargebee_fuzz::*;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    let Some(i) = decode(data) else { return };
    let (cps, cbs) = match &i.value {
        Value::Array(a) if a.len() == 2 => (a[0].clone(), a[1].clone()),
        other => (other.clone(), Value::Array(vec![])),
    };
    let a = api::match_records(i.flow, &cps, &cbs, opts(&i));
    check_deterministic(&a, &api::match_records(i.flow, &cps, &cbs, opts(&i)));
    // The Matcher fed in pages of three: match's first error is its first, or else the same result.
    let paged = paged(i.flow, &cps, &cbs, opts(&i));
    match a {
        Err(e) => {
            check_error(&e);
            match paged {
                Err(p) => assert_eq!(p, e, "the Matcher's first error differs from match's"),
                Ok(_) => panic!("match refused what the Matcher took: {e}"),
            }
        }
        Ok(m) => {
            assert_eq!(paged.as_ref(), Ok(&m), "the Matcher in pages differs from match");
            // A record is linked at most once (two live records of one id are an error), and never
            // both linked and ambiguous.
            let mut cp_seen = HashSet::new();
            let mut cb_seen = HashSet::new();
            for l in &m.links {
                assert!(cp_seen.insert(l.customerp.clone()), "customerp {} linked twice", l.customerp);
                assert!(cb_seen.insert(l.chargebee.clone()), "chargebee {} linked twice", l.chargebee);
            }
            for amb in &m.ambiguous {
                assert!(amb.customerp.len() + amb.chargebee.len() > 2, "an ambiguity of one pair: {amb:?}");
            }
        }
    }
});

/// The Matcher's result, or the first error any page gave (Customerp's pages first, as match reads them).
fn paged(flow: &str, cps: &Value, cbs: &Value, options: Option<&Value>) -> Result<customerp_chargebee::engine::matching::MatchResult, customerp_chargebee::SyncError> {
    let mut m = api::MatchStream::new(flow, options)?;
    let mut errors = Vec::new();
    for (side, list) in [(Side::Customerp, cps), (Side::Chargebee, cbs)] {
        match list.as_array() {
            Some(records) => {
                for page in records.chunks(3) {
                    errors.extend(m.add(side, page.iter().map(Ok))?);
                }
            }
            None => errors.extend(m.add_list(side, list).err()),
        }
    }
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    m.finish()
}
