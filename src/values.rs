//! Value types both systems share, parsed strictly and compared in canonical form:
//! text, e-mail, country codes, exact money in a currency's minor unit, calendar dates and instants.

use crate::error::{ErrorCode, Result, SyncError};
use jiff::{civil::Date, tz::TimeZone, Timestamp};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;
use std::str::FromStr;

/// Largest integer a JS number holds exactly (2^53 - 1).
pub const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

/// A record id: a string, or a JSON number that is a safe integer (read as its decimal string).
pub fn read_id(v: &Value, path: &str) -> Result<String> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Err(SyncError::missing(path));
            }
            if let Some(c) = t.chars().find(|c| c.is_control()) {
                return Err(SyncError::invalid_value(path, format!("id {t:?} holds the control character U+{:04X}", c as u32)));
            }
            Ok(t.to_string())
        }
        Value::Number(n) => match n.as_u64() {
            Some(u) if u <= MAX_SAFE_INTEGER => Ok(u.to_string()),
            _ => match n.as_i64() {
                Some(i) if i.unsigned_abs() <= MAX_SAFE_INTEGER => Ok(i.to_string()),
                _ => Err(SyncError::invalid_value(
                    path,
                    format!("id {n} is not a safe integer; send it as a string"),
                )),
            },
        },
        Value::Null => Err(SyncError::missing(path)),
        _ => Err(SyncError::invalid_type(path, "a string or an integer id")),
    }
}

/// Refuses the C0 control characters (NUL, ESC, …) and DEL in text: no system shows them, and
/// passed on they corrupt what reads them. Tab, line feed and carriage return stay allowed, for text
/// that spans lines.
fn check_controls(s: &str, path: &str) -> Result<()> {
    match s.chars().enumerate().find(|(_, c)| (c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r')) || *c == '\u{7f}') {
        Some((i, c)) => Err(SyncError::invalid_value(
            path,
            format!("holds the control character U+{:04X} at character {}; only tab and line breaks are allowed", c as u32, i + 1),
        )),
        None => Ok(()),
    }
}

/// Why `id` cannot be a Chargebee id, if it cannot: it goes into request paths, so no path separator,
/// dot segment, `%`, `?`, `#`, white space or control character, and at most `max` characters.
pub fn check_chargebee_id(id: &str, path: &str, max: usize, what: &str) -> Result<()> {
    let why = if id.is_empty() {
        Some("is empty".to_string())
    } else if id == "." || id == ".." {
        Some("is a dot segment".to_string())
    } else if let Some(c) = id.chars().find(|c| matches!(c, '/' | '\\' | '%' | '?' | '#') || c.is_whitespace() || c.is_control()) {
        Some(if c.is_control() || c.is_whitespace() {
            format!("holds U+{:04X}", c as u32)
        } else {
            format!("holds {c:?}")
        })
    } else if id.chars().count() > max {
        return Err(SyncError::new(
            ErrorCode::TooLong,
            path,
            format!("{path}: {} characters, a Chargebee {what} id has at most {max}", id.chars().count()),
        ));
    } else {
        None
    };
    match why {
        Some(why) => Err(SyncError::invalid_value(
            path,
            format!("{id:?} cannot be a Chargebee {what} id: it {why} (no '/', '\\', '%', '?', '#', white space, control characters or dot segments)"),
        )),
        None => Ok(()),
    }
}

/// Optional trimmed text; empty text is "no value". Enforces Chargebee's limit when `max` is set.
pub fn read_text(v: Option<&Value>, path: &str, max: Option<usize>) -> Result<Option<String>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            check_controls(t, path)?;
            if let Some(max) = max {
                let len = t.chars().count();
                if len > max {
                    return Err(SyncError::new(
                        ErrorCode::TooLong,
                        path,
                        format!("{path}: {len} characters, Chargebee allows at most {max}"),
                    ));
                }
            }
            Ok(Some(t.to_string()))
        }
        Some(_) => Err(SyncError::invalid_type(path, "a string")),
    }
}

/// E-mail: trimmed, validated; compared case-insensitively (see [`email_key`]).
pub fn read_email(v: Option<&Value>, path: &str, max: Option<usize>) -> Result<Option<String>> {
    let Some(s) = read_text(v, path, max)? else { return Ok(None) };
    if !email_address::EmailAddress::is_valid(&s) || !s.contains('.') && !s.ends_with("localhost") {
        return Err(SyncError::invalid_value(path, format!("malformed e-mail address {s:?}")));
    }
    Ok(Some(s))
}

/// The merge key of an e-mail: trimmed and lower-cased.
pub fn email_key(s: &str) -> String {
    s.trim().to_lowercase()
}

/// ISO 3166-1 alpha-2, upper case. `XI` (Northern Ireland) is accepted as Chargebee accepts it.
pub fn read_country(v: Option<&Value>, path: &str) -> Result<Option<String>> {
    let Some(s) = read_text(v, path, None)? else { return Ok(None) };
    let up = s.to_ascii_uppercase();
    if up == "XI" || (up.len() == 2 && isocountry::CountryCode::for_alpha2(&up).is_ok()) {
        Ok(Some(up))
    } else {
        Err(SyncError::invalid_value(path, format!("{s:?} is not an ISO 3166-1 alpha-2 country code")))
    }
}

pub fn read_bool(v: Option<&Value>, path: &str) -> Result<Option<bool>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(SyncError::invalid_type(path, "a boolean")),
    }
}

/// A non-negative integer (quantities, periods) given as a JSON integer or integral decimal.
pub fn read_count(v: Option<&Value>, path: &str) -> Result<Option<u32>> {
    let Some(d) = read_decimal(v, path)? else { return Ok(None) };
    if d.is_sign_negative() && !d.is_zero() {
        return Err(SyncError::invalid_value(path, "must not be negative"));
    }
    if d.fract() != Decimal::ZERO {
        return Err(SyncError::invalid_value(path, format!("{d} is not a whole number")));
    }
    u32::try_from(d.mantissa() / 10i128.pow(d.scale()))
        .map(Some)
        .map_err(|_| SyncError::invalid_value(path, format!("{d} is too large")))
}

/// An exact decimal from a JSON string (`"1499.50"`) or number. Never goes through a float:
/// a JSON number is read from its shortest decimal text.
pub fn read_decimal(v: Option<&Value>, path: &str) -> Result<Option<Decimal>> {
    let text = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(SyncError::invalid_type(path, "a decimal number (string or number)")),
    };
    let ok_chars = text.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    let parsed = if ok_chars {
        Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text))
    } else {
        return Err(SyncError::invalid_value(path, format!("{text:?} is not a decimal number")));
    };
    parsed
        .map(|d| Some(d.normalize()))
        .map_err(|_| SyncError::invalid_value(path, format!("{text:?} is not a decimal number in range")))
}

/// A currency Chargebee can bill in, with the number of decimals it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    pub code: &'static str,
    /// Decimals Chargebee counts: 0 for zero-decimal currencies, else 2.
    pub minor_digits: u32,
    /// ISO 4217 exponent; above 2 Chargebee cannot represent every amount.
    pub iso_exponent: u32,
}

pub fn read_currency(v: Option<&Value>, path: &str) -> Result<Option<Currency>> {
    let Some(s) = read_text(v, path, None)? else { return Ok(None) };
    currency(&s).map(Some).map_err(|e| SyncError {
        path: path.to_string(),
        message: format!("{path}: {}", e.message.trim_start_matches(": ")),
        ..e
    })
}

pub fn currency(code: &str) -> Result<Currency> {
    let up = code.trim().to_ascii_uppercase();
    let cur = iso_currency::Currency::from_code(&up)
        .ok_or_else(|| SyncError::invalid_value("", format!("{code:?} is not an ISO 4217 currency")))?;
    let exp = cur.exponent().ok_or_else(|| {
        SyncError::new(ErrorCode::Unsupported, "", format!("{up} has no minor unit; Chargebee cannot bill in it"))
    })?;
    let exp = u32::from(exp);
    Ok(Currency { code: cur.code(), minor_digits: if exp == 0 { 0 } else { 2 }, iso_exponent: exp })
}

/// An amount in a currency's minor unit as Chargebee counts it, plus whether rounding happened.
#[derive(Debug)]
pub struct MinorAmount {
    pub minor: i64,
    pub rounded_from: Option<Decimal>,
}

/// Major-unit decimal → Chargebee minor units. More precision than the currency has is rounded
/// half-even (the caller reports a warning); for currencies with more than two ISO decimals a
/// sub-cent amount is `unsupported`, since Chargebee counts only two.
pub fn to_minor(amount: Decimal, cur: Currency, path: &str) -> Result<MinorAmount> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(SyncError::invalid_value(path, format!("negative amount {amount}")));
    }
    let digits = cur.minor_digits;
    let rounded = amount.round_dp_with_strategy(digits, RoundingStrategy::MidpointNearestEven);
    if rounded != amount && cur.iso_exponent > 2 {
        return Err(SyncError::new(
            ErrorCode::Unsupported,
            path,
            format!("{path}: {amount} {} has more than two decimals, which Chargebee cannot represent", cur.code),
        ));
    }
    let minor = rounded
        .checked_mul(Decimal::from(10i64.pow(digits)))
        .and_then(|scaled| i64::try_from(scaled.trunc().mantissa() / 10i128.pow(scaled.trunc().scale())).ok())
        .filter(|m| (*m as u64) <= MAX_SAFE_INTEGER)
        .ok_or_else(|| SyncError::invalid_value(path, format!("amount {amount} is too large")))?;
    Ok(MinorAmount { minor, rounded_from: (rounded != amount).then_some(amount) })
}

/// Chargebee minor units → exact major-unit decimal text (`15099` USD → `"150.99"`, `1500` JPY → `"1500"`).
pub fn from_minor(minor: i64, cur: Currency) -> String {
    let d = Decimal::new(minor, cur.minor_digits);
    format!("{:.*}", cur.minor_digits as usize, d)
}

/// Reads Chargebee integer money (minor units).
pub fn read_minor(v: Option<&Value>, path: &str) -> Result<Option<i64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|i| *i >= 0 && (*i as u64) <= MAX_SAFE_INTEGER)
            .map(Some)
            .ok_or_else(|| SyncError::invalid_value(path, format!("{n} is not a non-negative integer amount"))),
        Some(_) => Err(SyncError::invalid_type(path, "an integer amount in minor units")),
    }
}

/// The configured time zone (IANA name).
pub fn time_zone(name: &str) -> Option<TimeZone> {
    if name == "UTC" {
        return Some(TimeZone::UTC);
    }
    TimeZone::get(name).ok()
}

/// An RFC 3339 date-time with offset → Unix seconds. A value without offset is an error.
pub fn read_instant(v: Option<&Value>, path: &str) -> Result<Option<i64>> {
    let Some(s) = read_text(v, path, None)? else { return Ok(None) };
    match parse_instant(&s) {
        Ok(t) if t < 0 => Err(SyncError::invalid_value(path, format!("{s:?} is before 1970, which Chargebee cannot hold"))),
        Ok(t) => Ok(Some(t)),
        Err(why) => Err(SyncError::invalid_value(path, why)),
    }
}

pub fn parse_instant(s: &str) -> std::result::Result<i64, String> {
    // RFC 3339 requires the offset; jiff's Timestamp parser refuses a civil time without one.
    let has_time = s.len() > 10 && matches!(s.as_bytes().get(10), Some(b'T' | b't' | b' '));
    if !has_time {
        return Err(format!("{s:?} is not an RFC 3339 date-time with offset"));
    }
    // RFC 3339: the offset's hours are 00–23 and its minutes 00–59 (jiff would take up to ±25:59:59).
    if let Some(off) = offset_of(s) {
        let bad = off.len() != 6 || off.as_bytes()[3] != b':' || !off[1..3].bytes().chain(off[4..].bytes()).all(|b| b.is_ascii_digit());
        if bad || off[1..3].parse::<u8>().unwrap_or(99) > 23 || off[4..].parse::<u8>().unwrap_or(99) > 59 {
            return Err(format!("{s:?} has the offset {off:?}, which is not a UTC offset (from -23:59 to +23:59)"));
        }
    }
    Timestamp::from_str(s).map(|t| t.as_second()).map_err(|_| {
        // A well-formed date-time past what an instant can hold reads differently from a malformed one.
        match s.get(..19).map(jiff::civil::DateTime::from_str) {
            Some(Ok(_)) if s.len() > 19 => format!("{s:?} is out of range: the latest instant that can be held is 9999-12-30T22:00:00Z"),
            _ => format!("{s:?} is not an RFC 3339 date-time with offset (e.g. 2026-03-01T10:15:00+01:00)"),
        }
    })
}

/// The numeric offset of an RFC 3339 date-time (`+01:00`), if it has one (not `Z`).
fn offset_of(s: &str) -> Option<&str> {
    let time = s.get(11..)?;
    let at = time.rfind(['+', '-'])?;
    Some(&time[at..])
}

/// Unix seconds → RFC 3339 in the configured zone, with its offset.
pub fn format_instant(secs: i64, tz: &TimeZone) -> Option<String> {
    let ts = Timestamp::from_second(secs).ok()?;
    Some(ts.to_zoned_datetime(tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
}

/// Chargebee timestamps: integer Unix seconds.
pub fn read_timestamp(v: Option<&Value>, path: &str) -> Result<Option<i64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|i| Timestamp::from_second(*i).is_ok())
            .ok_or_else(|| SyncError::invalid_value(path, format!("{n} is not a Unix timestamp in seconds")))
            .and_then(|i| {
                // As for Customerp's dates: nothing before 1970 on either side.
                if i < 0 {
                    Err(SyncError::invalid_value(path, format!("{n} is before 1970 (a negative Unix timestamp)")))
                } else {
                    Ok(Some(i))
                }
            }),
        Some(_) => Err(SyncError::invalid_type(path, "an integer Unix timestamp")),
    }
}

/// A calendar date `YYYY-MM-DD`.
pub fn read_date(v: Option<&Value>, path: &str) -> Result<Option<Date>> {
    let Some(s) = read_text(v, path, None)? else { return Ok(None) };
    if s.len() != 10 {
        return Err(SyncError::invalid_value(path, format!("{s:?} is not a date YYYY-MM-DD")));
    }
    let d = Date::from_str(&s).map_err(|_| SyncError::invalid_value(path, format!("{s:?} is not a date YYYY-MM-DD")))?;
    // Chargebee timestamps are Unix seconds: nothing before 1970.
    if d.year() < 1970 {
        return Err(SyncError::invalid_value(path, format!("{s:?} is before 1970, which Chargebee cannot hold")));
    }
    Ok(Some(d))
}

/// A calendar date → Unix seconds of its midnight in the zone.
pub fn date_to_timestamp(d: Date, tz: &TimeZone) -> Option<i64> {
    d.to_zoned_datetime(tz.clone()).ok().map(|z| z.timestamp().as_second())
}

/// Unix seconds → the calendar date it falls on in the zone.
pub fn timestamp_to_date(secs: i64, tz: &TimeZone) -> Option<Date> {
    Timestamp::from_second(secs).ok().map(|t| t.to_zoned_datetime(tz.clone()).date())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_accept_strings_and_safe_integers() {
        assert_eq!(read_id(&json!("17"), "/id").unwrap(), "17");
        assert_eq!(read_id(&json!(17), "/id").unwrap(), "17");
        assert_eq!(read_id(&json!(9007199254740993u64), "/id").unwrap_err().code, ErrorCode::InvalidValue);
        assert_eq!(read_id(&json!(1.5), "/id").unwrap_err().code, ErrorCode::InvalidValue);
        assert_eq!(read_id(&json!({"a":1}), "/id").unwrap_err().code, ErrorCode::InvalidType);
        assert_eq!(read_id(&json!(null), "/id").unwrap_err().code, ErrorCode::MissingField);
    }

    #[test]
    fn money_in_minor_units_by_currency() {
        let usd = currency("USD").unwrap();
        let jpy = currency("jpy").unwrap();
        let bhd = currency("BHD").unwrap();
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(to_minor(d("1499.50"), usd, "/p").unwrap().minor, 149950);
        assert_eq!(to_minor(d("1500"), jpy, "/p").unwrap().minor, 1500);
        let r = to_minor(d("10.005"), usd, "/p").unwrap();
        assert_eq!((r.minor, r.rounded_from.is_some()), (1000, true), "half-even");
        assert_eq!(to_minor(d("10.015"), usd, "/p").unwrap().minor, 1002);
        assert_eq!(to_minor(d("100.5"), jpy, "/p").unwrap().minor, 100);
        assert_eq!(to_minor(d("1.23"), bhd, "/p").unwrap().minor, 123);
        assert_eq!(to_minor(d("1.234"), bhd, "/p").unwrap_err().code, ErrorCode::Unsupported);
        assert_eq!(to_minor(d("-1"), usd, "/p").unwrap_err().code, ErrorCode::InvalidValue);
        assert_eq!(from_minor(15099, usd), "150.99");
        assert_eq!(from_minor(1500, jpy), "1500");
        assert_eq!(currency("XXX").unwrap_err().code, ErrorCode::Unsupported);
        let huge = Decimal::from_str("79228162514264337593543950335").unwrap();
        assert_eq!(to_minor(huge, usd, "/p").unwrap_err().code, ErrorCode::InvalidValue, "overflow is an error, not a panic");
        assert_eq!(currency("ABC").unwrap_err().code, ErrorCode::InvalidValue);
    }

    #[test]
    fn decimals_never_go_through_floats() {
        assert_eq!(read_decimal(Some(&json!("1499.50")), "/p").unwrap().unwrap().to_string(), "1499.5");
        assert_eq!(read_decimal(Some(&json!(0.1)), "/p").unwrap().unwrap().to_string(), "0.1");
        assert!(read_decimal(Some(&json!("1e400")), "/p").is_err());
        assert!(read_decimal(Some(&json!("NaN")), "/p").is_err());
        assert!(read_decimal(Some(&json!("Infinity")), "/p").is_err());
    }

    #[test]
    fn dates_and_instants_with_zones() {
        let oslo = time_zone("Europe/Oslo").unwrap();
        let d = read_date(Some(&json!("2026-03-01")), "/d").unwrap().unwrap();
        let ts = date_to_timestamp(d, &oslo).unwrap();
        assert_eq!(ts, 1772319600); // 2026-02-28T23:00:00Z
        assert_eq!(timestamp_to_date(ts, &oslo).unwrap(), d);
        assert_eq!(timestamp_to_date(ts, &TimeZone::UTC).unwrap().to_string(), "2026-02-28");
        assert_eq!(read_instant(Some(&json!("2026-03-01T10:15:00+01:00")), "/u").unwrap(), Some(1772356500));
        assert_eq!(read_instant(Some(&json!("2026-03-01T10:15:00")), "/u").unwrap_err().code, ErrorCode::InvalidValue);
        assert!(read_instant(Some(&json!("2026-03-01")), "/u").is_err());
        assert_eq!(format_instant(1772356500, &oslo).unwrap(), "2026-03-01T10:15:00+01:00");
        assert!(time_zone("Mars/Base").is_none());
    }

    #[test]
    fn text_limits_count_characters_not_bytes() {
        let s = "Ø".repeat(150);
        assert!(read_text(Some(&json!(s)), "/x", Some(150)).is_ok());
        let s = "Ø".repeat(151);
        assert_eq!(read_text(Some(&json!(s)), "/x", Some(150)).unwrap_err().code, ErrorCode::TooLong);
        assert_eq!(read_text(Some(&json!("  ")), "/x", Some(1)).unwrap(), None);
    }

    #[test]
    fn emails_and_countries() {
        assert!(read_email(Some(&json!(" Åse@Example.no ")), "/e", Some(70)).unwrap().is_some());
        assert!(read_email(Some(&json!("not-an-email")), "/e", Some(70)).is_err());
        assert_eq!(email_key(" Ann@X.COM "), "ann@x.com");
        assert_eq!(read_country(Some(&json!("no")), "/c").unwrap().as_deref(), Some("NO"));
        assert!(read_country(Some(&json!("QQ")), "/c").is_err());
        assert!(read_country(Some(&json!("Norway")), "/c").is_err());
    }
}
