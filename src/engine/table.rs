//! The declarative property tables every flow is written in, and how one row reads, compares
//! and writes its value on each side. A row holds the value in *canonical form*: the form both
//! sides agree on after a sync, so the plugin's own writes never come back as edits.

use crate::engine::path::get_path;
use crate::engine::Ctx;
use crate::error::{pointer_for_dotted, read_at, Result, SyncError};
use crate::values;
use serde_json::{json, Value};

/// Which way a property travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Both,
    ToChargebee,
    ToCustomerp,
    /// Written to Chargebee when the resource is created, never compared afterwards.
    ToChargebeeOnCreate,
}

impl Dir {
    pub fn as_str(self) -> &'static str {
        match self {
            Dir::Both => "both",
            Dir::ToChargebee | Dir::ToChargebeeOnCreate => "to-chargebee",
            Dir::ToCustomerp => "to-customerp",
        }
    }
    pub fn writes_chargebee(self) -> bool {
        !matches!(self, Dir::ToCustomerp)
    }
    pub fn writes_customerp(self) -> bool {
        matches!(self, Dir::Both | Dir::ToCustomerp)
    }
}

/// How a value is typed on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Trimmed text; Chargebee allows at most this many characters.
    Text(usize),
    /// E-mail, compared case-insensitively.
    Email(usize),
    /// ISO 3166-1 alpha-2, upper case.
    Country,
    /// Customerp `YYYY-MM-DD` ⇄ Chargebee Unix seconds at 00:00 in the configured zone.
    Date,
    /// Customerp RFC 3339 ⇄ Chargebee Unix seconds.
    Instant,
    /// Customerp decimal in the record's currency ⇄ Chargebee integer minor units.
    Money,
    /// Customerp boolean ⇄ Chargebee enum (value when true, value when false).
    BoolEnum(&'static str, &'static str),
    /// Customerp text ⇄ Chargebee enum through a value table.
    Enum(&'static EnumMap),
    /// A boolean on both sides.
    Bool,
    /// A whole number ≥ 0 (a fractional Customerp quantity is an error).
    Count,
    /// One value per line: `lines.sku` ⇄ `order_line_items.sku`, in Customerp's line order.
    Each(&'static Kind),
    /// A JSON object written as is (the Customerp identity tag in `meta_data`).
    Json,
}

/// An enum mapped value by value. The canonical form is Chargebee's value.
#[derive(Debug, PartialEq, Eq)]
pub struct EnumMap {
    /// (Customerp value, Chargebee value); the first pair of a Chargebee value is the one written back.
    pub pairs: &'static [(&'static str, &'static str)],
    /// Chargebee values read as another Chargebee value (legacy or finer states).
    pub chargebee_aliases: &'static [(&'static str, &'static str)],
    /// What an unknown Customerp value becomes (with a warning), if it is not an error.
    pub customerp_unknown: Option<&'static str>,
}

/// Where the Customerp side of a row comes from, when it is not simply the field of that name.
#[derive(Debug, Clone, Copy)]
pub enum CpSource {
    Field,
    /// The first field, else the second when the first is empty (`phone` else `mobile`).
    FieldElse(&'static str),
    /// The Chargebee id that another flow linked to the record this field names.
    LinkedParent(&'static str),
    /// A value from the options, by its option name.
    Option(&'static str),
    /// Computed from the Customerp record (e.g. `is_shippable` from `kind`), in canonical form.
    Computed(fn(&Value, &str, &mut Ctx) -> Result<Value>),
    /// `{type, id, …extra fields}`: who this Chargebee record belongs to in Customerp.
    Tag { type_name: &'static str, extra: &'static [&'static str] },
}

#[derive(Debug, Clone, Copy)]
pub struct Prop {
    /// Customerp property path (dots), as used in conflicts, warnings and `propertyWinners`.
    pub cp: &'static str,
    /// Chargebee attribute path (dots).
    pub cb: &'static str,
    /// Chargebee data type as the documentation states it.
    pub cb_type: &'static str,
    pub dir: Dir,
    pub kind: Kind,
    pub source: CpSource,
    /// A row added by the `mappings` option rather than the flow's own table.
    pub mapped: bool,
}

pub const fn both(cp: &'static str, cb: &'static str, cb_type: &'static str, kind: Kind) -> Prop {
    Prop { cp, cb, cb_type, dir: Dir::Both, kind, source: CpSource::Field, mapped: false }
}

pub const fn to_chargebee(cp: &'static str, cb: &'static str, cb_type: &'static str, kind: Kind) -> Prop {
    Prop { cp, cb, cb_type, dir: Dir::ToChargebee, kind, source: CpSource::Field, mapped: false }
}

pub const fn to_customerp(cp: &'static str, cb: &'static str, cb_type: &'static str, kind: Kind) -> Prop {
    Prop { cp, cb, cb_type, dir: Dir::ToCustomerp, kind, source: CpSource::Field, mapped: false }
}

impl Prop {
    pub const fn on_create(mut self) -> Prop {
        self.dir = Dir::ToChargebeeOnCreate;
        self
    }
    pub const fn from(mut self, source: CpSource) -> Prop {
        self.source = source;
        self
    }
    pub const fn cp_else(self, fallback: &'static str) -> Prop {
        self.from(CpSource::FieldElse(fallback))
    }

    /// The Customerp field this row writes into, if Customerp is ever written.
    pub fn cp_field(&self) -> &'static str {
        self.cp
    }

    /// How `flows()` and the dataflow document name the Customerp side.
    pub fn cp_label(&self) -> String {
        match self.source {
            CpSource::Field | CpSource::LinkedParent(_) => self.cp.to_string(),
            CpSource::FieldElse(other) => format!("{} (else {other})", self.cp),
            CpSource::Option(name) => format!("option {name}"),
            CpSource::Computed(_) => self.cp.to_string(),
            CpSource::Tag { extra, .. } => {
                let mut parts = vec!["id"];
                parts.extend_from_slice(extra);
                format!("{}, record type", parts.join(", "))
            }
        }
    }

    /// Canonical equality: e-mail ignores case, everything else is exact on canonical values.
    pub fn same(&self, a: &Value, b: &Value) -> bool {
        match (self.kind, a, b) {
            (Kind::Email(_), Value::String(x), Value::String(y)) => values::email_key(x) == values::email_key(y),
            // The same text in composed and decomposed Unicode is the same text.
            (_, Value::String(x), Value::String(y)) if x != y => {
                use unicode_normalization::UnicodeNormalization;
                x.nfc().eq(y.nfc())
            }
            _ => a == b,
        }
    }

    /// Reads the Customerp side of this row from a Customerp record, in canonical form.
    pub fn read_customerp(&self, rec: &Value, id: &str, root: &str, ctx: &mut Ctx) -> Result<Value> {
        match self.source {
            CpSource::Field => match self.kind {
                Kind::Each(inner) => self.read_each(rec, self.cp, root, |v, at, ctx| self.read_cp_value(*inner, v, at, ctx), ctx),
                kind => {
                    let v = get_path(rec, self.cp, root)?;
                    read_at(|| pointer_for_dotted(root, self.cp), |path| self.read_cp_value(kind, v, path, ctx))
                }
            },
            CpSource::FieldElse(other) => {
                let v = get_path(rec, self.cp, root)?;
                let first = read_at(|| pointer_for_dotted(root, self.cp), |path| self.read_cp_value(self.kind, v, path, ctx))?;
                if !first.is_null() {
                    return Ok(first);
                }
                let v = get_path(rec, other, root)?;
                read_at(|| pointer_for_dotted(root, other), |path| self.read_cp_value(self.kind, v, path, ctx))
            }
            CpSource::Computed(f) => f(rec, root, ctx),
            CpSource::LinkedParent(flow) => {
                let parent = match get_path(rec, self.cp, root)? {
                    None => return Ok(Value::Null),
                    Some(Value::String(s)) if s.trim().is_empty() => return Ok(Value::Null),
                    Some(v) => read_at(|| pointer_for_dotted(root, self.cp), |path| values::read_id(v, path))?,
                };
                Ok(ctx.linked(flow, &parent).map(Value::from).unwrap_or(Value::Null))
            }
            CpSource::Option(name) => Ok(ctx.options.named(name).map(Value::from).unwrap_or(Value::Null)),
            CpSource::Tag { type_name, extra } => {
                let mut tag = serde_json::Map::new();
                tag.insert("type".into(), json!(type_name));
                tag.insert("id".into(), json!(id));
                for field in extra {
                    let v = get_path(rec, field, root)?;
                    if let Some(v) = read_at(|| pointer_for_dotted(root, field), |path| values::read_text(v, path, Some(50)))? {
                        tag.insert((*field).into(), json!(v));
                    }
                }
                Ok(Value::Object(tag))
            }
        }
    }

    /// Reads `array.field` of every element of an array, as an array (null when there is none).
    fn read_each(
        &self,
        rec: &Value,
        dotted: &str,
        root: &str,
        read: impl Fn(Option<&Value>, &str, &mut Ctx) -> Result<Value>,
        ctx: &mut Ctx,
    ) -> Result<Value> {
        let (array, field) = dotted.split_once('.').unwrap_or((dotted, ""));
        match get_path(rec, array, root)? {
            None => Ok(Value::Null),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let item_at = || format!("{}/{i}", pointer_for_dotted(root, array));
                    if !item.is_object() {
                        return Err(SyncError::invalid_type(&item_at(), "a line object"));
                    }
                    let v = item.get(field);
                    let value = read_at(|| format!("{}/{field}", item_at()), |path| read(v, path, ctx))?;
                    out.push(value);
                }
                Ok(if out.is_empty() { Value::Null } else { Value::Array(out) })
            }
            Some(_) => Err(SyncError::invalid_type(&pointer_for_dotted(root, array), "an array of lines")),
        }
    }

    pub fn read_cp_value(&self, kind: Kind, v: Option<&Value>, path: &str, ctx: &mut Ctx) -> Result<Value> {
        Ok(match kind {
            Kind::Text(max) => values::read_text(v, path, Some(max))?.map(Value::from).unwrap_or(Value::Null),
            Kind::Email(max) => values::read_email(v, path, Some(max))?.map(Value::from).unwrap_or(Value::Null),
            Kind::Country => values::read_country(v, path)?.map(Value::from).unwrap_or(Value::Null),
            Kind::Date => values::read_date(v, path)?.map(|d| Value::from(d.to_string())).unwrap_or(Value::Null),
            Kind::Instant => values::read_instant(v, path)?.map(Value::from).unwrap_or(Value::Null),
            Kind::Money => match values::read_decimal(v, path)? {
                None => Value::Null,
                Some(amount) => {
                    let cur = ctx.currency.ok_or_else(|| {
                        SyncError::invalid_value(path, "an amount needs the record's currency")
                    })?;
                    let m = values::to_minor(amount, cur, path)?;
                    if let Some(orig) = m.rounded_from {
                        ctx.warn(
                            "rounded",
                            Some(self.cp),
                            format!(
                                "{orig} {} has more decimals than Chargebee counts; rounded half-even to {}",
                                cur.code,
                                values::from_minor(m.minor, cur)
                            ),
                        );
                    }
                    Value::from(m.minor)
                }
            },
            Kind::BoolEnum(..) => values::read_bool(v, path)?.map(Value::from).unwrap_or(Value::Null),
            Kind::Enum(map) => match values::read_text(v, path, None)? {
                None => Value::Null,
                Some(s) => match map.pairs.iter().find(|(cp, _)| *cp == s) {
                    Some((_, cb)) => Value::from(*cb),
                    None => match map.customerp_unknown {
                        Some(fallback) => {
                            ctx.warn("unknown_value", Some(self.cp), format!("{s:?} is not a Chargebee value; sent as {fallback:?}"));
                            Value::from(fallback)
                        }
                        None => {
                            let known: Vec<&str> = map.pairs.iter().map(|(cp, _)| *cp).collect();
                            return Err(SyncError::invalid_value(path, format!("{s:?} is not one of {}", known.join(", "))));
                        }
                    },
                },
            },
            Kind::Bool => values::read_bool(v, path)?.map(Value::from).unwrap_or(Value::Null),
            Kind::Count => values::read_count(v, path)?.map(Value::from).unwrap_or(Value::Null),
            Kind::Each(_) => return Err(SyncError::invalid_type(path, "a line value")),
            Kind::Json => match v {
                None | Some(Value::Null) => Value::Null,
                Some(o @ Value::Object(_)) => o.clone(),
                Some(_) => return Err(SyncError::invalid_type(path, "an object")),
            },
        })
    }

    /// Reads the Chargebee side of this row from a Chargebee resource, in canonical form.
    pub fn read_chargebee(&self, rec: &Value, root: &str, ctx: &mut Ctx) -> Result<Value> {
        if self.dir == Dir::ToChargebeeOnCreate {
            return Ok(Value::Null); // never compared: Chargebee's value is whatever the create set
        }
        if let Kind::Each(inner) = self.kind {
            return self.read_each(rec, self.cb, root, |v, at, ctx| self.read_cb_value(*inner, v, at, ctx), ctx);
        }
        let v = get_path(rec, self.cb, root)?;
        read_at(|| pointer_for_dotted(root, self.cb), |path| self.read_cb_value(self.kind, v, path, ctx))
    }

    fn read_cb_value(&self, kind: Kind, v: Option<&Value>, path: &str, ctx: &mut Ctx) -> Result<Value> {
        Ok(match kind {
            Kind::Text(_) | Kind::Email(_) => values::read_text(v, path, None)?.map(Value::from).unwrap_or(Value::Null),
            Kind::Country => values::read_text(v, path, None)?
                .map(|s| Value::from(s.to_ascii_uppercase()))
                .unwrap_or(Value::Null),
            Kind::Date => match values::read_timestamp(v, path)? {
                None => Value::Null,
                Some(ts) => values::timestamp_to_date(ts, &ctx.options.time_zone)
                    .map(|d| Value::from(d.to_string()))
                    .ok_or_else(|| SyncError::invalid_value(path, "timestamp out of range"))?,
            },
            Kind::Instant => values::read_timestamp(v, path)?.map(Value::from).unwrap_or(Value::Null),
            Kind::Money => values::read_minor(v, path)?.map(Value::from).unwrap_or(Value::Null),
            Kind::BoolEnum(on, off) => match values::read_text(v, path, None)? {
                None => Value::Null,
                Some(s) if s == on => Value::Bool(true),
                Some(s) if s == off => Value::Bool(false),
                Some(s) => return Err(SyncError::invalid_value(path, format!("{s:?} is neither {on:?} nor {off:?}"))),
            },
            Kind::Enum(map) => match values::read_text(v, path, None)? {
                None => Value::Null,
                Some(s) => {
                    let s = map.chargebee_aliases.iter().find(|(from, _)| *from == s).map(|(_, to)| to.to_string()).unwrap_or(s);
                    if map.pairs.iter().any(|(_, cb)| *cb == s) {
                        Value::from(s)
                    } else {
                        return Err(SyncError::invalid_value(path, format!("{s:?} is not a known value")));
                    }
                }
            },
            Kind::Bool => values::read_bool(v, path)?.map(Value::from).unwrap_or(Value::Null),
            Kind::Count => match v {
                None | Some(Value::Null) => Value::Null,
                Some(Value::Number(n)) if n.as_u64().is_some() => Value::Number(n.clone()),
                Some(_) => return Err(SyncError::invalid_type(path, "a whole number")),
            },
            Kind::Each(_) => return Err(SyncError::invalid_type(path, "a line value")),
            Kind::Json => match v {
                None | Some(Value::Null) => Value::Null,
                Some(o @ Value::Object(_)) => o.clone(),
                // Chargebee returns meta_data as an object; a JSON string is tolerated.
                Some(Value::String(s)) => serde_json::from_str::<Value>(s)
                    .ok()
                    .filter(Value::is_object)
                    .ok_or_else(|| SyncError::invalid_type(path, "a JSON object"))?,
                Some(_) => return Err(SyncError::invalid_type(path, "a JSON object")),
            },
        })
    }

    /// The canonical value as a Chargebee parameter. `None` means "leave the parameter out".
    pub fn write_chargebee(&self, v: &Value, ctx: &Ctx) -> Option<Value> {
        Self::write_cb_kind(self.kind, v, ctx)
    }

    /// One value as a Chargebee parameter: for a line property, one line's value.
    pub fn write_chargebee_value(&self, v: &Value, ctx: &Ctx) -> Option<Value> {
        match self.kind {
            Kind::Each(inner) => Self::write_cb_kind(*inner, v, ctx),
            kind => Self::write_cb_kind(kind, v, ctx),
        }
    }

    /// One value as a Customerp field value: for a line property, one line's value.
    pub fn write_customerp_value(&self, v: &Value, ctx: &Ctx) -> Value {
        match (self.kind, v) {
            (Kind::Each(inner), v) if !v.is_array() => Self::write_cp_kind(*inner, v, ctx),
            (kind, v) => Self::write_cp_kind(kind, v, ctx),
        }
    }

    fn write_cb_kind(kind: Kind, v: &Value, ctx: &Ctx) -> Option<Value> {
        match (kind, v) {
            // An unknown line value (an unlinked product) is left out of that line, not sent empty.
            (Kind::Each(inner), Value::Array(items)) => Some(Value::Array(
                items.iter().map(|i| if i.is_null() { Value::Null } else { Self::write_cb_kind(*inner, i, ctx).unwrap_or(Value::Null) }).collect(),
            )),
            (Kind::Text(_) | Kind::Email(_) | Kind::Country, Value::Null) => Some(Value::from("")),
            (_, Value::Null) => None,
            (Kind::Date, Value::String(s)) => s
                .parse::<jiff::civil::Date>()
                .ok()
                .and_then(|d| values::date_to_timestamp(d, &ctx.options.time_zone))
                .map(Value::from),
            (Kind::BoolEnum(on, off), Value::Bool(b)) => Some(Value::from(if *b { on } else { off })),
            _ => Some(v.clone()),
        }
    }

    /// The canonical value as a Customerp field value.
    pub fn write_customerp(&self, v: &Value, ctx: &Ctx) -> Value {
        Self::write_cp_kind(self.kind, v, ctx)
    }

    fn write_cp_kind(kind: Kind, v: &Value, ctx: &Ctx) -> Value {
        match (kind, v) {
            (_, Value::Null) => Value::Null,
            (Kind::Each(inner), Value::Array(items)) => {
                Value::Array(items.iter().map(|i| Self::write_cp_kind(*inner, i, ctx)).collect())
            }
            (Kind::Instant, Value::Number(n)) => n
                .as_i64()
                .and_then(|s| values::format_instant(s, &ctx.options.time_zone))
                .map(Value::from)
                .unwrap_or(Value::Null),
            (Kind::Money, Value::Number(n)) => match (n.as_i64(), ctx.currency) {
                (Some(m), Some(cur)) => Value::from(values::from_minor(m, cur)),
                _ => Value::Null,
            },
            (Kind::Enum(map), Value::String(s)) => map
                .pairs
                .iter()
                .find(|(_, cb)| cb == s)
                .map(|(cp, _)| Value::from(*cp))
                .unwrap_or(Value::Null),
            _ => v.clone(),
        }
    }
}
