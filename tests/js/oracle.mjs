// An independent oracle for the Chargebee requests that `plan()` returns, built on the official Node SDK
// (npm `chargebee` v3): its Zod request schemas (node_modules/chargebee/cjs/schema/<resource>.schema.js),
// its endpoint table (cjs/resources/api_endpoints.js) and its form encoder (cjs/util.js encodeParams).
//
//   validateRequest(req, { index })  throws an OracleError unless {method, path, params} is a request the SDK
//                                    would accept for that endpoint; returns what it checked.
//   validatePlan(plan)               validateRequest on every request of plan.chargebee.requests, in order.
//   sdkEncodeForm(req)               the x-www-form-urlencoded body the SDK would send for req.params.
//   decodeForm(body)                 [name, value] pairs of a form body, for readable comparisons.
//
// How the SDK's Zod schemas model the params (checked against chargebee 3.33.0):
//   - the body is a z.looseObject: unknown top-level keys pass (cf_* custom fields need that), so this oracle
//     adds its own unknown-key check, also inside nested z.object()s, which Zod would silently strip;
//   - nested objects are z.object({...}): billing_address: {city: ...};
//   - a list of objects is modelled column-wise, as it is form-encoded (item_prices[quantity][0]=...):
//     item_prices: z.object({ item_price_id: z.array(z.string().max(100).optional()).optional(),
//                             quantity: z.array(z.number().int().min(1).optional()).optional(), ... })
//     while the SDK's input types (and api.md) take an array of objects: [{item_price_id, quantity}]. So the
//     oracle requires an array of objects and transposes it ([{a:1},{a:2}] -> {a:[1,2]}) before parsing;
//   - meta_data / metadata are z.looseObject({}) (any JSON object);
//   - the SDK has no schema for POST /items/{id}/delete and /item_prices/{id}/delete (no body): params must be {}.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

// chargebee's package.json "exports" only exposes its entry point: load its internals by file path.
const sdkDir = path.dirname(path.dirname(require.resolve("chargebee")));
const sdk = (file) => require(path.join(sdkDir, file));
const { Endpoints } = sdk("cjs/resources/api_endpoints.js");
const { encodeParams } = sdk("cjs/util.js");
export const sdkVersion = sdk("package.json").version;

const schemaFiles = {
  customer: "customer",
  order: "order",
  invoice: "invoice",
  item: "item",
  itemPrice: "item_price",
};
const schemaModule = (resource) => sdk(`cjs/schema/${schemaFiles[resource]}.schema.js`);

/** An error of the oracle: the request is not one the SDK would accept. `issues` lists each finding. */
export class OracleError extends Error {
  constructor(message, issues = []) {
    super(issues.length ? `${message}:\n  - ${issues.join("\n  - ")}` : message);
    this.name = "OracleError";
    this.issues = issues;
  }
}

// Every endpoint a plan may use. `resource`/`action` are the SDK's names (api_endpoints.js); the schema name
// follows the SDK's own rule (validationLoader.js): Pascal(action) + Pascal(resource) + "BodySchema".
// customFields: the SDK's input type has `[key: \`cf_${string}\`]: unknown` (custom fields accepted).
const ENDPOINT_LIST = [
  ["POST", "/customers", "customer", "create", { customFields: true }],
  ["POST", "/customers/{id}", "customer", "update", { customFields: true }],
  ["POST", "/customers/{id}/update_billing_info", "customer", "updateBillingInfo"],
  ["POST", "/customers/{id}/delete", "customer", "delete"],
  ["POST", "/orders", "order", "create"],
  ["POST", "/orders/{id}", "order", "update"],
  ["POST", "/orders/{id}/cancel", "order", "cancel"],
  ["POST", "/invoices/create_for_charge_items_and_charges", "invoice", "createForChargeItemsAndCharges", { customFields: true }],
  ["POST", "/items", "item", "create", { customFields: true }],
  ["POST", "/items/{id}", "item", "update", { customFields: true }],
  ["POST", "/items/{id}/delete", "item", "delete", { noBody: true }],
  ["POST", "/item_prices", "itemPrice", "create", { customFields: true }],
  ["POST", "/item_prices/{id}", "itemPrice", "update", { customFields: true }],
  ["POST", "/item_prices/{id}/delete", "itemPrice", "delete", { noBody: true }],
];

const pascal = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase()).replace(/^./, (c) => c.toUpperCase());

function buildEndpoint([method, pattern, resource, action, extra = {}]) {
  // Cross-check the table with the SDK's: a mismatch means this oracle or the SDK changed; fail loudly.
  const sdkCall = (Endpoints[resource] ?? []).find((e) => e[0] === action);
  if (!sdkCall) throw new OracleError(`oracle table: the SDK has no ${resource}.${action}`);
  const [, sdkMethod, urlPrefix, urlSuffix, hasIdInUrl, , isJsonRequest, jsonKeys] = sdkCall;
  const sdkPattern = urlPrefix + (hasIdInUrl ? "/{id}" : "") + (urlSuffix ?? "");
  if (sdkMethod !== method || sdkPattern !== pattern || isJsonRequest) {
    throw new OracleError(`oracle table: ${method} ${pattern} is ${sdkMethod} ${sdkPattern} in the SDK`);
  }
  const schemaName = `${pascal(action)}${pascal(resource)}BodySchema`;
  let schema = schemaModule(resource)[schemaName] ?? null;
  if (extra.noBody) {
    if (schema) throw new OracleError(`oracle table: the SDK now has ${schemaName}; use it`);
  } else if (!schema) {
    throw new OracleError(`oracle table: the SDK has no ${schemaName}`);
  }
  if (resource === "customer" && action === "create") {
    // The SDK's CreateCustomerBodySchema types billing_address as z.looseObject({}) (anything goes), though
    // POST /customers takes the same billing_address[...] fields as update_billing_info: check those.
    const billing = schemaModule("customer").UpdateBillingInfoCustomerBodySchema.shape.billing_address;
    schema = schema.extend({ billing_address: billing });
  }
  // The path id must fit the resource's id (the create schema's `id` field, e.g. max 50 for customers).
  const createSchema = schemaModule(resource)[`Create${pascal(resource)}BodySchema`];
  const idSchema = createSchema?.shape.id ?? null;
  const regex = new RegExp(`^${pattern.replace("{id}", "([^/]+)")}$`);
  return { method, pattern, regex, resource, action, schemaName: extra.noBody ? null : schemaName, schema,
           idSchema, jsonKeys, customFields: !!extra.customFields, hasId: hasIdInUrl };
}

/** The endpoints the oracle knows, with the SDK schema each one is checked against. */
export const ENDPOINTS = ENDPOINT_LIST.map(buildEndpoint);

/** The endpoint for a method and path, or an OracleError for an endpoint the plans must not use. */
export function findEndpoint(method, reqPath) {
  const hits = ENDPOINTS.filter((e) => e.method === method && e.regex.test(reqPath));
  if (hits.length !== 1) {
    throw new OracleError(`unknown endpoint ${method} ${reqPath} (known: ${ENDPOINTS.map((e) => `${e.method} ${e.pattern}`).join(", ")})`);
  }
  const endpoint = hits[0];
  const id = endpoint.hasId ? reqPath.match(endpoint.regex)[1] : null;
  return { endpoint, id };
}

const isPlainObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const describe = (v) => (Array.isArray(v) ? "an array" : v === null ? "null" : typeof v);
const show = (v) => JSON.stringify(v);

/** The stand-in for a `{ "$result": i, "path": "..." }` reference (short: it must fit any string field). */
export const placeholder = (ref) => `ref${ref.$result}`;

// Replaces every { "$result": i, "path": "a.b" } by resolve(ref); checks the reference's shape, and that it
// points to an earlier request when the request's index is known.
function substituteRefs(value, where, issues, index, resolve) {
  if (Array.isArray(value)) return value.map((v, i) => substituteRefs(v, `${where}[${i}]`, issues, index, resolve));
  if (!isPlainObject(value)) return value;
  if (Object.hasOwn(value, "$result")) {
    const keys = Object.keys(value).sort().join(",");
    if (keys !== "$result,path" || !Number.isInteger(value.$result) || value.$result < 0
        || typeof value.path !== "string" || !/^[a-z_]+(\.[a-z_0-9]+)+$/.test(value.path)) {
      issues.push(`${where}: malformed result reference ${show(value)} (want {"$result": <earlier request index>, "path": "invoice.id"})`);
    } else if (index !== undefined && value.$result >= index) {
      issues.push(`${where}: ${show(value)} refers to request ${value.$result}, which does not run before request ${index}`);
    }
    return resolve(value);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteRefs(v, `${where}.${k}`, issues, index, resolve)]));
}

const def = (schema) => schema._zod.def;
function unwrap(schema) {
  while (["optional", "default", "nullable", "prefault", "readonly"].includes(def(schema).type)) schema = def(schema).innerType;
  return schema;
}
// A z.object whose every field is a z.array: how the schemas model a list of objects (column-wise).
function isColumnList(schema) {
  const d = def(schema);
  const fields = d.type === "object" ? Object.values(d.shape) : [];
  return fields.length > 0 && fields.every((f) => def(unwrap(f)).type === "array");
}

// Walks params along the schema: rejects unknown keys (Zod would accept or silently strip them), requires
// lists of objects as arrays of objects and transposes them into the schema's column-wise form.
// `transposed` collects the paths of transposed lists, to report Zod's issues row-wise.
function prepare(value, schema, where, issues, transposed, topLevel, customFields) {
  const s = unwrap(schema);
  const d = def(s);
  if (d.type === "object" && isColumnList(s)) {
    if (!Array.isArray(value)) {
      issues.push(`${where}: a list of objects must be an array of objects (the SDK's input shape), got ${describe(value)}: ${show(value)}`);
      return value;
    }
    transposed.add(where);
    const columns = {};
    value.forEach((row, i) => {
      if (!isPlainObject(row)) {
        issues.push(`${where}[${i}]: expected an object, got ${describe(row)}`);
        return;
      }
      for (const [k, v] of Object.entries(row)) {
        if (!Object.hasOwn(d.shape, k)) issues.push(`${where}[${i}].${k}: unknown field (known: ${Object.keys(d.shape).join(", ")})`);
        else (columns[k] ??= Array(value.length).fill(undefined))[i] = v;
      }
    });
    return columns;
  }
  if (d.type === "object" && isPlainObject(value)) {
    const known = Object.keys(d.shape);
    if (known.length === 0 && d.catchall) return value; // a free-form JSON object: meta_data, metadata
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (Object.hasOwn(d.shape, k)) out[k] = prepare(v, d.shape[k], `${where}.${k}`, issues, transposed, false, false);
      else if (topLevel && customFields && /^cf_[A-Za-z0-9_]+$/.test(k)) out[k] = v;
      else issues.push(`${where}.${k}: unknown param for this endpoint`);
    }
    return out;
  }
  if (d.type === "array" && Array.isArray(value)) {
    return value.map((v, i) => prepare(v, d.element, `${where}[${i}]`, issues, transposed, false, false));
  }
  return value; // scalars, and type mismatches Zod will report
}

// Zod reports item_prices.quantity.0; show item_prices[0].quantity when item_prices was transposed.
function issuePath(zodPath, transposed) {
  let where = "params";
  for (let i = 0; i < zodPath.length; i++) {
    const seg = zodPath[i];
    if (transposed.has(where) && i + 1 < zodPath.length) {
      where += `[${zodPath[i + 1]}].${seg}`;
      i++;
    } else {
      where += typeof seg === "number" ? `[${seg}]` : `.${String(seg)}`;
    }
  }
  return where;
}

/**
 * Checks one ChargebeeRequest of a plan against the SDK. `index` (its position in plan.chargebee.requests)
 * enables the check that `$result` references point to earlier requests.
 * Returns { endpoint, id, input } where input is what was given to the Zod schema; throws an OracleError.
 */
export function validateRequest(req, { index } = {}) {
  if (!isPlainObject(req)) throw new OracleError(`a request must be an object, got ${describe(req)}`);
  const issues = [];
  if (typeof req.method !== "string") issues.push(`method: expected a string, got ${show(req.method)}`);
  if (typeof req.path !== "string") issues.push(`path: expected a string, got ${show(req.path)}`);
  if (!isPlainObject(req.params)) issues.push(`params: expected an object, got ${describe(req.params)}`);
  if (Object.hasOwn(req, "idempotencyKey")
      && (typeof req.idempotencyKey !== "string" || req.idempotencyKey.length < 1 || req.idempotencyKey.length > 100)) {
    issues.push(`idempotencyKey: Chargebee takes 1 to 100 characters, got ${show(req.idempotencyKey)}`);
  }
  if (issues.length) throw new OracleError("malformed request", issues);

  const { endpoint, id } = findEndpoint(req.method, req.path);
  const label = `${req.method} ${req.path} (${endpoint.resource}.${endpoint.action}, ${endpoint.schemaName ?? "no body"})`;
  if (id !== null) {
    let decoded = id;
    try {
      decoded = decodeURIComponent(id);
    } catch {
      issues.push(`path: the id ${show(id)} is not valid percent-encoding`);
    }
    if (encodeURIComponent(decoded) !== id) issues.push(`path: the id ${show(id)} must be percent-encoded as encodeURIComponent does`);
    const idCheck = endpoint.idSchema?.safeParse(decoded);
    if (idCheck && !idCheck.success) issues.push(`path: the id ${show(decoded)} is invalid: ${idCheck.error.issues.map((i) => i.message).join("; ")}`);
  }

  const params = substituteRefs(req.params, "params", issues, index, placeholder);
  if (!endpoint.schema) {
    if (Object.keys(params).length) issues.push(`params: this endpoint takes no params, got ${show(req.params)}`);
    if (issues.length) throw new OracleError(`rejected ${label}`, issues);
    return { endpoint, id, input: params };
  }
  const transposed = new Set();
  const input = prepare(params, endpoint.schema, "params", issues, transposed, true, endpoint.customFields);
  const parsed = endpoint.schema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) issues.push(`${issuePath(issue.path, transposed)}: ${issue.message}`);
  }
  if (issues.length) throw new OracleError(`rejected ${label} with params ${show(req.params)}`, issues);
  return { endpoint, id, input };
}

/** validateRequest on each of plan.chargebee.requests, which must also carry distinct idempotency keys. */
export function validatePlan(plan) {
  const requests = plan?.chargebee?.requests;
  if (!Array.isArray(requests)) throw new OracleError(`plan.chargebee.requests must be an array, got ${describe(requests)}`);
  const keys = new Set();
  return requests.map((req, index) => {
    if (typeof req?.idempotencyKey !== "string") throw new OracleError(`request ${index}: idempotencyKey is missing`);
    if (keys.has(req.idempotencyKey)) throw new OracleError(`request ${index}: idempotencyKey ${req.idempotencyKey} is used twice in one plan`);
    keys.add(req.idempotencyKey);
    return validateRequest(req, { index });
  });
}

/**
 * The form body the official SDK would send for this request: its encodeParams with the endpoint's jsonKeys
 * (meta_data / metadata / exemption_details as one JSON-string field). `$result` references are replaced by
 * resolve(ref), by default the oracle's placeholder.
 */
export function sdkEncodeForm(req, { resolve = placeholder } = {}) {
  const { endpoint } = findEndpoint(req.method, req.path);
  const issues = [];
  const params = substituteRefs(structuredClone(req.params), "params", issues, undefined, resolve);
  if (issues.length) throw new OracleError("cannot encode", issues);
  return encodeParams(params, undefined, undefined, undefined, endpoint.jsonKeys);
}

/** The [name, value] pairs of an x-www-form-urlencoded body, decoded ("+" is a space). */
export function decodeForm(body) {
  if (body === "") return [];
  return body.split("&").map((pair) => {
    const eq = pair.indexOf("=");
    const dec = (s) => decodeURIComponent(s.replace(/\+/g, " "));
    return eq < 0 ? [dec(pair), ""] : [dec(pair.slice(0, eq)), dec(pair.slice(eq + 1))];
  });
}
