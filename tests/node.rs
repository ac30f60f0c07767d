//! The scenario suite through the Wasm binding, in Node.
#![cfg(target_arch = "wasm32")]

mod common;

use common::wasm_driver::Wasm;
use wasm_bindgen_test::wasm_bindgen_test;

scenario_suite!(#[wasm_bindgen_test] Wasm);
