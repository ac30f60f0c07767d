//! The scenario suite against the pure core, with no JS involved.

mod common;

use customerp_chargebee::api;
use serde_json::{json, Value};

struct Native;

fn opt(args: &[Value], i: usize) -> Option<&Value> {
    args.get(i).filter(|v| !v.is_null())
}

impl common::Driver for Native {
    fn call(&self, func: &str, args: Vec<Value>) -> Result<Value, Value> {
        let flow = args.first().and_then(Value::as_str).unwrap_or_default().to_string();
        let to_json = |e: customerp_chargebee::SyncError| serde_json::to_value(e).unwrap();
        let r = match func {
            "flows" => api::flows(opt(&args, 0)).map(|f| serde_json::to_value(f).unwrap()),
            "toChargebee" => api::to_chargebee(&flow, &args[1], opt(&args, 2)),
            "toCustomerp" => api::to_customerp(&flow, &args[1], opt(&args, 2)),
            "match" => api::match_records(&flow, &args[1], &args[2], opt(&args, 3)).map(|m| serde_json::to_value(m).unwrap()),
            "plan" => api::plan(&flow, &args[1], opt(&args, 2)).map(|p| serde_json::to_value(p).unwrap()),
            "planUndo" => api::plan_undo(&flow, &args[1], &args[2], opt(&args, 3)).map(|p| serde_json::to_value(p).unwrap()),
            "planBatch" => {
                let inputs = args[1].as_array().unwrap().iter().cloned().map(Ok).collect();
                api::plan_batch(&flow, inputs, opt(&args, 2)).map(|b| serde_json::to_value(b).unwrap())
            }
            "Matcher" => return matcher(&flow, &args[1], opt(&args, 2)),
            "encodeForm" => api::encode_form(&args[0]).map(Value::from),
            "dataflowDocument" => api::dataflow_document(args.first().and_then(Value::as_str), opt(&args, 1)).map(Value::from),
            other => panic!("no function {other}"),
        };
        r.map_err(to_json)
    }

    fn call_text(&self, func: &str, args: Vec<String>) -> Result<Value, Value> {
        Native::call_text(self, func, args)
    }
}

/// The `Matcher` class, as `common::Driver::call` takes it: the steps' outcomes, or the constructor's error.
fn matcher(flow: &str, steps: &Value, options: Option<&Value>) -> Result<Value, Value> {
    use customerp_chargebee::options::Side;
    let to_json = |e: customerp_chargebee::SyncError| serde_json::to_value(e).unwrap();
    let mut m = api::MatchStream::new(flow, options).map_err(to_json)?;
    let out = steps
        .as_array()
        .unwrap()
        .iter()
        .map(|step| {
            let r = match (step.get("customerp"), step.get("chargebee")) {
                (Some(v), _) => m.add_list(Side::Customerp, v).map(|es| json!({"errors": es})),
                (_, Some(v)) => m.add_list(Side::Chargebee, v).map(|es| json!({"errors": es})),
                _ => m.finish().map(|r| json!({"result": r})),
            };
            r.unwrap_or_else(|e| json!({"error": e}))
        })
        .collect();
    Ok(Value::Array(out))
}

/// Where a function's argument `i` sits in error paths, and the code its parse errors get.
fn root(func: &str, i: usize) -> (&'static str, Option<customerp_chargebee::ErrorCode>) {
    match (func, i) {
        ("toChargebee" | "match", 1) => ("/customerp", None),
        ("planUndo", 2) => ("/undo", None),
        ("toCustomerp", 1) | ("match", 2) => ("/chargebee", None),
        ("flows" | "dataflowDocument", _) | ("toChargebee" | "toCustomerp" | "plan" | "planBatch" | "Matcher", 2) | ("match" | "planUndo", 3) => {
            ("/options", Some(customerp_chargebee::ErrorCode::InvalidOptions))
        }
        _ => ("", None),
    }
}

impl Native {
    fn call_text(&self, func: &str, args: Vec<String>) -> Result<Value, Value> {
        use customerp_chargebee::json;
        let to_json = |e: customerp_chargebee::SyncError| serde_json::to_value(e).unwrap();
        let parse = |i: usize, text: &str| {
            let (at, code) = root(func, i);
            json::parse(text, at).map_err(|mut e| {
                e.code = code.unwrap_or(e.code);
                e
            })
        };
        if func == "planBatch" {
            // Each slot read on its own, as the binding reads a slot JS cannot give as one text.
            let slots: Vec<Box<serde_json::value::RawValue>> = serde_json::from_str(&args[1]).map_err(|e| Value::String(e.to_string()))?;
            let inputs = slots.iter().map(|s| json::parse(s.get(), "")).collect();
            let options = args.get(2).map(|t| parse(2, t)).transpose().map_err(to_json)?.filter(|o| !o.is_null());
            let flow: Value = serde_json::from_str(&args[0]).unwrap();
            return api::plan_batch(flow.as_str().unwrap_or_default(), inputs, options.as_ref())
                .map(|b| serde_json::to_value(b).unwrap())
                .map_err(to_json);
        }
        let values = args.iter().enumerate().map(|(i, t)| parse(i, t)).collect::<Result<Vec<_>, _>>().map_err(to_json)?;
        common::Driver::call(self, func, values)
    }
}

scenario_suite!(#[test] Native);

/// The committed copy the README links must equal what the code generates.
#[test]
fn committed_dataflow_documents_are_current() {
    let root = env!("CARGO_MANIFEST_DIR");
    for (file, format) in [("docs/dataflow.rst", "rst"), ("docs/dataflow.md", "markdown")] {
        let generated = api::dataflow_document(Some(format), None).unwrap();
        let path = format!("{root}/{file}");
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::create_dir_all(format!("{root}/docs")).unwrap();
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(committed == generated, "{file} is stale: run `UPDATE_DOCS=1 cargo test --test native`");
    }
}
