// A local stand-in for what sits on Sesam's side, for the tests and the trial (trial.mjs): the ERP (a
// CustomerpDb with the demo data), its collect datasets as Sesam entities (namespaced, typed strings:
// ~t instants and dates, ~f decimals, ~: references), and the ERP connector's share pipe applying the
// change entities the host publishes (inserts with their $origin, updates checked against $based_on,
// deletes). Written from Sesam's documentation, independently of the host's own reading and writing
// of entities (typed.mjs, entities.mjs), so the tests do not check that code against itself.
import { CustomerpDb, formatInstant } from "../local/customerp-server.mjs";
import { seedCustomerp } from "../local/demo-data.mjs";

/** @typedef {Record<string, any>} Json */

export const TYPES = ["customers", "products", "contacts", "employees", "quotes", "orders"];
/** @param {string} type */
export const singular = (type) => type.replace(/s$/, "");
const INSTANTS = new Set(["created", "updated", "shipped_at", "delivered_at", "cancelled_at"]);
const DATES = new Set(["quote_date", "valid_until", "order_date", "delivery_date"]);
const DECIMALS = new Set(["price", "vat_rate", "total_net", "total_vat", "total", "unit_price", "discount_percent"]);
const REFERENCES = /** @type {Record<string, string>} */ ({ customer_id: "customer", contact_id: "contact", quote_id: "quote", product_id: "product" });

/** A value as Sesam holds it. @param {string} key @param {any} v @returns {any} */
function typed(key, v) {
  if (Array.isArray(v)) return v.map((x) => typed(key, x));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typed(k, x)]));
  if (typeof v !== "string") return v;
  if (INSTANTS.has(key)) return `~t${new Date(Date.parse(v)).toISOString().replace(".000Z", "Z")}`;
  if (DATES.has(key)) return `~t${v}`;
  if (DECIMALS.has(key)) return `~f${v}`;
  if (REFERENCES[key]) return `~:customerp-${REFERENCES[key]}:${v}`;
  return v;
}

/** A value as the ERP's API takes it. @param {string} key @param {any} v @returns {any} */
function plain(key, v) {
  if (Array.isArray(v)) return v.map((x) => plain(key, x));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(k, x)]));
  if (typeof v !== "string" || !v.startsWith("~")) return v;
  const body = v.slice(2);
  if (v[1] === "t") return body.includes("T") ? formatInstant(Date.parse(body), "Europe/Oslo") : body;
  if (v[1] === "f") return body;
  if (v[1] === ":") return body.slice(body.indexOf(":") + 1);
  return v;
}

/** Two values alike (a missing value is null). @param {unknown} a @param {unknown} b */
const alike = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export class ErpBehindSesam {
  constructor() {
    this.db = new CustomerpDb({ timeZone: "Europe/Oslo" });
    seedCustomerp(this.db);
    /** @type {Map<string, string>} "type id" → the $origin the ERP's record carries (it was inserted by Sesam) */
    this.origins = new Map();
    /** @type {{ type: string, entity: Json, outcome: string }[]} */
    this.applied = [];
  }

  /** The ERP's record as an entity of its collect dataset: namespaced properties and _id, typed values. @param {string} type @param {Json} r */
  entity(type, r) {
    const ns = `customerp-${singular(type)}:`;
    /** @type {Json} */
    const e = { _id: `${ns}${r.id}` };
    if (r.deleted) e._deleted = true;
    for (const [k, v] of Object.entries(r)) if (k !== "deleted") e[`${ns}${k}`] = typed(k, v);
    const origin = this.origins.get(`${type} ${r.id}`);
    if (origin) e.$origin = origin;
    return e;
  }

  /** Every record of a type, as its collect dataset has them. @param {string} type */
  collect(type) {
    return [...this.db.table(type).values()].map((row) => this.entity(type, row.record));
  }

  /**
   * The connector making one change entity so: returns the ERP's record after it, or null when it did
   * nothing ($based_on no longer matches the ERP: a lost write prevented).
   * @param {string} type @param {Json} e a change entity as pulled
   */
  apply(type, e) {
    const fields = Object.fromEntries(Object.entries(e).filter(([k]) => !k.startsWith("_") && !k.startsWith("$") && !k.startsWith("sesam_") && k !== "id").map(([k, v]) => [k, plain(k, v)]));
    if (e.sesam_change === "create") {
      const row = this.db.create(type, fields);
      this.origins.set(`${type} ${row.record.id}`, e.$origin);
      this.applied.push({ type, entity: e, outcome: `created ${row.record.id}` });
      return row.record;
    }
    const id = String(plain("id", e.id));
    const current = this.db.get(type, id).record;
    for (const k of e.$based_on_properties ?? []) {
      if (!alike(plain(k, e.$based_on[k]), current[k])) {
        this.applied.push({ type, entity: e, outcome: `refused: ${k} changed in the ERP since` });
        return null;
      }
    }
    const row = e._deleted ? this.db.remove(type, id, undefined) : this.db.update(type, id, fields, undefined);
    this.applied.push({ type, entity: e, outcome: e._deleted ? `deleted ${id}` : `updated ${id}` });
    return row.record;
  }
}
