//! The scenario suite through the Wasm binding, in headless Chromium.
#![cfg(target_arch = "wasm32")]

mod common;

use common::wasm_driver::Wasm;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

scenario_suite!(#[wasm_bindgen_test] Wasm);

/// Proves where this suite runs: a real browser has `window` and `navigator`.
#[wasm_bindgen_test]
fn runs_in_a_browser() {
    let ua = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|n| js_sys::Reflect::get(&n, &"userAgent".into()))
        .ok()
        .and_then(|u| u.as_string())
        .unwrap_or_default();
    assert!(ua.contains("Chrome"), "user agent {ua:?}");
}
