//! A native driver for profiling the core (`perf record`, a flame graph): runs one entry point over
//! the inputs of a JSON file many times. `bench/profile.sh` writes the inputs (bench/lib/gen.mjs)
//! and runs it under `perf`.
//!
//!   cargo run --release --example profile -- <inputs.json> <planBatch|toChargebee|toCustomerp|match> [rounds]
//!
//! The file holds `{"flow": …, "options": …, "inputs": [...]}`; for `match`, `inputs` is
//! `{"customerp": [...], "chargebee": [...]}`.

use customerp_chargebee::api;
use serde_json::Value;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, what, rest @ ..] = args.as_slice() else {
        eprintln!("usage: profile <inputs.json> <planBatch|toChargebee|toCustomerp|match> [rounds]");
        std::process::exit(2);
    };
    let rounds: usize = rest.first().map_or(10, |r| r.parse().expect("rounds is a number"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(file).expect("readable inputs")).expect("JSON inputs");
    let flow = doc["flow"].as_str().expect("flow");
    let options = doc.get("options");
    let inputs = &doc["inputs"];
    let t0 = Instant::now();
    let mut count = 0usize;
    for _ in 0..rounds {
        match what.as_str() {
            // Through JSON text both ways, as the Wasm binding does.
            "planBatch" => {
                let list = inputs.as_array().expect("inputs is a list");
                let parsed = list.iter().map(|v| customerp_chargebee::json::parse(&v.to_string(), "")).collect();
                let out = api::plan_batch(flow, parsed, options).expect("options are valid");
                count += serde_json::to_string(&out).expect("plans serialise").len().min(1) * list.len();
            }
            "toChargebee" | "toCustomerp" => {
                for v in inputs.as_array().expect("inputs is a list") {
                    let rec = customerp_chargebee::json::parse(&v.to_string(), "").expect("JSON");
                    let out = if what == "toChargebee" { api::to_chargebee(flow, &rec, options) } else { api::to_customerp(flow, &rec, options) };
                    count += serde_json::to_string(&out.expect("maps")).expect("serialises").len().min(1);
                }
            }
            "match" => {
                let r = api::match_records(flow, &inputs["customerp"], &inputs["chargebee"], options).expect("matches");
                count += r.links.len();
            }
            other => panic!("unknown entry point {other}"),
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    eprintln!("{what} {flow}: {rounds} rounds, {count} results, {:.1} µs per result", secs * 1e6 / count.max(1) as f64);
}
