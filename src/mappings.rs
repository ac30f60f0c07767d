//! The `mappings` option: rows a configuration adds to a flow's table (custom fields, attributes
//! the table leaves out, keys of `meta_data` / `metadata`). Each row is checked against what
//! Chargebee lets an integration write on the flow's resource, then joins the flow's own rows and
//! behaves exactly like them.
//!
//! The attribute tables below come from the request schemas of the official Node SDK
//! (`chargebee/chargebee-node`, npm `chargebee` 3.33.0, `src/schema/*.schema.ts`):
//! `CreateCustomerBodySchema`, `UpdateCustomerBodySchema`, `UpdateBillingInfoCustomerBodySchema`,
//! `CreateItemBodySchema`, `UpdateItemBodySchema`, `CreateItemPriceBodySchema`,
//! `UpdateItemPriceBodySchema`, `CreateOrderBodySchema`, `UpdateOrderBodySchema`. An attribute is
//! writable when both the create and the update (or `update_billing_info`) of its resource take it;
//! the read-only ones are the response attributes of `chargebee-api.md` (§2.3, §4.4, §5.2, §6.2)
//! that no request takes. Custom fields (`cf_*`) exist on customers, items and item prices, not on
//! orders (chargebee-api.md §1.3).
//!
//! Rows live as long as the process: a configuration's table is built once and shared by every
//! call made with the same configuration (the cache below), so calls neither rebuild nor leak
//! them, and calls without mappings never touch it.

use crate::engine::path::set_path;
use crate::engine::plan::Wait;
use crate::engine::record::Record;
use crate::engine::table::{CpSource, Dir, EnumMap, Kind, Prop};
use crate::engine::{Criterion, Ctx, Flow, FlowDoc, FlowId, RequestSpec};
use crate::error::{pointer, ErrorCode, Result, SyncError};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

/// What Chargebee's request schemas say an attribute holds.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Str(usize),
    Enum(&'static [&'static str]),
    Bool,
    Int,
    Time,
    Money,
}

/// Which request writes an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// The resource's create and its update.
    Update,
    /// The customer's create and `POST /customers/{id}/update_billing_info`.
    BillingInfo,
    /// No request: readable only (`direction: "to-customerp"`).
    ReadOnly,
}

type Attr = (&'static str, Shape, Via);

use Shape::*;
use Via::*;

const CUSTOMER_TYPES: &[&str] = &["residential", "business", "senior_citizen", "industrial"];
const ENTITY_CODES: &[&str] = &["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "p", "q", "r", "med1", "med2"];
const OFFLINE_METHODS: &[&str] = &[
    "no_preference", "cash", "check", "bank_transfer", "ach_credit", "sepa_credit", "boleto", "us_automated_bank_transfer",
    "eu_automated_bank_transfer", "uk_automated_bank_transfer", "jp_automated_bank_transfer", "mx_automated_bank_transfer", "custom",
];
const PERIOD_UNITS: &[&str] = &["day", "week", "month", "year"];

/// Customer: CreateCustomerBodySchema ∩ UpdateCustomerBodySchema (`Update`), CreateCustomerBodySchema ∩
/// UpdateBillingInfoCustomerBodySchema (`BillingInfo`), read-only attributes of chargebee-api.md §2.3.
const CUSTOMER: &[Attr] = &[
    ("first_name", Str(150), Update),
    ("last_name", Str(150), Update),
    ("email", Str(70), Update),
    ("phone", Str(50), Update),
    ("company", Str(250), Update),
    ("locale", Str(50), Update),
    ("preferred_currency_code", Str(3), Update),
    ("auto_collection", Enum(&["on", "off"]), Update),
    ("net_term_days", Int, Update),
    ("allow_direct_debit", Bool, Update),
    ("taxability", Enum(&["taxable", "exempt"]), Update),
    ("customer_type", Enum(CUSTOMER_TYPES), Update),
    ("client_profile_id", Str(50), Update),
    ("taxjar_exemption_category", Enum(&["wholesale", "government", "other"]), Update),
    ("entity_code", Enum(ENTITY_CODES), Update),
    ("exempt_number", Str(100), Update),
    ("offline_payment_method", Enum(OFFLINE_METHODS), Update),
    ("invoice_notes", Str(2000), Update),
    ("auto_close_invoices", Bool, Update),
    ("consolidated_invoicing", Bool, Update),
    ("vat_number", Str(20), BillingInfo),
    ("vat_number_prefix", Str(10), BillingInfo),
    ("entity_identifier_scheme", Str(50), BillingInfo),
    ("entity_identifier_standard", Str(50), BillingInfo),
    ("registered_for_gst", Bool, BillingInfo),
    ("business_customer_without_vat_number", Bool, BillingInfo),
    ("is_einvoice_enabled", Bool, BillingInfo),
    ("einvoicing_method", Enum(&["automatic", "manual", "site_default"]), BillingInfo),
    ("billing_address.first_name", Str(150), BillingInfo),
    ("billing_address.last_name", Str(150), BillingInfo),
    ("billing_address.email", Str(70), BillingInfo),
    ("billing_address.company", Str(250), BillingInfo),
    ("billing_address.phone", Str(50), BillingInfo),
    ("billing_address.line1", Str(150), BillingInfo),
    ("billing_address.line2", Str(150), BillingInfo),
    ("billing_address.line3", Str(150), BillingInfo),
    ("billing_address.city", Str(50), BillingInfo),
    ("billing_address.state_code", Str(50), BillingInfo),
    ("billing_address.state", Str(50), BillingInfo),
    ("billing_address.zip", Str(20), BillingInfo),
    ("billing_address.country", Str(50), BillingInfo),
    ("business_entity_id", Str(50), ReadOnly),
    ("created_at", Time, ReadOnly),
    ("updated_at", Time, ReadOnly),
    ("vat_number_validated_time", Time, ReadOnly),
    ("vat_number_status", Enum(&["valid", "invalid", "not_validated", "undetermined"]), ReadOnly),
    ("is_location_valid", Bool, ReadOnly),
    ("pii_cleared", Enum(&["active", "scheduled_for_clear", "cleared"]), ReadOnly),
    ("channel", Enum(&["web", "app_store", "play_store"]), ReadOnly),
    ("fraud_flag", Enum(&["safe", "suspicious", "fraudulent"]), ReadOnly),
    ("primary_payment_source_id", Str(40), ReadOnly),
    ("backup_payment_source_id", Str(40), ReadOnly),
    ("promotional_credits", Money, ReadOnly),
    ("unbilled_charges", Money, ReadOnly),
    ("refundable_credits", Money, ReadOnly),
    ("excess_payments", Money, ReadOnly),
    ("billing_date", Int, ReadOnly),
    ("billing_month", Int, ReadOnly),
];

/// Item: CreateItemBodySchema ∩ UpdateItemBodySchema; read-only attributes of chargebee-api.md §5.2.
const ITEM: &[Attr] = &[
    ("name", Str(100), Update),
    ("description", Str(2000), Update),
    ("is_shippable", Bool, Update),
    ("external_name", Str(100), Update),
    ("enabled_in_portal", Bool, Update),
    ("redirect_url", Str(500), Update),
    ("enabled_for_checkout", Bool, Update),
    ("item_applicability", Enum(&["all", "restricted"]), Update),
    ("unit", Str(30), Update),
    ("gift_claim_redirect_url", Str(500), Update),
    ("included_in_mrr", Bool, Update),
    ("is_percentage_pricing", Bool, Update),
    ("status", Enum(&["active", "archived"]), Update),
    ("item_family_id", Str(100), Update),
    ("is_giftable", Bool, ReadOnly),
    ("metered", Bool, ReadOnly),
    ("usage_calculation", Enum(&["sum_of_usages", "last_usage", "max_usage"]), ReadOnly),
    ("updated_at", Time, ReadOnly),
    ("archived_at", Time, ReadOnly),
    ("channel", Enum(&["web", "app_store", "play_store"]), ReadOnly),
];

/// Item price (under `item_price.` in product-item): CreateItemPriceBodySchema ∩
/// UpdateItemPriceBodySchema; read-only attributes of chargebee-api.md §6.2.
const ITEM_PRICE: &[Attr] = &[
    ("name", Str(100), Update),
    ("description", Str(2000), Update),
    ("external_name", Str(100), Update),
    ("invoice_notes", Str(2000), Update),
    ("proration_type", Enum(&["site_default", "partial_term", "full_term"]), Update),
    ("price_variant_id", Str(100), Update),
    ("usage_accumulation_reset_frequency", Enum(&["never", "subscription_billing_frequency"]), Update),
    ("is_taxable", Bool, Update),
    ("free_quantity", Int, Update),
    ("show_description_in_invoices", Bool, Update),
    ("show_description_in_quotes", Bool, Update),
    ("pricing_model", Enum(&["flat_fee", "per_unit", "tiered", "volume", "stairstep"]), Update),
    ("price", Money, Update),
    ("currency_code", Str(3), Update),
    ("period", Int, Update),
    ("period_unit", Enum(PERIOD_UNITS), Update),
    ("trial_period", Int, Update),
    ("trial_period_unit", Enum(&["day", "month"]), Update),
    ("shipping_period", Int, Update),
    ("shipping_period_unit", Enum(PERIOD_UNITS), Update),
    ("billing_cycles", Int, Update),
    ("trial_end_action", Enum(&["site_default", "activate_subscription", "cancel_subscription"]), Update),
    ("status", Enum(&["active", "archived"]), ReadOnly),
    ("created_at", Time, ReadOnly),
    ("updated_at", Time, ReadOnly),
    ("archived_at", Time, ReadOnly),
];

/// Order: UpdateOrderBodySchema (orders are made by `POST /orders`, whose CreateOrderBodySchema takes
/// `batch_id` and `fulfillment_status` too); read-only attributes of chargebee-api.md §4.4.
const ORDER: &[Attr] = &[
    ("reference_id", Str(50), Update),
    ("batch_id", Str(50), Update),
    ("fulfillment_status", Str(50), Update),
    ("note", Str(600), Update),
    ("tracking_id", Str(50), Update),
    ("tracking_url", Str(255), Update),
    ("shipment_carrier", Str(50), Update),
    ("order_date", Time, Update),
    ("shipping_date", Time, Update),
    ("shipped_at", Time, Update),
    ("delivered_at", Time, Update),
    ("cancelled_at", Time, Update),
    ("shipping_address.first_name", Str(150), Update),
    ("shipping_address.last_name", Str(150), Update),
    ("shipping_address.email", Str(70), Update),
    ("shipping_address.company", Str(250), Update),
    ("shipping_address.phone", Str(50), Update),
    ("shipping_address.line1", Str(150), Update),
    ("shipping_address.line2", Str(150), Update),
    ("shipping_address.line3", Str(150), Update),
    ("shipping_address.city", Str(50), Update),
    ("shipping_address.state_code", Str(50), Update),
    ("shipping_address.state", Str(50), Update),
    ("shipping_address.zip", Str(20), Update),
    ("shipping_address.country", Str(50), Update),
    ("invoice_id", Str(50), ReadOnly),
    ("subscription_id", Str(50), ReadOnly),
    ("customer_id", Str(50), ReadOnly),
    ("document_number", Str(50), ReadOnly),
    ("created_at", Time, ReadOnly),
    ("updated_at", Time, ReadOnly),
    ("paid_on", Time, ReadOnly),
    ("status_update_at", Time, ReadOnly),
    ("is_resent", Bool, ReadOnly),
    ("is_gifted", Bool, ReadOnly),
    ("gift_note", Str(600), ReadOnly),
    ("sub_total", Money, ReadOnly),
    ("total", Money, ReadOnly),
    ("tax", Money, ReadOnly),
    ("discount", Money, ReadOnly),
    ("amount_paid", Money, ReadOnly),
    ("amount_adjusted", Money, ReadOnly),
    ("refundable_credits", Money, ReadOnly),
    ("refundable_credits_issued", Money, ReadOnly),
];

/// The length Chargebee allows a custom field's text: a single-line text field.
const CUSTOM_FIELD_TEXT: usize = 250;
/// `meta_data` / `metadata` as a whole holds at most 65,535 characters.
const METADATA_TEXT: usize = 65_535;

/// What a flow's resource takes: its attributes, whether it has custom fields, its metadata key.
struct Resource {
    attrs: &'static [Attr],
    custom_fields: bool,
    metadata: Option<&'static str>,
}

/// The resources a flow's mapped rows may name, by the prefix of the Chargebee path.
fn resources(flow: FlowId) -> Option<&'static [(&'static str, Resource)]> {
    static CUSTOMERS: [(&str, Resource); 1] = [("", Resource { attrs: CUSTOMER, custom_fields: true, metadata: Some("meta_data") })];
    static ITEMS: [(&str, Resource); 2] = [
        ("item_price.", Resource { attrs: ITEM_PRICE, custom_fields: true, metadata: Some("metadata") }),
        ("", Resource { attrs: ITEM, custom_fields: true, metadata: Some("metadata") }),
    ];
    static ORDERS: [(&str, Resource); 1] = [("", Resource { attrs: ORDER, custom_fields: false, metadata: None })];
    match flow {
        FlowId::ContactCustomer | FlowId::EmployeeCustomer => Some(&CUSTOMERS),
        FlowId::ProductItem => Some(&ITEMS),
        FlowId::OrderOrder | FlowId::QuoteOrder => Some(&ORDERS),
        // Business entities are created and edited by hand in Chargebee: nothing to map into.
        FlowId::CustomerBusinessEntity => None,
    }
}

/// Whether a customer attribute is written through `update_billing_info` (a mapped or built-in row).
pub fn via_billing_info(cb: &str) -> bool {
    CUSTOMER.iter().any(|(name, _, via)| *name == cb && *via == BillingInfo)
}

const TYPES: &str = "\"string\", \"boolean\", \"integer\", \"date\", \"timestamp\", \"money\", \"enum\"";
const DIRECTIONS: &str = "\"both\", \"to-chargebee\", \"to-customerp\"";

fn bad(at: &str, why: impl std::fmt::Display) -> SyncError {
    SyncError::new(ErrorCode::InvalidOptions, at, format!("{at}: {why}"))
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// One row as the configuration gives it, before it is checked.
struct Row<'v> {
    at: String,
    customerp: &'v str,
    chargebee: &'v str,
    ty: &'v str,
    max_length: Option<usize>,
    values: Option<Vec<&'v str>>,
    dir: Dir,
}

fn parse_row<'v>(v: &'v Value, at: String) -> Result<Row<'v>> {
    let m = v.as_object().ok_or_else(|| bad(&at, "a mapping is an object {customerp, chargebee, type, maxLength?, values?, direction?}"))?;
    for key in m.keys() {
        if !["customerp", "chargebee", "type", "maxLength", "values", "direction"].contains(&key.as_str()) {
            return Err(bad(&pointer(&at, key), format!("unknown key {key:?}; a mapping has customerp, chargebee, type, maxLength, values, direction")));
        }
    }
    let text = |key: &str| -> Result<&'v str> {
        match m.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() && s.trim() == s => Ok(s.as_str()),
            _ => Err(bad(&pointer(&at, key), "expected a non-empty string without surrounding spaces")),
        }
    };
    let customerp = text("customerp")?;
    if customerp.split('.').any(|seg| seg.is_empty()) || ["id", "updated", "created", "deleted"].contains(&customerp) {
        return Err(bad(&pointer(&at, "customerp"), "expected a dotted path of a Customerp field (not id, updated, created, deleted)"));
    }
    let chargebee = text("chargebee")?;
    let ty = text("type")?;
    if !["string", "boolean", "integer", "date", "timestamp", "money", "enum"].contains(&ty) {
        return Err(bad(&pointer(&at, "type"), format!("{ty:?} is not one of {TYPES}")));
    }
    let max_length = match m.get("maxLength") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n >= 1) && ty == "string" => n.as_u64().map(|n| n as usize),
        Some(_) if ty != "string" => return Err(bad(&pointer(&at, "maxLength"), "maxLength is for type \"string\" only")),
        Some(_) => return Err(bad(&pointer(&at, "maxLength"), "expected a whole number of at least 1")),
    };
    let values = match m.get("values") {
        None | Some(Value::Null) => None,
        Some(_) if ty != "enum" => return Err(bad(&pointer(&at, "values"), "values are for type \"enum\" only")),
        Some(Value::Array(vs)) if !vs.is_empty() => {
            let mut out = Vec::with_capacity(vs.len());
            for (i, v) in vs.iter().enumerate() {
                match v.as_str().filter(|s| !s.trim().is_empty()) {
                    Some(s) if !out.contains(&s) => out.push(s),
                    _ => return Err(bad(&pointer(&pointer(&at, "values"), &i.to_string()), "expected a distinct non-empty string")),
                }
            }
            Some(out)
        }
        Some(_) => return Err(bad(&pointer(&at, "values"), "expected a non-empty array of strings")),
    };
    let dir = match m.get("direction") {
        None | Some(Value::Null) => Dir::Both,
        Some(Value::String(s)) if s == "both" => Dir::Both,
        Some(Value::String(s)) if s == "to-chargebee" => Dir::ToChargebee,
        Some(Value::String(s)) if s == "to-customerp" => Dir::ToCustomerp,
        Some(_) => return Err(bad(&pointer(&at, "direction"), format!("expected one of {DIRECTIONS}"))),
    };
    Ok(Row { at, customerp, chargebee, ty, max_length, values, dir })
}

/// What a Chargebee path names, once checked: its shape and how it is written.
fn resolve_attr(flow: FlowId, row: &Row) -> Result<(Shape, Via, &'static str)> {
    let at = pointer(&row.at, "chargebee");
    let Some(resources) = resources(flow) else {
        return Err(bad(&row.at, format!("{} is written by hand in Chargebee: it takes no mappings", flow.as_str())));
    };
    // Every flow's list ends with its main resource, whose prefix is "": one always matches.
    let Some((prefix, res)) = resources.iter().find(|(prefix, _)| row.chargebee.starts_with(prefix)).map(|(p, r)| (*p, r)) else {
        return Err(bad(&at, "no Chargebee resource of this flow has that attribute"));
    };
    let name = &row.chargebee[prefix.len()..];
    if let Some(cf) = name.strip_prefix("cf_") {
        if !res.custom_fields {
            return Err(bad(&at, format!("Chargebee has no custom fields on this resource; allowed: {}", allowed(res, prefix))));
        }
        let ok = !cf.is_empty() && name.len() <= 50 && cf.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(bad(&at, "a custom field is cf_ and its API name: at most 50 characters of A-Z, a-z, 0-9, '_'"));
        }
        return Ok((Str(CUSTOM_FIELD_TEXT), Update, "custom field"));
    }
    if let Some(meta) = res.metadata {
        if name == meta {
            return Err(bad(&at, format!("map a key inside {meta}, as {prefix}{meta}.<key>")));
        }
        if let Some(key) = name.strip_prefix(meta).and_then(|k| k.strip_prefix('.')) {
            if key.is_empty() || key.contains('.') {
                return Err(bad(&at, format!("expected {prefix}{meta}.<key>, one key deep")));
            }
            return Ok((Str(METADATA_TEXT), Update, "metadata key"));
        }
    }
    match res.attrs.iter().find(|(n, _, _)| *n == name) {
        Some((_, shape, via)) => Ok((*shape, *via, "attribute")),
        None => Err(bad(&at, format!("{:?} is not an attribute Chargebee lets integrations write or read here; allowed: {}", row.chargebee, allowed(res, prefix)))),
    }
}

fn allowed(res: &Resource, prefix: &str) -> String {
    let mut parts: Vec<String> = res.attrs.iter().map(|(n, _, via)| {
        if *via == ReadOnly { format!("{prefix}{n} (read-only)") } else { format!("{prefix}{n}") }
    }).collect();
    if res.custom_fields {
        parts.push(format!("{prefix}cf_<name>"));
    }
    if let Some(meta) = res.metadata {
        parts.push(format!("{prefix}{meta}.<key>"));
    }
    parts.join(", ")
}

/// The row's kind from its type, checked against what the attribute holds.
fn kind_of(row: &Row, shape: Shape, what: &str) -> Result<(Kind, String)> {
    let at = pointer(&row.at, "type");
    let free = what != "attribute"; // a custom field or metadata key holds what it is given
    let misfit = |expected: &str| bad(&at, format!("{:?} holds {expected}; type {:?} does not fit it", row.chargebee, row.ty));
    let kind = match (row.ty, shape) {
        ("string", Str(max)) => {
            let max_len = row.max_length.unwrap_or(max);
            if max_len > max {
                return Err(bad(&pointer(&row.at, "maxLength"), format!("{:?} allows at most {max} characters", row.chargebee)));
            }
            (Kind::Text(max_len), format!("string({max_len})"))
        }
        ("enum", Str(max)) => {
            let values = row.values.clone().ok_or_else(|| bad(&pointer(&row.at, "values"), "an enum mapping of a text attribute lists its values"))?;
            if let Some(v) = values.iter().find(|v| v.chars().count() > max) {
                return Err(bad(&pointer(&row.at, "values"), format!("{v:?} is longer than the {max} characters {:?} allows", row.chargebee)));
            }
            enum_kind(&values)
        }
        ("enum", Enum(allowed)) => {
            let values = row.values.clone().unwrap_or_else(|| allowed.to_vec());
            if let Some(v) = values.iter().find(|v| !allowed.contains(v)) {
                return Err(bad(&pointer(&row.at, "values"), format!("{v:?} is not a value of {:?}; its values are {}", row.chargebee, allowed.join(", "))));
            }
            enum_kind(&values)
        }
        ("boolean", Bool) => (Kind::Bool, "boolean".into()),
        ("integer", Int) => (Kind::Count, "integer ≥ 0".into()),
        ("date", Time) => (Kind::Date, "timestamp (date in the configured zone)".into()),
        ("timestamp", Time) => (Kind::Instant, "timestamp".into()),
        ("money", Money) => (Kind::Money, "money (integer, minor unit)".into()),
        ("boolean", _) if free => (Kind::Bool, "boolean".into()),
        ("integer", _) if free => (Kind::Count, "integer ≥ 0".into()),
        ("date", _) if free => (Kind::Date, "timestamp (date in the configured zone)".into()),
        ("timestamp", _) if free => (Kind::Instant, "timestamp".into()),
        (_, Str(_)) if free => return Err(misfit("text, whole numbers, booleans, dates, timestamps or enums (never money)")),
        (_, Str(max)) => return Err(misfit(&format!("text of at most {max} characters: use \"string\" or \"enum\" with values"))),
        (_, Enum(values)) => return Err(misfit(&format!("one of {}: use \"enum\"", values.join(", ")))),
        (_, Bool) => return Err(misfit("a boolean: use \"boolean\"")),
        (_, Int) => return Err(misfit("a whole number: use \"integer\"")),
        (_, Time) => return Err(misfit("a Unix timestamp: use \"date\" or \"timestamp\"")),
        (_, Money) => return Err(misfit("money in minor units: use \"money\"")),
    };
    Ok(kind)
}

fn enum_kind(values: &[&str]) -> (Kind, String) {
    let pairs: Vec<(&'static str, &'static str)> = values.iter().map(|v| {
        let v = leak(v);
        (v, v)
    }).collect();
    let map: &'static EnumMap = Box::leak(Box::new(EnumMap { pairs: Box::leak(pairs.into_boxed_slice()), chargebee_aliases: &[], customerp_unknown: None }));
    (Kind::Enum(map), format!("enum {}", values.join(", ")))
}

/// Builds a flow's table with its mapped rows, checking each row.
fn build(flow: &'static dyn Flow, rows: &Value, at: &str) -> Result<Vec<Prop>> {
    let list = rows.as_array().ok_or_else(|| bad(at, "expected an array of mappings"))?;
    let builtin = flow.props();
    let mut out: Vec<Prop> = builtin.to_vec();
    for (i, v) in list.iter().enumerate() {
        let row = parse_row(v, pointer(at, &i.to_string()))?;
        let (shape, via, what) = resolve_attr(flow.id(), &row)?;
        if via == ReadOnly && row.dir != Dir::ToCustomerp {
            return Err(bad(&pointer(&row.at, "chargebee"), format!("{:?} is read-only in Chargebee: only direction \"to-customerp\" can map it", row.chargebee)));
        }
        let reserved = |cb: &str| cb.ends_with("meta_data.customerp") || cb.ends_with("metadata.customerp");
        if reserved(row.chargebee) {
            return Err(bad(&pointer(&row.at, "chargebee"), "the key customerp holds the plugin's identity tag: use another key"));
        }
        if let Some(p) = out.iter().find(|p| p.cb == row.chargebee) {
            let by = if p.mapped { "another mapping" } else { "the flow's own table" };
            return Err(bad(&pointer(&row.at, "chargebee"), format!("{:?} is already mapped by {by} (from {})", row.chargebee, p.cp_label())));
        }
        let clash = out.iter().find(|p| {
            let mut names = vec![p.cp];
            if let CpSource::FieldElse(other) = p.source {
                names.push(other);
            }
            // A path clashes with the same path, a parent or a child of it.
            names.iter().any(|n| *n == row.customerp || row.customerp.starts_with(&format!("{n}.")) || n.starts_with(&format!("{}.", row.customerp)))
        });
        if let Some(p) = clash {
            let by = if p.mapped { "another mapping" } else { "the flow's own table" };
            return Err(bad(&pointer(&row.at, "customerp"), format!("{:?} is already used by {by} (mapped to {})", row.customerp, p.cb)));
        }
        let (kind, label) = kind_of(&row, shape, what)?;
        if kind == Kind::Money && matches!(flow.id(), FlowId::ContactCustomer | FlowId::EmployeeCustomer) {
            return Err(bad(&pointer(&row.at, "type"), format!("money is read in the record's currency, and {} records have none", flow.id().as_str())));
        }
        let via_label = match (via, row.dir) {
            (_, Dir::ToCustomerp) => "read",
            (BillingInfo, _) => "update_billing_info",
            _ => "update",
        };
        out.push(Prop {
            cp: leak(row.customerp),
            cb: leak(row.chargebee),
            cb_type: leak(&format!("{label}; mapped by configuration ({what}, {via_label})")),
            dir: row.dir,
            kind,
            source: CpSource::Field,
            mapped: true,
        });
    }
    Ok(out)
}

/// A flow with the rows its configuration adds: everything but the table is the flow's own.
pub struct Mapped {
    inner: &'static dyn Flow,
    rows: &'static [Prop],
}

/// Built tables by flow and configuration text; each is made once per process.
static CACHE: Mutex<Option<HashMap<(FlowId, String), &'static Mapped>>> = Mutex::new(None);
/// Distinct configurations a process keeps (a host changing its configuration now and then is far below).
const CACHE_LIMIT: usize = 1024;

/// The flow a call runs with `options.mappings`: the flow itself when it has none. Every flow's
/// rows in `mappings` are checked, so a mistake shows on the first call, whichever flow it makes.
pub fn flow_with(flow: &'static dyn Flow, options: Option<&Value>) -> Result<&'static dyn Flow> {
    let Some(mappings) = options.and_then(|o| o.get("mappings")).filter(|m| !m.is_null()) else { return Ok(flow) };
    let root = "/options/mappings";
    let map = mappings.as_object().ok_or_else(|| bad(root, "expected an object of flow → array of mappings"))?;
    let mut mine = flow;
    for (name, rows) in map {
        let at = pointer(root, name);
        let Some(other) = crate::flows::all().into_iter().find(|f| f.id().as_str() == name) else {
            let known: Vec<&str> = FlowId::ALL.iter().map(|f| f.as_str()).collect();
            return Err(bad(&at, format!("unknown flow {name:?}; the flows are {}", known.join(", "))));
        };
        if rows.is_null() || rows.as_array().is_some_and(Vec::is_empty) {
            continue;
        }
        let mapped = cached(other, rows, &at)?;
        if other.id() == flow.id() {
            mine = mapped;
        }
    }
    Ok(mine)
}

/// Every flow, each with its mapped rows (for `flows()` and the dataflow document).
pub fn all_with(options: Option<&Value>) -> Result<Vec<&'static dyn Flow>> {
    crate::flows::all().into_iter().map(|f| flow_with(f, options)).collect()
}

fn cached(flow: &'static dyn Flow, rows: &Value, at: &str) -> Result<&'static Mapped> {
    let key = (flow.id(), rows.to_string());
    let mut guard = CACHE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let cache = guard.get_or_insert_with(HashMap::new);
    if let Some(m) = cache.get(&key) {
        return Ok(m);
    }
    let built = build(flow, rows, at)?;
    if cache.len() >= CACHE_LIMIT {
        return Err(bad(at, format!("more than {CACHE_LIMIT} different mapping configurations in one process")));
    }
    let mapped: &'static Mapped = Box::leak(Box::new(Mapped { inner: flow, rows: Box::leak(built.into_boxed_slice()) }));
    cache.insert(key, mapped);
    Ok(mapped)
}

/// The table a flow's requests are built from in this call: its mapped table if the call has one.
pub fn rows_of(flow: &dyn Flow, own: &'static [Prop], ctx: &Ctx) -> &'static [Prop] {
    match ctx.options.rows {
        Some((id, rows)) if id == flow.id() => rows,
        _ => own,
    }
}

/// Writes a row's value into request params: a `meta_data` / `metadata` key merged into the
/// object Chargebee has (it replaces the object whole), anything else at its path.
pub fn write_param(params: &mut Map<String, Value>, cb: &str, value: Value, current: &Value) {
    for meta in ["meta_data", "metadata"] {
        if let Some(key) = cb.strip_prefix(meta).and_then(|k| k.strip_prefix('.')) {
            let slot = params
                .entry(meta.to_string())
                .or_insert_with(|| current.get(meta).filter(|m| m.is_object()).cloned().unwrap_or_else(|| Value::Object(Map::new())));
            if let Value::Object(m) = slot {
                if value.is_null() || value == "" {
                    m.remove(key);
                } else {
                    m.insert(key.to_string(), value);
                }
            }
            return;
        }
    }
    set_path(params, cb, value);
}

impl Flow for Mapped {
    fn id(&self) -> FlowId {
        self.inner.id()
    }
    fn doc(&self) -> &'static FlowDoc {
        self.inner.doc()
    }
    fn props(&self) -> &'static [Prop] {
        self.rows
    }
    fn resource_key(&self) -> &'static str {
        self.inner.resource_key()
    }
    fn criteria(&self) -> &'static [Criterion] {
        self.inner.criteria()
    }
    fn chargebee_id(&self, cp_id: &str, rec: &Value, ctx: &Ctx) -> Result<String> {
        self.inner.chargebee_id(cp_id, rec, ctx)
    }
    fn check_customerp(&self, rec: &Value, root: &str, ctx: &mut Ctx) -> Result<()> {
        self.inner.check_customerp(rec, root, ctx)
    }
    fn hold_customerp(&self, rec: &Value) -> Option<String> {
        self.inner.hold_customerp(rec)
    }
    fn hold_chargebee(&self, rec: &Value) -> Option<String> {
        self.inner.hold_chargebee(rec)
    }
    fn foreign_chargebee(&self, rec: &Value) -> bool {
        self.inner.foreign_chargebee(rec)
    }
    fn waiting_for(&self, rec: &Value, ctx: &Ctx) -> Vec<Wait> {
        self.inner.waiting_for(rec, ctx)
    }
    fn chargebee_view<'a>(&self, rec: &'a Value, root: &str, ctx: &mut Ctx) -> Result<Cow<'a, Value>> {
        self.inner.chargebee_view(rec, root, ctx)
    }
    fn input_path(&self, path: String, ctx: &Ctx) -> String {
        self.inner.input_path(path, ctx)
    }
    fn resource_from_view(&self, view: &mut Map<String, Value>, ctx: &Ctx) {
        self.inner.resource_from_view(view, ctx)
    }
    fn chargebee_clock(&self, view: &Value) -> Option<i64> {
        self.inner.chargebee_clock(view)
    }
    fn chargebee_deleted(&self, view: &Value) -> bool {
        self.inner.chargebee_deleted(view)
    }
    fn settable_on_create(&self, prop: &Prop) -> bool {
        self.inner.settable_on_create(prop)
    }
    fn create_writes(&self, prop: &Prop) -> bool {
        self.inner.create_writes(prop)
    }
    fn writes_by_hand(&self) -> bool {
        self.inner.writes_by_hand()
    }
    fn manual_instruction(&self, op: &str, cb_id: Option<&str>, rows: &[usize], values: &[Value]) -> String {
        self.inner.manual_instruction(op, cb_id, rows, values)
    }
    fn adopt(&self, rec: &Value, ctx: &Ctx) -> Option<(String, String)> {
        self.inner.adopt(rec, ctx)
    }
    fn released(&self, cp: &Record, cb: &Record) -> Option<String> {
        self.inner.released(cp, cb)
    }
    fn check_pair(&self, cp: &Record, cb: &Record, ctx: &mut Ctx) {
        self.inner.check_pair(cp, cb, ctx)
    }
    fn customerp_new(&self, cb: &Value, ctx: &Ctx) -> Map<String, Value> {
        self.inner.customerp_new(cb, ctx)
    }
    fn customerp_deactivate(&self) -> Map<String, Value> {
        self.inner.customerp_deactivate()
    }
    fn create_requests(&self, id: &str, resource: Map<String, Value>, cp: &Value, ctx: &Ctx) -> Result<Vec<RequestSpec>> {
        self.inner.create_requests(id, resource, cp, ctx)
    }
    fn update_requests(&self, id: &str, changed: &[usize], merged: &[Value], current: &Value, ctx: &Ctx) -> Vec<RequestSpec> {
        self.inner.update_requests(id, changed, merged, current, ctx)
    }
    fn mark_deleted_requests(&self, id: &str, current: &Value, cp_id: Option<&str>) -> Vec<RequestSpec> {
        self.inner.mark_deleted_requests(id, current, cp_id)
    }
    fn delete_requests(&self, id: &str, current: &Value) -> Vec<RequestSpec> {
        self.inner.delete_requests(id, current)
    }
    fn values_after_delete(&self, current: &[Value], requests: &[RequestSpec], ctx: &mut Ctx) -> Vec<Value> {
        self.inner.values_after_delete(current, requests, ctx)
    }
    fn companions(&self) -> Option<(&'static str, &'static [&'static str])> {
        self.inner.companions()
    }
    fn lead_write_empties_companions(&self, current: &Value) -> bool {
        self.inner.lead_write_empties_companions(current)
    }
}
