#![no_main]
use customerp_chargebee::api;
use customerp_chargebee_fuzz::*;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some(i) = decode(data) else { return };
    let items: Vec<Value> = match &i.value {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let run = || api::plan_batch(i.flow, items.iter().cloned().map(Ok).collect(), opts(&i));
    let a = run();
    check_deterministic(&a, &run());
    match a {
        Err(e) => check_error(&e),
        Ok(slots) => {
            assert_eq!(slots.len(), items.len(), "one slot per input");
            for (slot, item) in slots.iter().zip(&items) {
                // Each slot is exactly what `plan` gives for that input alone.
                let alone = api::plan(i.flow, item, opts(&i));
                let slot_v = serde_json::to_value(slot).unwrap();
                match alone {
                    Ok(p) => {
                        assert_eq!(slot_v["ok"], true);
                        assert_eq!(slot_v["plan"], serde_json::to_value(&p).unwrap());
                        check_plan(&slot_v["plan"], &i.options);
                    }
                    Err(e) => {
                        check_error(&e);
                        assert_eq!(slot_v["ok"], false);
                        assert_eq!(slot_v["error"], serde_json::to_value(&e).unwrap());
                    }
                }
            }
        }
    }
});
