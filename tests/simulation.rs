//! A model-based simulation of quote-order and order-order: an in-memory Customerp record and
//! Chargebee order, random edits on both sides of every two-way property (lines included) in every
//! round, plans applied to both, and after each round: the two sides agree on every two-way
//! property, planning again writes nothing, nothing is created twice, and every edit that did not
//! survive is reported as a conflict naming its property (and its line). Seeded and bounded; the
//! seeds and rounds are printed.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{apply_customerp, fake_chargebee};
use customerp_chargebee::api;
use customerp_chargebee::engine::record::{read_chargebee, read_customerp};
use customerp_chargebee::engine::table::{Dir, Kind, Prop};
use customerp_chargebee::engine::{Ctx, Links};
use customerp_chargebee::flows;
use customerp_chargebee::options::Options;
use serde_json::{json, Value};

const SEEDS: [u64; 5] = [1, 7, 42, 2026, 90210];
const ROUNDS: usize = 120;

/// xorshift64*: small, seeded, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

fn links() -> Value {
    json!({"contact-customer": {"17": "cp-contact-17"}, "product-item": {"P-KIT-1": "KIT-1", "P-KIT-2": "KIT-2", "P-KIT-3": "KIT-3"}})
}

fn props(flow: &str) -> &'static [Prop] {
    flows::get(flow).unwrap().props()
}

/// Both sides in canonical form, lines paired as the base pairs them.
fn canon(flow: &str, cp: &Value, cb: &Value, base: &Value) -> (Vec<Value>, Vec<Value>) {
    let f = flows::get(flow).unwrap();
    let o = Options::parse(None, &f.property_names()).unwrap();
    let l = Links::parse(Some(&links()), "/links").unwrap();
    let mut ctx = Ctx::new(&o, &l);
    if let Some(pairs) = base.get("lines") {
        ctx.scratch.insert(customerp_chargebee::engine::BASE_LINE_PAIRS.into(), pairs.clone());
    }
    let a = read_customerp(f, cp, "/customerp", &mut ctx).unwrap_or_else(|e| panic!("{e}: {cp}")).values;
    let b = read_chargebee(f, cb, "/chargebee", &mut ctx).unwrap_or_else(|e| panic!("{e}: {cb}")).values;
    (a, b)
}

fn plan(flow: &str, cp: &Value, cb: &Value, base: &Value) -> Value {
    let input = json!({"customerp": cp, "chargebee": cb, "base": base, "links": links()});
    serde_json::to_value(api::plan(flow, &input, None).unwrap_or_else(|e| panic!("plan failed: {e}\ninput: {input}"))).unwrap()
}

fn writes(p: &Value) -> bool {
    p["customerp"]["action"] != "none" || !p["chargebee"]["requests"].as_array().unwrap().is_empty()
}

fn instant(t: i64) -> String {
    jiff::Timestamp::from_second(t).unwrap().to_string()
}

const DATES: [&str; 4] = ["2026-03-02", "2026-03-09", "2026-04-01", "2026-05-17"];
const NOTES: [&str; 4] = ["Levér før påske", "Ring først – 電話", "Porten er låst", ""];
const CITIES: [&str; 4] = ["Bergen", "Tromsø", "Köln", ""];
const ZIPS: [&str; 3] = ["5016", "9008", ""];
const COUNTRIES: [&str; 3] = ["NO", "DE", ""];
const SKUS: [&str; 5] = ["KIT-1", "KIT-1-A", "KIT-2-B", "KIT-3", "SKU-Ø"];
const LINE_STATUSES: [&str; 6] = ["queued", "awaiting_shipment", "on_hold", "shipped", "delivered", "returned"];
const REASONS: [&str; 3] = ["product_unsatisfactory", "alternative_found", "others"];

fn midnight(date: &str) -> i64 {
    date.parse::<jiff::civil::Date>().unwrap().to_zoned_datetime(jiff::tz::TimeZone::UTC).unwrap().timestamp().as_second()
}

/// Sets a field, or removes it for "".
fn set(rec: &mut Value, key: &str, v: &str) {
    if v.is_empty() {
        rec.as_object_mut().unwrap().remove(key);
    } else {
        rec[key] = json!(v);
    }
}

/// The kinds of edit (each side has the same kinds, so both may edit the same property).
fn kinds(flow: &str) -> usize {
    if flow == "order-order" { 9 } else { 6 }
}

fn edit_customerp(flow: &str, rec: &mut Value, rng: &mut Rng, kind: usize) {
    let order = flow == "order-order";
    match kind {
        0 => {
            let statuses: &[&str] = if order {
                &["confirmed", "on_hold", "awaiting_shipment", "shipped", "partially_delivered", "delivered", "returned", "cancelled"]
            } else {
                &["accepted", "declined", "expired"]
            };
            let s = rng.pick(statuses);
            rec["status"] = json!(s);
            if order && s == "cancelled" && rng.below(2) == 0 {
                rec["cancellation_reason"] = json!(rng.pick(&REASONS));
            } else if order && s != "cancelled" && rng.below(2) == 0 {
                // An order taken out of cancellation forgets why it was cancelled (or keeps it, stale).
                rec.as_object_mut().unwrap().remove("cancellation_reason");
                rec.as_object_mut().unwrap().remove("cancelled_at");
            }
        }
        1 => set(rec, "note", rng.pick(&NOTES)),
        2 => set(rec, if order { "order_date" } else { "quote_date" }, rng.pick(&DATES)),
        3 => {
            let (k, v) = match rng.below(3) {
                0 => ("city", rng.pick(&CITIES)),
                1 => ("postal_code", rng.pick(&ZIPS)),
                _ => ("country", rng.pick(&COUNTRIES)),
            };
            if !rec["delivery_address"].is_object() {
                rec["delivery_address"] = json!({});
            }
            set(&mut rec["delivery_address"], k, v);
        }
        4 | 5 => {
            let k = rng.below(rec["lines"].as_array().unwrap().len());
            rec["lines"][k]["sku"] = json!(rng.pick(&SKUS));
        }
        6 => rec["lines"][rng.below(3)]["status"] = json!(rng.pick(&LINE_STATUSES)),
        7 => set(rec, rng.pick(&["tracking_number", "carrier"]), rng.pick(&["TRK-1", "Posten", "ヤマト", ""])),
        _ => set(rec, "delivery_date", rng.pick(&DATES)),
    }
}

fn edit_chargebee(rec: &mut Value, rng: &mut Rng, now: i64, kind: usize) {
    match kind {
        0 => {
            let o = rec.as_object_mut().unwrap();
            if o["status"] == "cancelled" {
                // Reopened (POST /orders/{id}/reopen), then maybe moved on.
                o.remove("cancellation_reason");
                o.remove("cancelled_at");
                o.insert("status".into(), json!(rng.pick(&["queued", "shipped"])));
            } else if rng.below(3) == 0 {
                o.insert("status".into(), json!("cancelled"));
                o.insert("cancellation_reason".into(), json!(rng.pick(&REASONS)));
                o.insert("cancelled_at".into(), json!(now));
            } else {
                o.insert("status".into(), json!(rng.pick(&["queued", "awaiting_shipment", "on_hold", "shipped", "partially_delivered", "delivered", "returned"])));
            }
        }
        1 => set(rec, "note", rng.pick(&NOTES)),
        2 => rec["order_date"] = json!(midnight(rng.pick(&DATES))),
        3 => {
            let (k, v) = match rng.below(3) {
                0 => ("city", rng.pick(&CITIES)),
                1 => ("zip", rng.pick(&ZIPS)),
                _ => ("country", rng.pick(&COUNTRIES)),
            };
            if !rec["shipping_address"].is_object() {
                rec["shipping_address"] = json!({});
            }
            set(&mut rec["shipping_address"], k, v);
        }
        4 | 5 => {
            let k = rng.below(rec["order_line_items"].as_array().unwrap().len());
            rec["order_line_items"][k]["sku"] = json!(rng.pick(&SKUS));
        }
        6 => rec["order_line_items"][rng.below(3)]["status"] = json!(rng.pick(&LINE_STATUSES)),
        7 => set(rec, rng.pick(&["tracking_id", "shipment_carrier"]), rng.pick(&["TRK-2", "Bring", "佐川", ""])),
        _ => rec["shipping_date"] = json!(midnight(rng.pick(&DATES))),
    }
}

fn initial(flow: &str) -> Value {
    let line = |i: usize| json!({"id": format!("L{i}"), "product_id": format!("P-KIT-{i}"), "sku": format!("KIT-{i}"),
        "description": format!("Sett {i}"), "quantity": i, "unit_price": "99.50"});
    let mut rec = json!({"id": "5", "number": "SO-2026-0200", "contact_id": "17", "currency": "NOK",
        "note": "Første levering", "delivery_address": {"street_1": "Kaigata 3", "city": "Bergen", "country": "NO"},
        "lines": [line(1), line(2), line(3)], "created": "2026-03-01T08:00:00Z", "updated": "2026-03-01T08:00:00Z"});
    if flow == "order-order" {
        rec["status"] = json!("confirmed");
        rec["order_date"] = json!("2026-03-02");
    } else {
        rec["status"] = json!("accepted");
        rec["quote_date"] = json!("2026-03-02");
    }
    rec
}

/// Plans and applies until a plan writes nothing; returns the plans that wrote.
fn settle(flow: &str, cp: &mut Value, cb: &mut Value, base: &mut Value, now: i64, ctx: &str) -> Vec<Value> {
    let mut written = Vec::new();
    for n in 0..4 {
        let p = plan(flow, cp, cb, base);
        assert!(p["customerp"]["action"] != "create" && p["chargebee"]["action"] != "create", "{ctx}: a twin: {p}");
        if !writes(&p) {
            assert_eq!(p["conflicts"], json!([]), "{ctx}: a plan without writes reports conflicts: {p}");
            *base = p["base"].clone();
            return written;
        }
        // The second plan may only bring back what Chargebee filled in itself (a cancellation's date).
        if n > 0 {
            assert_eq!(p["chargebee"]["requests"], json!([]), "{ctx}: planning again writes Chargebee: {p}");
            let keys: Vec<&String> = p["customerp"]["changes"].as_object().map(|m| m.keys().collect()).unwrap_or_default();
            assert!(keys.iter().all(|k| *k == "cancelled_at"), "{ctx}: planning again writes Customerp: {p}");
        }
        *cb = fake_chargebee::apply(Some(cb.clone()), &p, now + n as i64).unwrap();
        *cp = apply_customerp(Some(cp.clone()), &p, "", &instant(now + n as i64)).unwrap();
        *base = p["base"].clone();
        written.push(p);
    }
    panic!("{ctx}: not settled after 4 plans");
}

/// What one side changed in a round: (row, line) → the value it set.
fn edits(flow: &str, before: &[Value], after: &[Value]) -> Vec<(usize, Option<usize>, Value)> {
    let mut out = Vec::new();
    for (i, p) in props(flow).iter().enumerate() {
        if p.dir != Dir::Both {
            continue;
        }
        match (p.kind, &before[i], &after[i]) {
            (Kind::Each(_), Value::Array(x), Value::Array(y)) => {
                for k in 0..x.len().min(y.len()) {
                    if !p.same(&x[k], &y[k]) {
                        out.push((i, Some(k), y[k].clone()));
                    }
                }
            }
            (_, x, y) if !p.same(x, y) => out.push((i, None, y.clone())),
            _ => {}
        }
    }
    out
}

fn value_at(v: &[Value], i: usize, k: Option<usize>) -> Value {
    match k {
        Some(k) => v[i].get(k).cloned().unwrap_or(Value::Null),
        None => v[i].clone(),
    }
}

fn simulate(flow: &str, seed: u64) -> (usize, usize) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut cp = initial(flow);
    let p = plan(flow, &cp, &Value::Null, &Value::Null);
    let mut cb = fake_chargebee::apply(None, &p, 1_772_400_000).unwrap();
    let mut base = p["base"].clone();
    settle(flow, &mut cp, &mut cb, &mut base, 1_772_400_100, &format!("{flow} seed {seed} create"));
    let (mut conflicts, mut edited) = (0, 0);
    for round in 0..ROUNDS {
        let ctx = format!("{flow} seed {seed} round {round}");
        let t = 1_780_000_000 + round as i64 * 1000;
        let (cp0, cb0) = canon(flow, &cp, &cb, &base);
        if rng.below(3) == 0 {
            // Both sides edit the same property (on an order's lines, maybe the same line).
            let kind = rng.below(kinds(flow));
            edit_customerp(flow, &mut cp, &mut rng, kind);
            edit_chargebee(&mut cb, &mut rng, t, kind);
        }
        for _ in 0..rng.below(3) {
            let kind = rng.below(kinds(flow));
            edit_customerp(flow, &mut cp, &mut rng, kind);
        }
        for _ in 0..rng.below(3) {
            let kind = rng.below(kinds(flow));
            edit_chargebee(&mut cb, &mut rng, t, kind);
        }
        // Either side may be the later one; the same second is a tie (Customerp wins ties).
        let (tcp, tcb) = (t + rng.below(3) as i64, t + rng.below(3) as i64);
        cp["updated"] = json!(instant(tcp));
        cb["updated_at"] = json!(tcb);
        let (cp1, cb1) = canon(flow, &cp, &cb, &base);
        let (cp_edits, cb_edits) = (edits(flow, &cp0, &cp1), edits(flow, &cb0, &cb1));
        edited += cp_edits.len() + cb_edits.len();
        let before = (cp.clone(), cb.clone());
        let plans = settle(flow, &mut cp, &mut cb, &mut base, t + 10, &ctx);
        let reported: Vec<&Value> = plans.iter().flat_map(|p| p["conflicts"].as_array().unwrap()).collect();
        conflicts += reported.len();
        let warned = |prop: &str| plans.iter().flat_map(|p| p["warnings"].as_array().unwrap()).any(|w| w["code"] == "not_clearable" && w["property"] == prop);
        let (a, b) = canon(flow, &cp, &cb, &base);
        for (i, p) in props(flow).iter().enumerate() {
            if p.dir == Dir::Both && !warned(p.cp) {
                assert!(p.same(&a[i], &b[i]), "{ctx}: {} disagrees: Customerp {} vs Chargebee {}\nbefore: {}\nplans: {}", p.cp, a[i], b[i], json!(before), json!(plans));
            }
        }
        // Every edit that did not survive is reported, naming its property and line.
        let line_id = |side: &str, k: usize| match side {
            "customerp" => before.0["lines"][k]["id"].clone(),
            _ => before.1["order_line_items"][k]["id"].clone(),
        };
        for (side, list, now) in [("customerp", &cp_edits, &a), ("chargebee", &cb_edits, &b)] {
            for (i, k, v) in list {
                let p = &props(flow)[*i];
                if p.same(&value_at(now, *i, *k), v) || warned(p.cp) {
                    continue;
                }
                let found = reported.iter().any(|c| c["property"] == p.cp && k.is_none_or(|k| c["line"][side] == line_id(side, k)));
                assert!(found, "{ctx}: {side}'s edit of {} {:?} to {v} was lost unreported\nbefore: {}\nplans: {}", p.cp, k, json!(before), json!(plans));
            }
        }
    }
    (edited, conflicts)
}

#[test]
fn random_two_sided_edits_converge() {
    for flow in ["order-order", "quote-order"] {
        for seed in SEEDS {
            let (edited, conflicts) = simulate(flow, seed);
            println!("simulation {flow}: seed {seed}, {ROUNDS} rounds, {edited} edits, {conflicts} conflicts reported");
        }
    }
}
