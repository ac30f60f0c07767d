#![no_main]
use customerp_chargebee::api;
use customerp_chargebee_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(i) = decode(data) else { return };
    let a = api::encode_form(&i.value);
    check_deterministic(&a, &api::encode_form(&i.value));
    match a {
        Err(e) => check_error(&e),
        Ok(body) => check_form_body(&body, &i.value),
    }
});
