// Input schemas of the emulated endpoints: which params an operation takes, their types and limits.
// Form values arrive as strings; `coerce` turns them into the JSON types Chargebee stores and
// refuses what Chargebee would refuse (unknown params, wrong types, over-long strings, bad enums).
import { unknownParam, wrongValue } from "./errors.mjs";

/** @typedef {{ t: string, max?: number, values?: string[], fields?: Schema, item?: Field, min?: number }} Field */
/** @typedef {{ [name: string]: Field } & { $cf?: Field }} Schema */

/** @param {number} max @returns {Field} */
export const S = (max) => ({ t: "string", max });
/** @type {Field} */ export const INT = { t: "int" };
/** @type {Field} */ export const UINT = { t: "int", min: 0 };
/** @type {Field} */ export const BOOL = { t: "bool" };
/** @type {Field} */ export const TS = { t: "timestamp" };
/** @type {Field} */ export const EMAIL = { t: "email", max: 70 };
/** @type {Field} */ export const COUNTRY = { t: "country", max: 50 };
/** @type {Field} */ export const CURRENCY = { t: "currency" };
/** @type {Field} */ export const JSONV = { t: "json" };
/** @param {string[]} values @returns {Field} */
export const E = (...values) => ({ t: "enum", values });
/** @param {Schema} fields @returns {Field} */
export const OBJ = (fields) => ({ t: "object", fields });
/** @param {Schema} fields @returns {Field} */
export const LIST = (fields) => ({ t: "list", fields });
/** @param {Field} item @returns {Field} */
export const ARR = (item) => ({ t: "array", item });
/** Marks a schema as taking custom fields (`cf_*`). */
export const CF = { $cf: S(250) };

const regionNames = new Intl.DisplayNames(["en"], { type: "region" });
const currencies = new Set(Intl.supportedValuesOf("currency"));
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * @param {Field} f
 * @param {unknown} v
 * @param {string} name the param's form name, for errors
 * @returns {unknown}
 */
function value(f, v, name) {
  if (f.t === "object" || f.t === "list" || f.t === "array") {
    if (f.t === "object") {
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw wrongValue(name, "must be an object");
      return coerce(/** @type {Schema} */ (f.fields), /** @type {Record<string, unknown>} */ (v), name);
    }
    if (!Array.isArray(v)) throw wrongValue(name, "must be a list");
    return v.map((row, i) =>
      f.t === "list"
        ? coerce(/** @type {Schema} */ (f.fields), row, name, i)
        : value(/** @type {Field} */ (f.item), row, `${name}[${i}]`),
    );
  }
  if (typeof v !== "string") throw wrongValue(name, "must be a single value");
  switch (f.t) {
    case "string":
      if ([...v].length > /** @type {number} */ (f.max)) throw wrongValue(name, `cannot be more than ${f.max} characters`);
      return v;
    case "email":
      if (v.length > 70) throw wrongValue(name, "cannot be more than 70 characters");
      if (v !== "" && !EMAIL_RE.test(v)) throw wrongValue(name, "invalid email");
      return v;
    case "int": {
      if (!/^-?\d+$/.test(v)) throw wrongValue(name, "invalid integer");
      const n = Number(v);
      if (!Number.isSafeInteger(n) || (f.min !== undefined && n < f.min)) throw wrongValue(name, "invalid value");
      return n;
    }
    case "timestamp":
      if (!/^\d{1,11}$/.test(v)) throw wrongValue(name, "invalid timestamp");
      return Number(v);
    case "bool":
      if (v !== "true" && v !== "false") throw wrongValue(name, "must be true or false");
      return v === "true";
    case "enum":
      if (!f.values?.includes(v)) throw wrongValue(name, `invalid value ${v}; allowed: ${f.values?.join(", ")}`);
      return v;
    case "country":
      // Empty is no country (the SDK's schema is an optional string; an empty field is left out, as
      // for every other optional string); a given code must be a real ISO 3166-1 alpha-2 code.
      if (v === "") return v;
      if (!/^[A-Z]{2}$/.test(v) || regionNames.of(v) === v) throw wrongValue(name, "invalid country code");
      return v;
    case "currency":
      if (!currencies.has(v)) throw wrongValue(name, "invalid currency code");
      return v;
    case "json":
      try {
        const parsed = JSON.parse(v);
        if (typeof parsed !== "object" || parsed === null) throw new Error("not an object");
        return parsed;
      } catch {
        throw wrongValue(name, "invalid JSON");
      }
    default:
      throw new Error(`schema type ${f.t}`);
  }
}

/**
 * Checks and types the params of one operation (or one nested object / list row).
 * @param {Schema} schema
 * @param {Record<string, unknown>} params
 * @param {string} [scope] form name of the enclosing param
 * @param {number} [index] row of a list of objects
 * @returns {Record<string, any>}
 */
export function coerce(schema, params, scope, index) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const [k, v] of Object.entries(params)) {
    const name = scope ? `${scope}[${k}]${index === undefined ? "" : `[${index}]`}` : k;
    const f = schema[k] ?? (k.startsWith("cf_") ? schema.$cf : undefined);
    if (!f) throw unknownParam(name);
    out[k] = value(f, v, name);
  }
  return out;
}

/**
 * Throws for the first missing required param.
 * @param {Record<string, unknown>} params
 * @param {string[]} names
 */
export function requireParams(params, names) {
  for (const n of names) {
    if (params[n] === undefined || params[n] === "") throw wrongValue(n, "cannot be blank");
  }
}
