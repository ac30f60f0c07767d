#![no_main]
use customerp_chargebee::api;
use customerp_chargebee_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(i) = decode(data) else { return };
    let a = api::to_customerp(i.flow, &i.value, opts(&i));
    check_deterministic(&a, &api::to_customerp(i.flow, &i.value, opts(&i)));
    if let Err(e) = a {
        check_error(&e);
    }
});
