#![no_main]
// Path building: whatever an id holds, once it passes the Chargebee id check the request path the
// plugin builds around it has exactly the segments it was given — no dot segment, no extra `/`, no
// query or fragment — and percent-decoding that segment gives the id back.
use customerp_chargebee::engine::RequestSpec;
use customerp_chargebee::values::check_chargebee_id;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(id) = std::str::from_utf8(data) else { return };
    if check_chargebee_id(id, "/chargebee/id", 100, "item").is_err() {
        return;
    }
    let spec = RequestSpec::post(format!("/items/{id}/delete"), serde_json::Map::new());
    let segments: Vec<&str> = spec.path.split('/').collect();
    assert_eq!(segments.len(), 4, "{id:?} → {}", spec.path);
    assert_eq!((segments[0], segments[1], segments[3]), ("", "items", "delete"));
    let seg = segments[2];
    assert!(seg != "." && seg != ".." && !seg.is_empty(), "{id:?} → {seg:?}");
    assert!(seg.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%!*'()".contains(&b)), "{id:?} → {seg:?}");
    // Percent-decoding gives the id back.
    let mut bytes = Vec::new();
    let raw = seg.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            bytes.push(u8::from_str_radix(std::str::from_utf8(&raw[i + 1..i + 3]).unwrap(), 16).unwrap());
            i += 3;
        } else {
            bytes.push(raw[i]);
            i += 1;
        }
    }
    assert_eq!(String::from_utf8(bytes).unwrap(), id);
});
