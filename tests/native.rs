//! The scenario suite against the pure core, with no JS involved.

mod common;

use customerp_chargebee::api;
use serde_json::Value;

struct Native;

fn opt(args: &[Value], i: usize) -> Option<&Value> {
    args.get(i).filter(|v| !v.is_null())
}

impl common::Driver for Native {
    fn call(&self, func: &str, args: Vec<Value>) -> Result<Value, Value> {
        let flow = args.first().and_then(Value::as_str).unwrap_or_default().to_string();
        let to_json = |e: customerp_chargebee::SyncError| serde_json::to_value(e).unwrap();
        let r = match func {
            "flows" => Ok(serde_json::to_value(api::flows()).unwrap()),
            "toChargebee" => api::to_chargebee(&flow, &args[1], opt(&args, 2)),
            "toCustomerp" => api::to_customerp(&flow, &args[1], opt(&args, 2)),
            "match" => api::match_records(&flow, &args[1], &args[2], opt(&args, 3)).map(|m| serde_json::to_value(m).unwrap()),
            "plan" => api::plan(&flow, &args[1], opt(&args, 2)).map(|p| serde_json::to_value(p).unwrap()),
            "planBatch" => {
                let inputs = args[1].as_array().unwrap().iter().cloned().map(Ok).collect();
                api::plan_batch(&flow, inputs, opt(&args, 2)).map(|b| serde_json::to_value(b).unwrap())
            }
            "encodeForm" => api::encode_form(&args[0]).map(Value::from),
            other => panic!("no function {other}"),
        };
        r.map_err(to_json)
    }
}

scenario_suite!(#[test] Native);
