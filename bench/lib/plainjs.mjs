// A plain-JS mapping of the same tables (Customerp → Chargebee), as a hand-written host might do it:
// trimmed text with Chargebee's length limits, e-mail, country and currency checks, exact money in
// minor units (no floats), dates at midnight UTC, enum maps. It gives the same objects as the
// package's `toChargebee` for the bench's records (plan.mjs checks that on a sample), so the two
// are timed doing the same work.

const COUNTRIES = new Set(("AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS " +
  "BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ " +
  "FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT " +
  "JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP " +
  "MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE " +
  "RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV " +
  "TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XI").split(" "));
// Decimals Chargebee counts per currency (the bench's currencies and a few more).
const CURRENCY_DIGITS = { USD: 2, EUR: 2, NOK: 2, SEK: 2, DKK: 2, GBP: 2, CHF: 2, JPY: 0, KRW: 0 };
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

class MappingError extends Error {
  constructor(path, message) {
    super(`${path}: ${message}`);
    this.name = "SyncError";
    this.path = path;
  }
}

function text(v, path, max) {
  if (v == null) return undefined;
  if (typeof v !== "string") throw new MappingError(path, "a string");
  const t = v.trim();
  if (!t) return undefined;
  if (max !== undefined && t.length > max && [...t].length > max) throw new MappingError(path, `longer than ${max}`);
  return t;
}

function email(v, path) {
  const t = text(v, path, 70);
  if (t !== undefined && !EMAIL.test(t)) throw new MappingError(path, "malformed e-mail");
  return t;
}

function country(v, path) {
  const t = text(v, path);
  if (t === undefined) return undefined;
  const up = t.toUpperCase();
  if (!COUNTRIES.has(up)) throw new MappingError(path, "not an ISO 3166-1 alpha-2 code");
  return up;
}

function currency(v, path) {
  const t = text(v, path);
  if (t === undefined) return undefined;
  const up = t.toUpperCase();
  if (!(up in CURRENCY_DIGITS)) throw new MappingError(path, "not an ISO 4217 currency");
  return up;
}

/** "1499.5" → 149950 for a two-decimal currency, exactly, from the decimal text (half-even past the digits). */
function minor(v, digits, path) {
  if (v == null || v === "") return undefined;
  const s = typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : null;
  const m = s && /^(\d+)(?:\.(\d*))?$/.exec(s);
  if (!m) throw new MappingError(path, "not a decimal number");
  const frac = (m[2] || "").padEnd(digits + 1, "0");
  let n = Number(m[1]) * 10 ** digits + (digits ? Number(frac.slice(0, digits)) : 0);
  const rest = frac.slice(digits);
  if (rest[0] > "5" || (rest[0] === "5" && (/[1-9]/.test(rest.slice(1)) || n % 2 === 1))) n += 1;
  if (!Number.isSafeInteger(n)) throw new MappingError(path, "too large");
  return n;
}

function count(v, path) {
  if (v == null || v === "") return undefined;
  const n = typeof v === "string" ? Number(v.trim()) : v;
  if (!Number.isInteger(n) || n < 0) throw new MappingError(path, "not a whole number");
  return n;
}

function date(v, path) {
  const t = text(v, path);
  if (t === undefined) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (!m) throw new MappingError(path, "not a date");
  return Date.UTC(+m[1], +m[2] - 1, +m[3]) / 1000;
}

function set(o, k, v) {
  if (v !== undefined) o[k] = v;
}

function address(a, root, out) {
  if (a == null) return undefined;
  if (typeof a !== "object") throw new MappingError(root, "an object");
  const o = {};
  set(o, "line1", text(a.street_1, `${root}/street_1`, 150));
  set(o, "line2", text(a.street_2, `${root}/street_2`, 150));
  set(o, "line3", text(a.street_3, `${root}/street_3`, 150));
  set(o, "zip", text(a.postal_code, `${root}/postal_code`, 20));
  set(o, "city", text(a.city, `${root}/city`, 50));
  set(o, "state", text(a.region, `${root}/region`, 50));
  set(o, "country", country(a.country, `${root}/country`));
  return Object.keys(o).length ? o : undefined;
}

function contactCustomer(c, options = {}) {
  const id = text(String(c.id), "/customerp/id", 50);
  const o = { id: `${options.idPrefix ?? "cp"}-contact-${id}` };
  set(o, "first_name", text(c.first_name, "/customerp/first_name", 150));
  set(o, "last_name", text(c.last_name, "/customerp/last_name", 150));
  set(o, "email", email(c.email, "/customerp/email"));
  set(o, "phone", text(c.phone, "/customerp/phone", 50) ?? text(c.mobile, "/customerp/mobile", 50));
  set(o, "company", text(c.customer_name, "/customerp/customer_name", 250));
  set(o, "locale", text(c.language, "/customerp/language", 50));
  set(o, "billing_address", address(c.address, "/customerp/address"));
  o.meta_data = { customerp: { type: "contact", id } };
  return o;
}

const KIND = { subscription: "plan", goods: "charge", service: "charge" };
const PERIOD_UNIT = new Set(["day", "week", "month", "year"]);

function productItem(p, options = {}) {
  const kind = text(p.kind, "/customerp/kind");
  if (kind !== undefined && !(kind in KIND)) throw new MappingError("/customerp/kind", "unknown kind");
  const cur = currency(p.currency, "/customerp/currency");
  const o = {};
  set(o, "id", text(p.sku, "/customerp/sku", 100));
  const name = text(p.name, "/customerp/name", 100);
  set(o, "name", name);
  set(o, "external_name", name);
  set(o, "description", text(p.description, "/customerp/description", 2000));
  set(o, "type", kind && KIND[kind]);
  if (kind !== undefined) o.is_shippable = kind === "goods";
  set(o, "unit", text(p.unit, "/customerp/unit", 30));
  if (typeof p.is_active === "boolean") o.status = p.is_active ? "active" : "archived";
  set(o, "item_family_id", text(options.itemFamilyId, "/options/itemFamilyId", 100));
  const price = {};
  set(price, "price", minor(p.price, cur === undefined ? 2 : CURRENCY_DIGITS[cur], "/customerp/price"));
  set(price, "currency_code", cur);
  const unit = text(p.billing_period_unit, "/customerp/billing_period_unit");
  if (unit !== undefined && !PERIOD_UNIT.has(unit)) throw new MappingError("/customerp/billing_period_unit", "unknown unit");
  const period = count(p.billing_period, "/customerp/billing_period");
  if (kind === "subscription") {
    set(price, "period_unit", unit);
    set(price, "period", period ?? 1);
  }
  if (o.id !== undefined && cur !== undefined) {
    // The item price id: {sku}-{CURRENCY}, and -{period}-{unit} for plans.
    price.id = kind === "subscription" ? `${o.id}-${cur}-${period ?? 1}-${unit}` : `${o.id}-${cur}`;
    price.item_id = o.id;
  }
  if (Object.keys(price).length) o.item_prices = [price];
  return o;
}

const ORDER_STATUS = { confirmed: "queued", awaiting_shipment: "awaiting_shipment", on_hold: "on_hold", shipped: "shipped",
  partially_delivered: "partially_delivered", delivered: "delivered", returned: "returned", cancelled: "cancelled", draft: "queued" };

function orderOrder(o, options = {}) {
  const id = text(String(o.id), "/customerp/id", 50);
  const out = { id: `${options.idPrefix ?? "cp"}-order-${id}` };
  set(out, "reference_id", text(o.number, "/customerp/number", 50));
  const status = text(o.status, "/customerp/status");
  if (status !== undefined && !(status in ORDER_STATUS)) throw new MappingError("/customerp/status", "unknown status");
  set(out, "status", status && ORDER_STATUS[status]);
  const cur = currency(o.currency, "/customerp/currency");
  set(out, "currency_code", cur);
  set(out, "order_date", date(o.order_date, "/customerp/order_date"));
  set(out, "shipping_date", date(o.delivery_date, "/customerp/delivery_date"));
  set(out, "tracking_id", text(o.tracking_number, "/customerp/tracking_number", 50));
  set(out, "tracking_url", text(o.tracking_url, "/customerp/tracking_url", 255));
  set(out, "shipment_carrier", text(o.carrier, "/customerp/carrier", 50));
  set(out, "note", text(o.note, "/customerp/note", 600));
  set(out, "shipping_address", address(o.delivery_address, "/customerp/delivery_address"));
  if (Array.isArray(o.lines)) {
    const digits = cur === undefined ? 2 : CURRENCY_DIGITS[cur];
    out.order_line_items = o.lines.map((l, i) => {
      const at = `/customerp/lines/${i}`;
      const li = {};
      // entity_id is the linked product's item price: without links (toChargebee has none) it is left out.
      text(l.product_id, `${at}/product_id`, 50);
      set(li, "sku", text(l.sku, `${at}/sku`, 250));
      set(li, "description", text(l.description, `${at}/description`, 250));
      set(li, "fulfillment_quantity", count(l.quantity, `${at}/quantity`));
      set(li, "unit_price", minor(l.unit_price, digits, `${at}/unit_price`));
      set(li, "status", l.status);
      return li;
    });
  }
  return out;
}

export const plainToChargebee = {
  "contact-customer": contactCustomer,
  "product-item": productItem,
  "order-order": orderOrder,
};
