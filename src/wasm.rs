//! The Wasm binding: converts at the boundary and nothing else. Every export has the same shape:
//! JS values in → `serde_json::Value` → [`crate::api`] → typed result → JS value out.
//!
//! Values cross as JSON text: `JSON.stringify` in, `JSON.parse` out. That is one native call each
//! way instead of one per field, it escapes lone UTF-16 surrogates (which the core then refuses
//! with a typed error instead of silently replacing them), and `JSON.parse` creates `__proto__`
//! as a plain own key, so no output object can carry a polluted prototype.

use crate::api;
use crate::error::{ErrorCode, SyncError};
use crate::options::Side;
use js_sys::{Array, Object, Reflect, JSON};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("../ts/types.d.ts");

type JsResult = Result<JsValue, JsValue>;

#[wasm_bindgen]
extern "C" {
    /// `Options` of `api.md`, typed by the declarations above; optional in every function.
    #[wasm_bindgen(typescript_type = "Options")]
    pub type JsOptions;
}

#[wasm_bindgen(module = "/js/sync-error.js")]
extern "C" {
    /// js/sync-error.js: the `SyncError` class each entry of the package exports.
    #[wasm_bindgen(js_name = SyncError)]
    type JsSyncError;
    #[wasm_bindgen(constructor, js_class = SyncError)]
    fn new(code: &str, message: &str, path: &str, flow: Option<&str>, record_id: Option<&str>) -> JsSyncError;
}

/// A `SyncError` (a JS `Error` subclass) whose fields are all own enumerable properties, so it
/// passes `instanceof SyncError` and `instanceof Error` and survives `JSON.stringify`.
fn to_js_error(e: &SyncError) -> JsValue {
    JsSyncError::new(e.code.as_str(), &e.message, &e.path, e.flow.as_deref(), e.record_id.as_deref()).into()
}

fn js_message(e: &JsValue) -> String {
    Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| "value cannot be represented as JSON".into())
}

/// A JS value → JSON value. `undefined`/`null` → `Null`. `path` prefixes error paths.
fn from_js(v: &JsValue, path: &str) -> Result<Value, SyncError> {
    match json_text(v, path)? {
        None => Ok(Value::Null),
        Some(text) => {
            let value = crate::json::parse(&text, path)?;
            match may_hide_non_finite(&text).then(|| first_non_finite(&|| v.clone(), &value)).flatten() {
                Some((at, n)) => Err(crate::json::not_finite(&format!("{path}{at}"), &js_number_name(n))),
                None => Ok(value),
            }
        }
    }
}

/// Whether JSON text may stand for a non-finite number: `JSON.stringify` writes NaN and ±Infinity as
/// `null`, so text without a `null` holds none. A scan of the bytes, so the exact check below runs
/// only for text that has a `null` somewhere.
fn may_hide_non_finite(text: &str) -> bool {
    text.contains("null")
}

/// One step from a JSON container to a child.
#[derive(Clone, Copy, PartialEq)]
enum Step<'a> {
    Key(&'a str),
    Index(u32),
}

impl Step<'_> {
    fn pointer(self) -> String {
        match self {
            Step::Key(k) => crate::error::pointer("", k),
            Step::Index(i) => format!("/{i}"),
        }
    }

    fn get(self, parent: &JsValue) -> JsValue {
        let child = match self {
            Step::Key(k) => Reflect::get(parent, &JsValue::from_str(k)),
            Step::Index(i) => Reflect::get_u32(parent, i),
        };
        child.unwrap_or(JsValue::UNDEFINED)
    }
}

/// The containers of `v` that hold a `null` directly, each with the steps to it, in document order.
fn holders_of_null<'a>(v: &'a Value, steps: &mut Vec<Step<'a>>, out: &mut Vec<(Vec<Step<'a>>, &'a Value)>) {
    match v {
        Value::Array(items) => holders_among(items.iter().enumerate().map(|(i, x)| (Step::Index(i as u32), x)), v, steps, out),
        Value::Object(fields) => holders_among(fields.iter().map(|(k, x)| (Step::Key(k.as_str()), x)), v, steps, out),
        _ => {}
    }
}

fn holders_among<'a>(
    children: impl Iterator<Item = (Step<'a>, &'a Value)> + Clone,
    v: &'a Value,
    steps: &mut Vec<Step<'a>>,
    out: &mut Vec<(Vec<Step<'a>>, &'a Value)>,
) {
    if children.clone().any(|(_, x)| x.is_null()) {
        out.push((steps.clone(), v));
    }
    for (step, child) in children.filter(|(_, x)| x.is_array() || x.is_object()) {
        steps.push(step);
        holders_of_null(child, steps, out);
        steps.pop();
    }
}

#[wasm_bindgen]
extern "C" {
    /// `Object.values`, which runs getters: whatever they throw comes back as an `Err`.
    #[wasm_bindgen(js_namespace = Object, js_name = values, catch)]
    fn object_values(v: &JsValue) -> Result<Array, JsValue>;
}

/// Where under `v` (a JSON Pointer relative to it) a `null` stands for a JS number that is not finite,
/// and that number. `js()` gives the JS value `v` was serialised from. Only the objects holding a
/// `null` are looked at, each with one `Object.values` and three native searches (NaN and ±Infinity
/// can only be where the JSON has `null`); only when one is found are its `null`s looked up one by one.
fn first_non_finite(js: &dyn Fn() -> JsValue, v: &Value) -> Option<(String, f64)> {
    if v.is_null() {
        return non_finite_number(&js()).map(|n| (String::new(), n));
    }
    let mut holders = Vec::new();
    holders_of_null(v, &mut Vec::new(), &mut holders);
    if holders.is_empty() {
        return None;
    }
    thread_local!(static NON_FINITE: [JsValue; 3] =
        [JsValue::from_f64(f64::NAN), JsValue::from_f64(f64::INFINITY), JsValue::from_f64(f64::NEG_INFINITY)]);
    let root = js();
    // The JS values along the last path looked up: holders under one object share its lookups.
    let mut path: Vec<(Step, JsValue)> = Vec::new();
    for (steps, holder) in &holders {
        let common = path.iter().zip(steps).take_while(|((a, _), b)| a == *b).count();
        path.truncate(common);
        for &step in &steps[common..] {
            let child = step.get(path.last().map_or(&root, |(_, js)| js));
            path.push((step, child));
        }
        let at = path.last().map_or(&root, |(_, js)| js);
        let Ok(values) = object_values(at) else { continue };
        if !NON_FINITE.with(|xs| xs.iter().any(|x| values.includes(x, 0))) {
            continue;
        }
        let nulls: Box<dyn Iterator<Item = Step>> = match holder {
            Value::Array(items) => Box::new(items.iter().enumerate().filter(|(_, x)| x.is_null()).map(|(i, _)| Step::Index(i as u32))),
            Value::Object(fields) => Box::new(fields.iter().filter(|(_, x)| x.is_null()).map(|(k, _)| Step::Key(k.as_str()))),
            _ => continue,
        };
        for step in nulls {
            if let Some(n) = non_finite_number(&step.get(at)) {
                let pointer: String = steps.iter().chain([&step]).map(|s| s.pointer()).collect();
                return Some((pointer, n));
            }
        }
    }
    None
}

/// The JS number a `null` was written for, if it is one that is not finite.
fn non_finite_number(js: &JsValue) -> Option<f64> {
    js.as_f64().filter(|n| !n.is_finite())
}

/// NaN, Infinity or -Infinity, as JS writes them.
fn js_number_name(n: f64) -> String {
    if n.is_nan() { "NaN".into() } else if n > 0.0 { "Infinity".into() } else { "-Infinity".into() }
}

/// A JS value as JSON text; `None` for `undefined`/`null`.
fn json_text(v: &JsValue, path: &str) -> Result<Option<String>, SyncError> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    match JSON::stringify(v) {
        Ok(s) if !s.is_undefined() => Ok(Some(String::from(s))),
        Ok(_) => Err(SyncError::invalid_type(path, "a JSON value (not a function or symbol)")),
        // BigInt, cycles, or nesting deeper than the JS engine can serialise.
        Err(e) => {
            let msg = js_message(&e);
            let code = if msg.contains("BigInt") { ErrorCode::InvalidType } else { ErrorCode::InvalidValue };
            Err(SyncError::new(code, path, format!("{path}: {msg}")))
        }
    }
}

fn to_js<T: Serialize>(v: &T) -> JsResult {
    let text = serde_json::to_string(v).map_err(|e| to_js_error(&SyncError::invalid_value("", e)))?;
    JSON::parse(&text)
}

/// [`to_js`] for results of tens of MB (a million links): the text is measured first and written
/// once into a buffer of its size, instead of doubling one (which holds the old and new copy at once).
fn to_js_exact<T: Serialize>(v: &T) -> JsResult {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let fail = |e: serde_json::Error| to_js_error(&SyncError::invalid_value("", e));
    let mut count = Count(0);
    serde_json::to_writer(&mut count, v).map_err(fail)?;
    let mut text = Vec::with_capacity(count.0);
    serde_json::to_writer(&mut text, v).map_err(fail)?;
    // serde_json writes UTF-8 only.
    JSON::parse(&String::from_utf8(text).map_err(|e| to_js_error(&SyncError::invalid_value("", e)))?)
}

/// The id of a record that could not be read, for the error: `id` of the value itself, or of its
/// `customerp` / `chargebee` member.
fn record_hint(v: &JsValue) -> Option<String> {
    let id_of = |o: &JsValue| {
        let id = Reflect::get(o, &"id".into()).ok()?;
        id.as_string().or_else(|| id.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15).map(|f| format!("{f:.0}")))
    };
    if !v.is_object() {
        return None;
    }
    ["customerp", "chargebee"]
        .iter()
        .filter_map(|k| Reflect::get(v, &(*k).into()).ok().filter(JsValue::is_object))
        .find_map(|o| id_of(&o))
        .or_else(|| id_of(v))
}

/// Reads a record-bearing input; an error names the flow and, where it can, the record.
fn from_js_record(v: &JsValue, path: &str, flow: &str) -> Result<Value, SyncError> {
    from_js(v, path).map_err(|e| e.in_flow(flow).for_record(record_hint(v).as_deref()))
}

fn flow_name(v: &JsValue) -> Result<String, SyncError> {
    v.as_string().ok_or_else(|| SyncError::new(ErrorCode::UnknownFlow, "", "the flow must be a flow id string"))
}

fn options(v: &Option<JsOptions>) -> Result<Value, SyncError> {
    match v {
        None => Ok(Value::Null),
        Some(v) => from_js(v.as_ref(), "/options").map_err(|mut e| {
            e.code = ErrorCode::InvalidOptions;
            e
        }),
    }
}

fn run<T: Serialize>(f: impl FnOnce() -> Result<T, SyncError>) -> JsResult {
    match f() {
        Ok(v) => to_js(&v),
        Err(e) => Err(to_js_error(&e)),
    }
}

/// The six flows with their mapped properties and merge criteria.
#[wasm_bindgen(unchecked_return_type = "FlowInfo[]")]
pub fn flows(options: Option<JsOptions>) -> JsResult {
    run(|| api::flows(Some(&self::options(&options)?)))
}

/// The Chargebee resource a Customerp record maps to.
#[wasm_bindgen(js_name = toChargebee, unchecked_return_type = "ChargebeeResource")]
pub fn to_chargebee(
    #[wasm_bindgen(unchecked_param_type = "FlowId")] flow: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CustomerpRecord")] customerp: JsValue,
    options: Option<JsOptions>,
) -> JsResult {
    run(|| {
        let flow = flow_name(&flow)?;
        let rec = from_js_record(&customerp, "/customerp", &flow)?;
        api::to_chargebee(&flow, &rec, Some(&self::options(&options)?))
    })
}

/// The Customerp record a Chargebee resource maps to.
#[wasm_bindgen(js_name = toCustomerp, unchecked_return_type = "CustomerpRecord")]
pub fn to_customerp(
    #[wasm_bindgen(unchecked_param_type = "FlowId")] flow: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ChargebeeResource")] chargebee: JsValue,
    options: Option<JsOptions>,
) -> JsResult {
    run(|| {
        let flow = flow_name(&flow)?;
        let rec = from_js_record(&chargebee, "/chargebee", &flow)?;
        api::to_customerp(&flow, &rec, Some(&self::options(&options)?))
    })
}

/// Records `match` reads as one JSON text.
const MATCH_PAGE: u32 = 1000;

/// Links unlinked records by the flow's merge criteria; ambiguous keys link nothing.
#[wasm_bindgen(js_name = "match", unchecked_return_type = "MatchResult")]
pub fn match_records(
    #[wasm_bindgen(unchecked_param_type = "FlowId")] flow: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CustomerpRecord[]")] customerp: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ChargebeeResource[]")] chargebee: JsValue,
    options: Option<JsOptions>,
) -> JsResult {
    let matched = (|| {
        let flow = flow_name(&flow)?;
        let (Some(cps), Some(cbs)) = (customerp.dyn_ref::<Array>(), chargebee.dyn_ref::<Array>()) else {
            // Not two lists: the whole-value path names what is wrong.
            let cps = from_js(&customerp, "/customerp")?;
            let cbs = from_js(&chargebee, "/chargebee")?;
            return api::match_records(&flow, &cps, &cbs, Some(&self::options(&options)?));
        };
        // A page of records at a time: a million records never become one JSON text and a million values.
        let mut m = api::matcher(&flow, Some(&self::options(&options)?))?;
        m.reserve(cps.length() as usize, cbs.length() as usize);
        for (list, side) in [(cps, "/customerp"), (cbs, "/chargebee")] {
            for start in (0..list.length()).step_by(MATCH_PAGE as usize) {
                let end = (start + MATCH_PAGE).min(list.length());
                let one = |i: u32| from_js(&list.get(i), &format!("{side}/{i}"));
                for (i, rec) in (start..end).zip(read_slice(list, start, end, one)) {
                    let rec = rec.map_err(|e| e.in_flow(&flow))?;
                    if side == "/customerp" { m.customerp(i as usize, &rec)? } else { m.chargebee(i as usize, &rec)? }
                }
            }
        }
        Ok(m.finish())
    })();
    match matched {
        Ok(v) => to_js_exact(&v),
        Err(e) => Err(to_js_error(&e)),
    }
}

/// Matching fed page by page: a host gives unlinked records as it reads them, then calls `finish()`
/// once for the same result `match` gives for the same lists. Only ids and keys are kept.
#[wasm_bindgen(skip_typescript)]
pub struct Matcher(api::MatchStream);

#[wasm_bindgen]
impl Matcher {
    /// A `SyncError` `unknown_flow` / `invalid_options` as `match` throws them.
    #[wasm_bindgen(constructor)]
    pub fn new(flow: JsValue, options: Option<JsOptions>) -> Result<Matcher, JsValue> {
        let flow = flow_name(&flow).map_err(|e| to_js_error(&e))?;
        let opts = self::options(&options).map_err(|e| to_js_error(&e))?;
        api::MatchStream::new(&flow, Some(&opts)).map(Matcher).map_err(|e| to_js_error(&e))
    }

    /// Adds a page of Customerp records; returns the errors of those it could not add.
    #[wasm_bindgen(js_name = addCustomerp)]
    pub fn add_customerp(&mut self, records: JsValue) -> JsResult {
        self.add(Side::Customerp, &records)
    }

    /// Adds a page of Chargebee resources; returns the errors of those it could not add.
    #[wasm_bindgen(js_name = addChargebee)]
    pub fn add_chargebee(&mut self, records: JsValue) -> JsResult {
        self.add(Side::Chargebee, &records)
    }

    /// Matches every record added; a Matcher matches once.
    pub fn finish(&mut self) -> JsResult {
        match self.0.finish() {
            Ok(m) => to_js_exact(&m),
            Err(e) => Err(to_js_error(&e)),
        }
    }
}

impl Matcher {
    fn add(&mut self, side: Side, records: &JsValue) -> JsResult {
        let root = if side == Side::Customerp { "/customerp" } else { "/chargebee" };
        let flow = self.0.flow();
        self.0.open().map_err(|e| to_js_error(&e))?;
        let errors = match records.dyn_ref::<Array>() {
            // Not a list: the whole-value path names what is wrong, as in `match`.
            None => from_js(records, root).map_err(|e| e.in_flow(flow)).and_then(|v| self.0.add_list(side, &v)),
            Some(list) => {
                let first = self.0.next_index(side);
                let mut errors = Vec::new();
                for start in (0..list.length()).step_by(MATCH_PAGE as usize) {
                    let end = (start + MATCH_PAGE).min(list.length());
                    let one = |i: u32| from_js(&list.get(i), &format!("{root}/{}", first + i as usize));
                    match self.0.add(side, read_slice(list, start, end, one)) {
                        Ok(page) => errors.extend(page),
                        Err(e) => return Err(to_js_error(&e)),
                    }
                }
                Ok(errors)
            }
        };
        let errors = errors.map_err(|e| to_js_error(&e))?;
        Ok(errors.iter().map(to_js_error).collect::<Array>().into())
    }
}

/// Plans one pair: the Chargebee requests and Customerp changes that bring it in sync.
#[wasm_bindgen(unchecked_return_type = "Plan")]
pub fn plan(
    #[wasm_bindgen(unchecked_param_type = "FlowId")] flow: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PlanInput")] input: JsValue,
    options: Option<JsOptions>,
) -> JsResult {
    run(|| {
        let flow = flow_name(&flow)?;
        let input = from_js_record(&input, "", &flow)?;
        api::plan(&flow, &input, Some(&self::options(&options)?))
    })
}

/// Plans the undo of a run's writes on one pair: properties put back where they still hold what the
/// run wrote, or the record the run created released; `skipped` lists what was not put back.
#[wasm_bindgen(js_name = planUndo, unchecked_return_type = "UndoPlan")]
pub fn plan_undo(
    #[wasm_bindgen(unchecked_param_type = "FlowId")] flow: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PlanInput")] input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "UndoInput")] undo: JsValue,
    options: Option<JsOptions>,
) -> JsResult {
    run(|| {
        let flow = flow_name(&flow)?;
        let input = from_js_record(&input, "", &flow)?;
        let undo = from_js(&undo, "/undo").map_err(|e| e.in_flow(&flow))?;
        api::plan_undo(&flow, &input, &undo, Some(&self::options(&options)?))
    })
}

/// Plans many pairs; a bad record fills its own slot with `{ok: false, error}`.
#[wasm_bindgen(js_name = planBatch, unchecked_return_type = "BatchResult[]")]
pub fn plan_batch(
    #[wasm_bindgen(unchecked_param_type = "FlowId")] flow: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PlanInput[]")] inputs: JsValue,
    options: Option<JsOptions>,
) -> JsResult {
    let flow = flow_name(&flow).map_err(|e| to_js_error(&e))?;
    if !Array::is_array(&inputs) {
        return Err(to_js_error(&SyncError::invalid_type("", "an array of PlanInput")));
    }
    let opts = self::options(&options).map_err(|e| to_js_error(&e))?;
    let inputs = Array::from(&inputs);
    let parsed = read_slice(&inputs, 0, inputs.length(), |i| from_js_record(&inputs.get(i), "", &flow));
    let results = api::plan_batch(&flow, parsed, Some(&opts)).map_err(|e| to_js_error(&e))?;
    // The page crosses back as one JSON text too; error slots are `null` in it and then get real
    // SyncError objects, like the ones `plan` throws.
    let mut text = Vec::with_capacity(results.len() * 2048);
    text.push(b'[');
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            text.push(b',');
        }
        match r {
            api::BatchResult::Err { .. } => text.extend_from_slice(b"null"),
            ok => serde_json::to_writer(&mut text, ok).map_err(|e| to_js_error(&SyncError::invalid_value("", e)))?,
        }
    }
    text.push(b']');
    // serde_json writes UTF-8 only.
    let text = String::from_utf8(text).map_err(|e| to_js_error(&SyncError::invalid_value("", e)))?;
    let out: Array = JSON::parse(&text)?.unchecked_into();
    for (i, r) in results.iter().enumerate() {
        if let api::BatchResult::Err { error, .. } = r {
            let o = Object::new();
            let _ = Reflect::set(&o, &"ok".into(), &JsValue::FALSE);
            let _ = Reflect::set(&o, &"error".into(), &to_js_error(error));
            out.set(i as u32, o.into());
        }
    }
    Ok(out.into())
}

/// Records `start..end` of a JS list, read as one JSON text: one `JSON.stringify` and one copy
/// into the module instead of one per record. Whatever that cannot read exactly as the
/// record-by-record path `one` would (the slice does not serialise, or does not parse, or a record
/// serialised as `null` that is not null: a function, a symbol, a `toJSON` giving `undefined`, or a
/// record with a `null` that was NaN or ±Infinity) is read by `one`, so every record gets the same
/// value or error either way.
fn read_slice(list: &Array, start: u32, end: u32, one: impl Fn(u32) -> Result<Value, SyncError>) -> Vec<Result<Value, SyncError>> {
    let slice = if start == 0 && end == list.length() { list.clone() } else { list.slice(start, end) };
    let parsed = match JSON::stringify(&slice) {
        Ok(s) => s.as_string().and_then(|t| Some((serde_json::from_str::<Vec<Value>>(&t).ok()?, may_hide_non_finite(&t)))),
        Err(_) => None,
    };
    match parsed {
        Some((values, check)) if values.len() == (end - start) as usize => (start..end)
            .zip(values)
            .map(|(i, v)| match v {
                Value::Null => {
                    let js = list.get(i);
                    if js.is_null() || js.is_undefined() { Ok(Value::Null) } else { one(i) }
                }
                // A `null` that was NaN or ±Infinity: `one` names it.
                v if check && first_non_finite(&|| list.get(i), &v).is_some() => one(i),
                v => Ok(v),
            })
            .collect(),
        _ => (start..end).map(one).collect(),
    }
}

/// Chargebee's form body for a request's `params`.
#[wasm_bindgen(js_name = encodeForm)]
pub fn encode_form(#[wasm_bindgen(unchecked_param_type = "FormParams")] params: JsValue) -> Result<String, JsValue> {
    from_js(&params, "")
        .and_then(|p| api::encode_form(&p))
        .map_err(|e| to_js_error(&e))
}

/// The dataflow document ("rst", the default, or "markdown"), generated from the flows' tables.
#[wasm_bindgen(js_name = dataflowDocument)]
pub fn dataflow_document(
    #[wasm_bindgen(unchecked_optional_param_type = "\"rst\" | \"markdown\"")] format: Option<String>,
    #[wasm_bindgen(unchecked_optional_param_type = "Options")] options: Option<JsOptions>,
) -> Result<String, JsValue> {
    self::options(&options)
        .and_then(|o| api::dataflow_document(format.as_deref(), Some(&o)))
        .map_err(|e| to_js_error(&e))
}
