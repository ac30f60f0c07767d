#![no_main]
use customerp_chargebee::api;
use customerp_chargebee_fuzz::*;
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Some(i) = decode(data) else { return };
    let a = api::plan(i.flow, &i.value, opts(&i));
    check_deterministic(&a, &api::plan(i.flow, &i.value, opts(&i)));
    match a {
        Err(e) => check_error(&e),
        Ok(p) => {
            let v = serde_json::to_value(&p).unwrap();
            check_plan(&v, &i.options);
            // The base a plan returns is accepted by the next plan of the same pair.
            if !v["base"].is_null() {
                let mut next = i.value.clone();
                next["base"] = v["base"].clone();
                if let Err(e) = api::plan(i.flow, &next, opts(&i)) {
                    assert_ne!(e.code.as_str(), "invalid_base", "its own base refused: {e} — {}", v["base"]);
                }
            }
            let _ = json!(null);
        }
    }
});
