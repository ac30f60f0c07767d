// Customerp records as Sesam entities, both ways, with no I/O:
//   - an entity Sesam pushes (the ERP's record, from the ERP connector's collect dataset) → the
//     Customerp record the sync reads;
//   - a replica row whose desired state differs from the ERP's → the change entity Sesam pulls, in the
//     shape of the connector contract's input (docs: hub/documentation/connectors/connector-contract.rst):
//     an insert has no `id`, its `_id` is its origin and it carries `$ids` and `$origin`; an update and a
//     delete have the namespaced `_id` of the ERP record, `$based_on` and `$based_on_properties`; a
//     delete is `_deleted: true`.
// Both also say which kind of change it is in `sesam_change` (the contract's prefix for properties that
// are not the system's own), so a pipe can route creates, updates and deletes to different operations.
import { customerpSchema, decodeValue, encodeValue, identifierNamespaces, namespaceOf, ni, stripKeys } from "./typed.mjs";

/** @typedef {Record<string, any>} Json */

/** SESAM_NAMESPACE's default: the ERP connector's datatype namespace, `customerp-contact:` for contacts. */
export const DEFAULT_NAMESPACE = "customerp-{type}:";
/** The namespace of the records the sync creates: the `_id` of an insert, and the `$origin` the ERP's record comes back with. */
export const ORIGIN_NAMESPACE = "customerp-chargebee-{type}:";
/** The fields the ERP owns: never written by a change, always taken from the ERP's record. */
export const OWNED = Object.freeze(["id", "created", "updated"]);

/**
 * @typedef {object} Pushed a Customerp record as Sesam pushed it
 * @property {string} id the ERP's id
 * @property {Json} record the record, decoded, with `id` and `deleted`
 * @property {Record<string, string>} tags the typed-string prefix of every string value, by JSON Pointer
 * @property {string[]} origins the origins it names in `$origin` and `$ids` (namespace:id, without "~:")
 * @property {boolean} bare a deleted entity with nothing but its id (a tombstone): the record keeps its last values
 */

/** Thrown for an entity that cannot be read; the request is refused with its index. */
export class EntityError extends Error {
  /** @param {number} index @param {string | null} id @param {string} message */
  constructor(index, id, message) {
    super(`entity ${index}${id === null ? "" : ` (${JSON.stringify(id)})`}: ${message}`);
    this.index = index;
    this.entityId = id;
  }
}

/** @param {unknown} v @returns {v is Json} */
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * One pushed entity as a Customerp record: reserved fields (`_…`) are read (`_deleted`) or dropped,
 * `$origin` and `$ids` kept aside, the namespace taken off the keys and the `_id`, typed strings decoded.
 * The ERP id is the record's `id` when it has one, else its `_id`.
 * @param {unknown} raw @param {number} index @param {{ type: string, namespace: string }} o
 * @returns {Pushed}
 */
export function readPushed(raw, index, o) {
  if (!isObject(raw)) throw new EntityError(index, null, `expected an entity (a JSON object with _id), got ${Array.isArray(raw) ? "an array" : raw === null ? "null" : typeof raw}`);
  const rawId = raw._id;
  if (typeof rawId !== "string" || rawId === "") throw new EntityError(index, null, "_id must be a non-empty string");
  const ns = namespaceOf(o.namespace, o.type);
  const decode = { identifierNamespaces: identifierNamespaces(o.namespace), side: /** @type {const} */ ("customerp") };
  /** @type {Json} */
  const fields = {};
  /** @type {string[]} */
  const origins = [];
  for (const [k, v] of Object.entries(raw)) {
    if (k.startsWith("_")) continue; // reserved: _id and _deleted are read above and below, the rest is Sesam's own
    if (k === "$origin" || k === "$ids") {
      for (const x of Array.isArray(v) ? v : [v]) if (typeof x === "string" && x.startsWith("~:") && x.length > 2) origins.push(x.slice(2));
      continue;
    }
    if (k.startsWith("$")) continue; // other semi-reserved fields ($last-modified, $replaced, …) are not the record's
    fields[k] = v;
  }
  let record;
  try {
    record = stripKeys(fields, ns);
  } catch (e) {
    throw new EntityError(index, rawId, e instanceof Error ? e.message : String(e));
  }
  /** @type {Record<string, string>} */
  const tags = {};
  record = decodeValue(record, decode, tags);
  const localId = ns && rawId.startsWith(ns) && rawId.length > ns.length ? rawId.slice(ns.length) : rawId;
  const given = record.id;
  if (given !== undefined && given !== null && typeof given !== "string" && !(typeof given === "number" && Number.isSafeInteger(given))) {
    throw new EntityError(index, rawId, "id must be a string or an integer");
  }
  const id = given === undefined || given === null || given === "" ? localId : String(given);
  delete tags["/id"];
  const deleted = raw._deleted === true || record.deleted === true;
  const bare = deleted && Object.keys(record).every((k) => k === "id" || k === "deleted");
  return { id, record: { ...record, id, deleted }, tags, origins, bare };
}

/**
 * Two JSON values alike (key order aside; a missing value is null).
 * @param {unknown} a @param {unknown} b
 */
export function same(a, b) {
  return canonical(a ?? null) === canonical(b ?? null);
}

/** @param {unknown} v @returns {string} */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x ?? null)).join(",")}]`;
  if (isObject(v)) {
    return `{${Object.keys(v).filter((k) => v[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k] ?? null)}`).join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

/** The fields of `record` the sync changed since `base`, top-level (nested objects and lists count whole). @param {Json} record @param {Json} base */
export function pendingKeys(record, base) {
  const keys = new Set([...Object.keys(record), ...Object.keys(base)]);
  return [...keys].filter((k) => !OWNED.includes(k) && !same(record[k], base[k])).sort();
}

/**
 * The record the sync reads after the ERP pushed `pushed`, when it wanted `desired` and had written
 * that based on `base` (the ERP's state it last knew). Per top-level field: not written by the sync →
 * the ERP's value; written and now shown by the ERP → done; written and the ERP still shows the base
 * → still to be made (the desired value stays); the ERP shows a third value → the ERP changed it since,
 * and the connector's `$based_on` check refuses the sync's write: the ERP's value, which the sync then
 * reads as a change and plans. The fields the ERP owns are the ERP's.
 * @param {Json} pushed @param {Json} base @param {Json} desired @returns {Json}
 */
export function mergePushed(pushed, base, desired) {
  /** @type {Json} */
  const next = {};
  for (const k of new Set([...Object.keys(pushed), ...Object.keys(desired), ...Object.keys(base)])) {
    let v;
    if (OWNED.includes(k) || same(desired[k], base[k]) || same(pushed[k], desired[k])) v = pushed[k];
    else if (same(pushed[k], base[k])) v = desired[k];
    else v = pushed[k];
    if (v !== undefined) next[k] = v;
  }
  return next;
}

/**
 * A replica row, as the change entity Sesam pulls (typed strings encoded), or null when the ERP
 * shows everything the sync wants.
 * @param {{ type: string, id: string, record: Json, erp: Json, confirmed: boolean, tags: Record<string, string>, origin: string | null }} row
 * @param {{ namespace: string }} o
 * @returns {{ entityId: string, kind: "create" | "update" | "delete", entity: Json } | null}
 */
export function changeEntity(row, o) {
  const { record, erp, tags } = row;
  const schema = customerpSchema(o.namespace);
  const enc = (/** @type {Json} */ v) => encodeValue(v, tags, schema);
  /** @param {Json} r @param {string[]} drop */
  const without = (r, drop) => Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k)));
  if (!row.confirmed) {
    const origin = /** @type {string} */ (row.origin);
    const kind = record.deleted === true ? "delete" : "create";
    return {
      entityId: origin, kind,
      entity: { _id: origin, _deleted: kind === "delete", sesam_change: kind, ...enc(without(record, ["id", "created", "updated", "deleted"])), $ids: [ni(origin)], $origin: ni(origin) },
    };
  }
  const keys = pendingKeys(record, erp);
  if (keys.length === 0) return null;
  const entityId = `${namespaceOf(o.namespace, row.type)}${row.id}`;
  const kind = record.deleted === true && erp.deleted !== true ? "delete" : "update";
  // An update is checked against the fields it writes; a delete against the whole record (If-Match).
  const based = kind === "delete" ? Object.keys(erp).filter((k) => !OWNED.includes(k) && k !== "deleted").sort() : keys.filter((k) => k !== "deleted");
  const basedOn = Object.fromEntries(based.map((k) => [k, erp[k] ?? null]));
  return {
    entityId, kind,
    entity: {
      _id: entityId, _deleted: kind === "delete", sesam_change: kind, ...enc(without(record, ["created", "updated", "deleted"])),
      $based_on: enc(basedOn), $based_on_properties: based,
    },
  };
}

/** Every string leaf equal to `from` replaced by `to` (a placeholder id in another record's references). @param {unknown} v @param {string} from @param {string} to @returns {any} */
export function replaceId(v, from, to) {
  if (v === from) return to;
  if (Array.isArray(v)) return v.map((x) => replaceId(x, from, to));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceId(x, from, to)]));
  return v;
}

