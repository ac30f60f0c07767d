//! `Options` of `api.md`, validated once per call. Unknown keys are refused so a typo never
//! silently changes nothing.

use crate::error::{pointer, ErrorCode, Result, SyncError};
use crate::values;
use jiff::tz::TimeZone;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Customerp,
    Chargebee,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Customerp => "customerp",
            Side::Chargebee => "chargebee",
        }
    }
    pub fn other(self) -> Side {
        match self {
            Side::Customerp => Side::Chargebee,
            Side::Chargebee => Side::Customerp,
        }
    }
    pub fn parse(s: &str) -> Option<Side> {
        match s {
            "customerp" => Some(Side::Customerp),
            "chargebee" => Some(Side::Chargebee),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictPolicy {
    Newest,
    Fixed(Side),
}

/// Who makes Chargebee orders for new quotes and orders: the plugin (`POST /orders` after the
/// invoice), or the site itself (order management generates one for the paid invoice's shippable
/// lines, and `POST /orders` would make a second).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderMaker {
    Create,
    Chargebee,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletePolicy {
    Safe,
    Propagate,
    Ignore,
}

/// Which two-way properties of a linked pair are planned as at a first sync when the sides differ
/// and neither changed since the base (drift: a one-way period, an edit outside the sync, a restore).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    Off,
    All,
    Properties(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Options {
    pub conflicts: ConflictPolicy,
    pub property_winners: Vec<(String, Side)>,
    pub deletes: DeletePolicy,
    pub time_zone: TimeZone,
    pub time_zone_name: String,
    pub item_family_id: Option<String>,
    pub own_company_name: Option<String>,
    pub id_prefix: String,
    pub read_only: Vec<Side>,
    pub created_after: Option<i64>,
    pub repair: Repair,
    pub orders: OrderMaker,
    /// Option `changes`: a plan lists each property it writes, before and after, and why.
    pub changes: bool,
    /// The flow's table in this call, with the rows `mappings` adds (checked by `crate::mappings`).
    pub rows: Option<(crate::engine::FlowId, &'static [crate::engine::table::Prop])>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            conflicts: ConflictPolicy::Newest,
            property_winners: Vec::new(),
            deletes: DeletePolicy::Safe,
            time_zone: TimeZone::UTC,
            time_zone_name: "UTC".into(),
            item_family_id: None,
            own_company_name: None,
            id_prefix: "cp".into(),
            read_only: Vec::new(),
            created_after: None,
            repair: Repair::Off,
            orders: OrderMaker::Create,
            changes: false,
            rows: None,
        }
    }
}

const ROOT: &str = "/options";

fn bad(key: &str, why: impl std::fmt::Display) -> SyncError {
    // `key` may name a nested option, as `readOnly/0`.
    let path = key.split('/').fold(ROOT.to_string(), |acc, seg| pointer(&acc, seg));
    SyncError::new(ErrorCode::InvalidOptions, path.clone(), format!("{path}: {why}"))
}

fn string_opt<'a>(key: &str, v: &'a Value) -> Result<&'a str> {
    v.as_str().ok_or_else(|| bad(key, "expected a string"))
}

impl Options {
    /// Parses `options` (absent or `null` means all defaults). `properties` are the flow's
    /// Customerp property paths, which `propertyWinners` may name.
    pub fn parse(v: Option<&Value>, properties: &[&str]) -> Result<Options> {
        let mut o = Options::default();
        let map = match v {
            None | Some(Value::Null) => return Ok(o),
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Err(SyncError::new(ErrorCode::InvalidOptions, ROOT, "options must be an object"))
            }
        };
        for (key, val) in map {
            if val.is_null() {
                continue; // an explicit null is "use the default", like an absent key
            }
            match key.as_str() {
                "conflicts" => {
                    o.conflicts = match string_opt(key, val)? {
                        "newest" => ConflictPolicy::Newest,
                        s => ConflictPolicy::Fixed(Side::parse(s).ok_or_else(|| {
                            bad(key, format!("{s:?} is not one of \"newest\", \"customerp\", \"chargebee\""))
                        })?),
                    }
                }
                "propertyWinners" => o.property_winners = parse_winners(val, properties)?,
                "deletes" => {
                    o.deletes = match string_opt(key, val)? {
                        "safe" => DeletePolicy::Safe,
                        "propagate" => DeletePolicy::Propagate,
                        "ignore" => DeletePolicy::Ignore,
                        s => return Err(bad(key, format!("{s:?} is not one of \"safe\", \"propagate\", \"ignore\""))),
                    }
                }
                "timeZone" => {
                    let name = string_opt(key, val)?;
                    o.time_zone = values::time_zone(name)
                        .ok_or_else(|| bad(key, format!("{name:?} is not an IANA time zone")))?;
                    o.time_zone_name = name.to_string();
                }
                "itemFamilyId" => {
                    let s = string_opt(key, val)?.trim();
                    if s.is_empty() || s.chars().count() > 100 {
                        return Err(bad(key, "must be 1 to 100 characters"));
                    }
                    o.item_family_id = Some(s.to_string());
                }
                "ownCompanyName" => {
                    let s = string_opt(key, val)?.trim();
                    if s.chars().count() > 250 {
                        return Err(bad(key, "Chargebee's company allows at most 250 characters"));
                    }
                    o.own_company_name = (!s.is_empty()).then(|| s.to_string());
                }
                "idPrefix" => {
                    let s = string_opt(key, val)?;
                    let ok = !s.is_empty()
                        && s.len() <= 20
                        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if !ok {
                        return Err(bad(key, "must be 1 to 20 characters of A-Z, a-z, 0-9, '_' or '-'"));
                    }
                    o.id_prefix = s.to_string();
                }
                "readOnly" => {
                    let arr = val.as_array().ok_or_else(|| bad(key, "expected an array of sides"))?;
                    for (i, s) in arr.iter().enumerate() {
                        let side = s.as_str().and_then(Side::parse).ok_or_else(|| {
                            bad(&format!("readOnly/{i}"), "expected \"customerp\" or \"chargebee\"")
                        })?;
                        if !o.read_only.contains(&side) {
                            o.read_only.push(side);
                        }
                    }
                }
                "createdAfter" => {
                    let s = string_opt(key, val)?;
                    o.created_after = Some(values::parse_instant(s).map_err(|why| bad(key, why))?);
                }
                "repair" => o.repair = parse_repair(val, properties)?,
                "orders" => {
                    o.orders = match string_opt(key, val)? {
                        "create" => OrderMaker::Create,
                        "chargebee" => OrderMaker::Chargebee,
                        s => return Err(bad(key, format!("{s:?} is not one of \"create\", \"chargebee\""))),
                    }
                }
                "changes" => o.changes = val.as_bool().ok_or_else(|| bad(key, "expected true or false"))?,
                // Checked and turned into rows by `crate::mappings::flow_with` before these options.
                "mappings" => {}
                other => return Err(bad(other, format!("unknown option {other:?}"))),
            }
        }
        Ok(o)
    }

    pub fn is_read_only(&self, side: Side) -> bool {
        self.read_only.contains(&side)
    }

    /// A text option by its JS name, for table rows whose value is configured.
    pub fn named(&self, name: &str) -> Option<String> {
        match name {
            "ownCompanyName" => self.own_company_name.clone(),
            "itemFamilyId" => self.item_family_id.clone(),
            _ => None,
        }
    }

    /// Whether `repair` covers this property.
    pub fn repairs(&self, property: &str) -> bool {
        match &self.repair {
            Repair::Off => false,
            Repair::All => true,
            Repair::Properties(ps) => ps.iter().any(|p| p == property),
        }
    }

    pub fn winner_for(&self, property: &str) -> Option<Side> {
        self.property_winners.iter().find(|(p, _)| p == property).map(|(_, s)| *s)
    }
}

fn parse_repair(val: &Value, properties: &[&str]) -> Result<Repair> {
    match val {
        Value::Bool(true) => Ok(Repair::All),
        Value::Bool(false) => Ok(Repair::Off),
        Value::Array(arr) => {
            let mut out = Vec::new();
            for (i, p) in arr.iter().enumerate() {
                let key = format!("repair/{i}");
                let name = p.as_str().ok_or_else(|| bad(&key, "expected a property name"))?;
                if !properties.contains(&name) {
                    return Err(bad(&key, format!("{name:?} is not a property of this flow")));
                }
                out.push(name.to_string());
            }
            Ok(Repair::Properties(out))
        }
        _ => Err(bad("repair", "expected true, false or an array of property names")),
    }
}

fn parse_winners(val: &Value, properties: &[&str]) -> Result<Vec<(String, Side)>> {
    let map: &Map<String, Value> = val
        .as_object()
        .ok_or_else(|| bad("propertyWinners", "expected an object of property → side"))?;
    let mut out = Vec::new();
    for (prop, side) in map {
        let key = format!("propertyWinners/{prop}");
        if !properties.contains(&prop.as_str()) {
            return Err(bad(&key, format!("{prop:?} is not a property of this flow")));
        }
        let side = side
            .as_str()
            .and_then(Side::parse)
            .ok_or_else(|| bad(&key, "expected \"customerp\" or \"chargebee\""))?;
        out.push((prop.clone(), side));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_validation() {
        let o = Options::parse(None, &[]).unwrap();
        assert_eq!(o.conflicts, ConflictPolicy::Newest);
        assert_eq!(o.deletes, DeletePolicy::Safe);
        assert_eq!(o.id_prefix, "cp");
        let e = Options::parse(Some(&json!({"conflict": "newest"})), &[]).unwrap_err();
        assert_eq!((e.code, e.path.as_str()), (ErrorCode::InvalidOptions, "/options/conflict"));
        let e = Options::parse(Some(&json!({"timeZone": "Nowhere/Town"})), &[]).unwrap_err();
        assert_eq!(e.path, "/options/timeZone");
        let e = Options::parse(Some(&json!({"propertyWinners": {"nope": "customerp"}})), &["email"]).unwrap_err();
        assert_eq!(e.path, "/options/propertyWinners/nope");
        let o = Options::parse(
            Some(&json!({"conflicts": "chargebee", "propertyWinners": {"email": "customerp"},
                         "readOnly": ["chargebee"], "createdAfter": "2026-01-01T00:00:00Z",
                         "timeZone": "Europe/Oslo", "idPrefix": "erp"})),
            &["email"],
        )
        .unwrap();
        assert_eq!(o.conflicts, ConflictPolicy::Fixed(Side::Chargebee));
        assert_eq!(o.winner_for("email"), Some(Side::Customerp));
        assert!(o.is_read_only(Side::Chargebee));
        assert_eq!(o.created_after, Some(1767225600));
        assert!(!o.repairs("email"));
        let o = Options::parse(Some(&json!({"repair": ["email"]})), &["email", "phone"]).unwrap();
        assert!(o.repairs("email") && !o.repairs("phone"));
        assert!(Options::parse(Some(&json!({"repair": true})), &[]).unwrap().repairs("phone"));
        let e = Options::parse(Some(&json!({"repair": ["nope"]})), &["email"]).unwrap_err();
        assert_eq!(e.path, "/options/repair/0");
        let e = Options::parse(Some(&json!({"repair": "yes"})), &["email"]).unwrap_err();
        assert_eq!(e.path, "/options/repair");
        assert_eq!(o.orders, OrderMaker::Create);
        assert_eq!(Options::parse(Some(&json!({"orders": "chargebee"})), &[]).unwrap().orders, OrderMaker::Chargebee);
        let e = Options::parse(Some(&json!({"orders": "generated"})), &[]).unwrap_err();
        assert_eq!((e.code, e.path.as_str()), (ErrorCode::InvalidOptions, "/options/orders"));
    }
}
