// Sesam's entity data model over JSON (docs: hub/documentation/data-management/entity-data-model.rst):
// the typed strings ("Transit" extension types) and namespaced identifiers, read into the plain JSON
// Customerp and Chargebee records use, and written back.
//
//   ~t  Date (~t2015-12-31) or Datetime (~t2015-01-02T03:04:05.123456789Z, always UTC)
//   ~f  Decimal (~f12345678901234567890.1234567890)
//   ~:  namespaced identifier, NI (~:mynamespace:123)
//   ~u  UUID, ~r URI, ~b bytes (base64)
//
// A string that starts with "~" but is not one of these (or does not parse as its type) is a plain
// string: Sesam treats unknown Transit types as strings, and it has no escape for a literal "~".
//
// Reading keeps, per JSON Pointer, the prefix each string came with ("~t", "~f", "~:customerp-customer:",
// or "" for a plain string), so a record read from Sesam is written back with the same types; values
// Sesam never sent (a record the sync made) take their type from CUSTOMERP_TYPES.

/** @typedef {Record<string, any>} Json */

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const DATETIME_UTC = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?Z$/;
const DATETIME_OFFSET = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** A real calendar day (the pattern lets 2026-02-30 through). @param {string} d */
const realDay = (d) => new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Customerp's record types and the singular Sesam datatype of each (SYSTEM-DATATYPE naming). */
export const SESAM_TYPES = Object.freeze({
  customers: "customer", contacts: "contact", employees: "employee", products: "product", quotes: "quote", orders: "order",
});
/** @typedef {keyof typeof SESAM_TYPES} CustomerpType */

/** @param {string} type @returns {type is CustomerpType} */
export const isCustomerpType = (type) => Object.hasOwn(SESAM_TYPES, type);

/**
 * The typed fields of Customerp's records (docs/dataflow.md, the REST contract): "~t" for RFC 3339
 * instants and dates, "~f" for decimal amounts (Customerp writes them as decimal strings). A path
 * segment "*" is any index of a list.
 */
export const CUSTOMERP_TYPES = Object.freeze(/** @type {Record<string, "~t" | "~f">} */ ({
  "/created": "~t", "/updated": "~t", "/shipped_at": "~t", "/delivered_at": "~t", "/cancelled_at": "~t",
  "/quote_date": "~t", "/valid_until": "~t", "/order_date": "~t", "/delivery_date": "~t",
  "/price": "~f", "/vat_rate": "~f", "/total_net": "~f", "/total_vat": "~f", "/total": "~f",
  "/lines/*/unit_price": "~f", "/lines/*/discount_percent": "~f", "/lines/*/vat_rate": "~f",
}));

/**
 * The types of Customerp's fields for a namespace: CUSTOMERP_TYPES, and the references to other records
 * as namespaced identifiers of their datatype (`~:customerp-contact:17`); without a namespace, plain ids.
 * @param {string} template SESAM_NAMESPACE
 * @returns {Record<string, string>}
 */
export function customerpSchema(template) {
  if (!template) return { ...CUSTOMERP_TYPES };
  const ref = (/** @type {string} */ type) => `~:${namespaceOf(template, type)}`;
  return {
    ...CUSTOMERP_TYPES,
    "/customer_id": ref("customers"), "/contact_id": ref("contacts"), "/quote_id": ref("quotes"), "/lines/*/product_id": ref("products"),
  };
}

/** A JSON Pointer segment. @param {string | number} s */
export const segment = (s) => String(s).replaceAll("~", "~0").replaceAll("/", "~1");

/**
 * The namespace prefix SESAM_NAMESPACE gives a type: `{type}` stands for the singular datatype.
 * @param {string} template e.g. "customerp-{type}:" @param {string} type "contacts"
 */
export function namespaceOf(template, type) {
  return template.replaceAll("{type}", isCustomerpType(type) ? SESAM_TYPES[type] : type);
}

/**
 * Reading options: the namespaces stripped from identifier values (an NI `~:customerp-customer:1` is
 * the id "1"), and whose record the value is: Customerp writes instants and dates as RFC 3339 text and
 * decimals as decimal strings; Chargebee writes instants as Unix seconds and amounts as numbers.
 * @typedef {{ identifierNamespaces?: string[], side?: "customerp" | "chargebee" }} DecodeOptions
 */

/**
 * Every prefix SESAM_NAMESPACE stands for across the types (an NI names a record of another type).
 * @param {string} template
 */
export function identifierNamespaces(template) {
  if (!template) return [];
  return template.includes("{type}") ? Object.keys(SESAM_TYPES).map((t) => namespaceOf(template, t)) : [template];
}

/**
 * One string as Sesam means it: the plain value and the prefix it had ("" when plain).
 * @param {string} s @param {DecodeOptions} [o]
 * @returns {{ value: any, prefix: string }}
 */
export function decodeString(s, o = {}) {
  if (s.length < 2 || s[0] !== "~") return { value: s, prefix: "" };
  const body = s.slice(2);
  switch (s[1]) {
    case "t":
      if (DATE.test(body) && realDay(body)) return { value: o.side === "chargebee" ? Math.floor(Date.parse(`${body}T00:00:00Z`) / 1000) : body, prefix: "~t" };
      if (DATETIME_UTC.test(body) && realDay(body.slice(0, 10))) {
        return { value: o.side === "chargebee" ? Math.floor(Date.parse(body.replace(/\.(\d{3})\d*Z$/, ".$1Z")) / 1000) : body, prefix: "~t" };
      }
      return { value: s, prefix: "" };
    case "f":
      if (!DECIMAL.test(body)) return { value: s, prefix: "" };
      return { value: o.side === "chargebee" ? Number(body) : body, prefix: "~f" };
    case ":": {
      if (!body) return { value: s, prefix: "" };
      const ns = (o.identifierNamespaces ?? []).find((n) => n && body.startsWith(n) && body.length > n.length);
      return ns ? { value: body.slice(ns.length), prefix: `~:${ns}` } : { value: body, prefix: "~:" };
    }
    case "u":
      return UUID.test(body) ? { value: body, prefix: "~u" } : { value: s, prefix: "" };
    case "r":
      return body ? { value: body, prefix: "~r" } : { value: s, prefix: "" };
    case "b":
      return BASE64.test(body) ? { value: body, prefix: "~b" } : { value: s, prefix: "" };
    default:
      return { value: s, prefix: "" };
  }
}

/**
 * A value read deep: typed strings become plain values; `tags` gets the prefix of every string leaf
 * by its JSON Pointer (under `at`).
 * @param {unknown} v @param {DecodeOptions} o @param {Record<string, string>} [tags] @param {string} [at]
 * @returns {any}
 */
export function decodeValue(v, o, tags, at = "") {
  if (typeof v === "string") {
    const d = decodeString(v, o);
    if (tags) tags[at] = d.prefix;
    return d.value;
  }
  if (Array.isArray(v)) return v.map((x, i) => decodeValue(x, o, tags, `${at}/${i}`));
  if (v && typeof v === "object") {
    /** @type {Json} */
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = decodeValue(x, o, tags, `${at}/${segment(k)}`);
    return out;
  }
  return v;
}

/**
 * The keys of an object with `namespace` taken off; a key of another namespace stays as it is. Two
 * keys that become one are an error (a merged entity with the same property in two namespaces).
 * @param {Json} o @param {string | undefined} namespace
 * @returns {Json}
 */
export function stripKeys(o, namespace) {
  if (!namespace) return o;
  /** @type {Json} */
  const out = {};
  for (const [k, v] of Object.entries(o)) {
    const local = k.startsWith(namespace) && k.length > namespace.length ? k.slice(namespace.length) : k;
    if (Object.hasOwn(out, local)) throw new TypeError(`the keys ${JSON.stringify(`${namespace}${local}`)} and ${JSON.stringify(local)} are the same property once the namespace ${JSON.stringify(namespace)} is taken off`);
    out[local] = v;
  }
  return out;
}

/** An RFC 3339 instant (any offset) in Sesam's form: UTC with Z; null when it is not one. @param {string} s */
export function utcInstant(s) {
  if (DATETIME_UTC.test(s)) return s;
  if (!DATETIME_OFFSET.test(s)) return null;
  const fraction = /\.(\d{1,9})/.exec(s)?.[1];
  const ms = Date.parse(s.replace(/\.(\d{1,9})/, (_m, f) => `.${f.slice(0, 3).padEnd(3, "0")}`).replace(" ", "T"));
  if (!Number.isFinite(ms)) return null;
  const iso = new Date(ms).toISOString();
  // The fraction is kept to the digits it had (up to nanoseconds): only the offset moves.
  return fraction ? `${iso.slice(0, 19)}.${fraction}Z` : `${iso.slice(0, 19)}Z`;
}

/**
 * One plain value with a prefix: the typed string Sesam reads, or the value itself when it does not
 * fit the type.
 * @param {unknown} v @param {string} prefix
 */
export function encodeWith(v, prefix) {
  if (!prefix) return v;
  if (prefix === "~t") {
    if (typeof v !== "string") return v;
    if (DATE.test(v)) return `~t${v}`;
    const utc = utcInstant(v);
    return utc ? `~t${utc}` : v;
  }
  if (prefix === "~f") {
    if (typeof v === "number" && Number.isFinite(v)) return `~f${v}`;
    return typeof v === "string" && DECIMAL.test(v) ? `~f${v}` : v;
  }
  if (prefix.startsWith("~:")) return typeof v === "string" || typeof v === "number" ? `${prefix}${v}` : v;
  if (prefix === "~u") return typeof v === "string" && UUID.test(v) ? `~u${v}` : v;
  if (prefix === "~b") return typeof v === "string" && BASE64.test(v) ? `~b${v}` : v;
  if (prefix === "~r") return typeof v === "string" && v ? `~r${v}` : v;
  return v;
}

/** The schema's prefix for a pointer ("*" matches a list index). @param {Record<string, string>} schema @param {string} at */
function schemaPrefix(schema, at) {
  if (Object.hasOwn(schema, at)) return schema[at];
  const generic = at.replace(/\/\d+(?=\/|$)/g, "/*");
  return Object.hasOwn(schema, generic) ? schema[generic] : "";
}

/**
 * A value written for Sesam: every string leaf gets the prefix it was read with (`tags`), else the
 * schema's; a string that could be misread as a typed string is left as it is (Sesam has no escape).
 * @param {unknown} v @param {Record<string, string>} tags @param {Record<string, string>} schema @param {string} [at]
 * @returns {any}
 */
export function encodeValue(v, tags, schema, at = "") {
  if (Array.isArray(v)) return v.map((x, i) => encodeValue(x, tags, schema, `${at}/${i}`));
  if (v && typeof v === "object") {
    /** @type {Json} */
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = encodeValue(x, tags, schema, `${at}/${segment(k)}`);
    return out;
  }
  if (typeof v === "string" || typeof v === "number") {
    const prefix = Object.hasOwn(tags, at) ? tags[at] : typeof v === "string" ? schemaPrefix(schema, at) : "";
    return encodeWith(v, prefix);
  }
  return v;
}

/** A namespaced identifier as a typed string. @param {string} ni "namespace:id" */
export const ni = (ni) => `~:${ni}`;
