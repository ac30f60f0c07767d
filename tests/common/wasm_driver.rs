//! Calls the functions the Wasm module exports to JS, with JS values built from JSON.

use customerp_chargebee::wasm;
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

pub struct Wasm;

/// JSON → JS the way JS itself would hold it: integers past 2^53 become (inexact) numbers.
fn js(v: &Value) -> JsValue {
    fn as_js_numbers(v: &Value) -> Value {
        match v {
            Value::Number(n) if n.as_i64().is_none() || n.as_i64().is_some_and(|i| i.unsigned_abs() > (1 << 53)) => {
                n.as_f64().map(Value::from).unwrap_or(Value::Null)
            }
            Value::Array(a) => Value::Array(a.iter().map(as_js_numbers).collect()),
            Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), as_js_numbers(v))).collect()),
            other => other.clone(),
        }
    }
    as_js_numbers(v).serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap()
}

fn json(v: JsValue) -> Value {
    serde_wasm_bindgen::from_value(v).unwrap()
}

fn opts(args: &[JsValue], i: usize) -> Option<wasm::JsOptions> {
    args.get(i).filter(|v| !v.is_null() && !v.is_undefined()).map(|v| v.clone().unchecked_into())
}

impl super::Driver for Wasm {
    fn call(&self, func: &str, args: Vec<Value>) -> Result<Value, Value> {
        let js_args: Vec<JsValue> = args.iter().map(js).collect();
        // dataflowDocument takes its format as a Rust string.
        let format = args.first().and_then(Value::as_str).map(str::to_string);
        call_js(func, js_args, format)
    }

    fn call_text(&self, func: &str, args: Vec<String>) -> Result<Value, Value> {
        let js_args: Vec<JsValue> = args.iter().map(|t| js_sys::JSON::parse(t).expect("JSON text")).collect();
        let format = js_args.first().and_then(JsValue::as_string);
        call_js(func, js_args, format)
    }
}

fn call_js(func: &str, args: Vec<JsValue>, format: Option<String>) -> Result<Value, Value> {
    let a = |i: usize| args.get(i).cloned().unwrap_or(JsValue::UNDEFINED);
    let r = match func {
        "flows" => wasm::flows(opts(&args, 0)),
        "toChargebee" => wasm::to_chargebee(a(0), a(1), opts(&args, 2)),
        "toCustomerp" => wasm::to_customerp(a(0), a(1), opts(&args, 2)),
        "match" => wasm::match_records(a(0), a(1), a(2), opts(&args, 3)),
        "plan" => wasm::plan(a(0), a(1), opts(&args, 2)),
        "planUndo" => wasm::plan_undo(a(0), a(1), a(2), opts(&args, 3)),
        "planBatch" => wasm::plan_batch(a(0), a(1), opts(&args, 2)),
        "Matcher" => return matcher(a(0), a(1), opts(&args, 2)),
        "encodeForm" => wasm::encode_form(a(0)).map(JsValue::from),
        "dataflowDocument" => wasm::dataflow_document(format, opts(&args, 1)).map(JsValue::from),
        other => panic!("no function {other}"),
    };
    r.map(json).map_err(|e| {
        assert!(e.is_instance_of::<js_sys::Error>(), "errors are JS Error objects");
        json(e)
    })
}

/// The `Matcher` class, as `super::Driver::call` takes it: each step (`{customerp: [...]}`,
/// `{chargebee: [...]}`, `{finish: true}`) gives `{errors}`, `{result}` or, when it throws, `{error}`.
fn matcher(flow: JsValue, steps: JsValue, options: Option<wasm::JsOptions>) -> Result<Value, Value> {
    let thrown = |e: JsValue| {
        assert!(e.is_instance_of::<js_sys::Error>(), "errors are JS Error objects");
        json(e)
    };
    let mut m = wasm::Matcher::new(flow, options).map_err(thrown)?;
    let steps: js_sys::Array = steps.unchecked_into();
    let get = |o: &JsValue, k: &str| js_sys::Reflect::get(o, &k.into()).ok().filter(|v| !v.is_undefined());
    let out = steps
        .iter()
        .map(|step| {
            let r = match (get(&step, "customerp"), get(&step, "chargebee")) {
                (Some(v), _) => m.add_customerp(v).map(|es| serde_json::json!({"errors": json(es)})),
                (_, Some(v)) => m.add_chargebee(v).map(|es| serde_json::json!({"errors": json(es)})),
                _ => m.finish().map(|r| serde_json::json!({"result": json(r)})),
            };
            r.unwrap_or_else(|e| serde_json::json!({"error": thrown(e)}))
        })
        .collect();
    Ok(Value::Array(out))
}
