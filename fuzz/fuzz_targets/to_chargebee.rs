#![no_main]
use customerp_chargebee::api;
use customerp_chargebee_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(i) = decode(data) else { return };
    let a = api::to_chargebee(i.flow, &i.value, opts(&i));
    check_deterministic(&a, &api::to_chargebee(i.flow, &i.value, opts(&i)));
    match a {
        Err(e) => check_error(&e),
        Ok(cb) => {
            // The mapped resource is valid form params, and maps back without a crash.
            let params = resolve_refs(&cb);
            match api::encode_form(&params) {
                Ok(body) => check_form_body(&body, &params),
                Err(e) => panic!("toChargebee output cannot be encoded: {e} — {cb}"),
            }
            if let Err(e) = api::to_customerp(i.flow, &cb, opts(&i)) {
                check_error(&e);
            }
        }
    }
});
