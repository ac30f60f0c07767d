// `doctor`: before the first sync, read-only checks of both systems and of the configuration, each with a
// status (ok, warn, fail, skip) and what to do. It sends only GET requests (Chargebee and Customerp alike)
// and changes nothing in the store: what a first run would find out by failing writes, found out by reading.
import { statSync } from "node:fs";
import { ChargebeeError } from "../clients/chargebee.mjs";
import { CustomerpError } from "../clients/customerp.mjs";
import { FLOWS } from "../flows.mjs";
import { optionsFor } from "../config.mjs";
import { lockHolder } from "../lock.mjs";
import { BUSINESS_ENTITY_EVENTS } from "../clients/chargebee-resources.mjs";
import { runConnectorChecks } from "../connector-check.mjs";
import { DEFAULT_RATE_LIMIT } from "../clients/rate.mjs";
import { EXIT, UnreachableError } from "../errors.mjs";
import { redact } from "../redact.mjs";

/** A site holds at most 30 business entities (docs/chargebee.md#business-entities-have-no-api). */
export const MAX_BUSINESS_ENTITIES = 30;
/** Pages of Customerp records read per type for the currencies and the customers (100 records a page). */
const CUSTOMERP_PAGES = 50;
/** Records of a Chargebee resource read to find a custom field with a value (one page). */
const CUSTOM_FIELD_SAMPLE = 100;

/** What each check looks at (the `title` of its report row). */
const TITLES = {
  "chargebee-credentials": "Chargebee's site and API key (CHARGEBEE_SITE, CHARGEBEE_API_KEY)",
  "product-catalog": "Product Catalog 2.0 (GET /configurations)",
  "customerp-credentials": "Customerp's URL and token (CUSTOMERP_URL, CUSTOMERP_TOKEN)",
  "customerp-contract": "the Customerp connector's contract (read-only checks of check-connector)",
  "currencies": "the currencies Customerp's products, quotes and orders use (GET /currencies/list)",
  "item-family": "the item family of the products (itemFamilyId, SYNC_ITEM_FAMILY_ID)",
  "custom-fields": "the custom fields the mappings name (cf_*)",
  "business-entities": "business entities for Customerp's customers (customer-business_entity)",
  "order-generation": "who makes the Chargebee orders (the orders option against the site's order generation)",
  "rate-limit": "Chargebee's rate limit (CHARGEBEE_RATE_LIMIT)",
  "store": "the store (SYNC_DB): schema version, lock, size",
};

/**
 * @typedef {object} DoctorCheck
 * @property {string} id
 * @property {string} title what is checked
 * @property {"ok" | "warn" | "fail" | "skip"} status
 * @property {string} found what was found
 * @property {string} [advice] what to do (every warn and fail has one)
 */
/**
 * @typedef {object} DoctorReport
 * @property {DoctorCheck[]} checks
 * @property {{ ok: number, warn: number, fail: number, skip: number, failed: string[] }} summary
 * @property {{ chargebee: { reads: number, writes: number }, customerp: { reads: number, writes: number } }} requests
 *   what doctor sent (writes: always 0)
 */

/**
 * Runs every check. Later checks need the earlier ones' answers (a refused key skips what reads the site).
 * @param {import("../app.mjs").App} app
 * @returns {Promise<{ report: DoctorReport, exitCode: number }>} exit 0 unless a check failed (1)
 */
export async function runDoctor(app) {
  /** @type {DoctorCheck[]} */
  const checks = [];
  const add = (/** @type {DoctorCheck} */ c) => {
    checks.push({ ...c, found: redact(c.found), ...(c.advice ? { advice: redact(c.advice) } : {}) });
  };
  const enabled = new Set(app.config.flows ?? FLOWS.map((f) => f.id));
  const cb = app.chargebee;

  // Chargebee: the key, and the site's configuration (its first answer tells both).
  const site = await chargebeeConfiguration(cb);
  add(site.check);
  const siteOk = site.check.status === "ok";
  if (siteOk) add(productCatalog(site.configuration));
  else add(skipped("product-catalog", "the site could not be read"));

  // Customerp: the token, then the read-only part of the connector's contract.
  const rest = app.config.customerpSource !== "sesam";
  const cpAccess = rest ? await customerpAccess(app) : skipped("customerp-credentials", "Customerp comes through Sesam (CUSTOMERP_SOURCE=sesam): the replica in the store");
  add(cpAccess);
  const cpOk = cpAccess.status === "ok";
  if (rest && cpOk) add(await connectorContract(app));
  else add(skipped("customerp-contract", rest ? "Customerp could not be read" : "Customerp comes through Sesam"));

  // What the configuration asks of the site, against what both systems hold.
  /** @type {Map<string, Record<string, any>[]>} */
  const customerpRecords = new Map();
  const recordsOf = async (/** @type {string} */ type) => {
    if (!customerpRecords.has(type)) customerpRecords.set(type, await readCustomerp(app, type));
    return /** @type {Record<string, any>[]} */ (customerpRecords.get(type));
  };
  // Through Sesam, Customerp's records are the replica in the store: readable whatever the connector does.
  const both = siteOk && (cpOk || !rest);
  const why = !siteOk ? "the Chargebee site could not be read" : "Customerp could not be read";
  add(both ? await guarded("currencies", () => currencies(cb, recordsOf, enabled)) : skipped("currencies", why));
  add(siteOk ? await guarded("item-family", () => itemFamily(app, enabled)) : skipped("item-family", why));
  const fields = siteOk ? await guarded("custom-fields", () => customFields(app, enabled)) : skipped("custom-fields", why);
  for (const c of [fields].flat()) add(c);
  add(both ? await guarded("business-entities", () => businessEntities(cb, recordsOf, enabled)) : skipped("business-entities", why));
  add(siteOk ? await guarded("order-generation", () => orderGeneration(app, enabled)) : skipped("order-generation", why));
  add(rateLimit(app, siteOk));
  add(await storeCheck(app));

  const count = (/** @type {DoctorCheck["status"]} */ s) => checks.filter((c) => c.status === s).length;
  const failed = checks.filter((c) => c.status === "fail").map((c) => c.id);
  const cpCounters = app.customerp?.counters ?? { reads: 0, writes: 0 };
  return {
    report: {
      checks,
      summary: { ok: count("ok"), warn: count("warn"), fail: count("fail"), skip: count("skip"), failed },
      requests: { chargebee: { reads: cb.counters.reads, writes: cb.counters.writes }, customerp: { reads: cpCounters.reads, writes: cpCounters.writes } },
    },
    exitCode: failed.length ? EXIT.failed : EXIT.ok,
  };
}

/** @param {keyof typeof TITLES} id @param {string} why */
const skipped = (id, why) => /** @type {DoctorCheck} */ ({ id, title: TITLES[id], status: "skip", found: `not checked: ${why}` });

/**
 * A check whose reads failed unexpectedly is a failure of its own, and the other checks go on.
 * @template T @param {keyof typeof TITLES} id @param {() => Promise<T>} fn @returns {Promise<T | DoctorCheck>}
 */
async function guarded(id, fn) {
  try {
    return await fn();
  } catch (e) {
    return { id, title: TITLES[id], status: "fail", found: `could not be checked: ${messageOf(e)}`, advice: "see the error; the other checks went on" };
  }
}

/** @param {unknown} e */
const messageOf = (e) => (e instanceof Error ? e.message : String(e));

/**
 * GET /configurations: the first request of every Chargebee client, and the one that proves the key.
 * @param {import("../clients/chargebee.mjs").ChargebeeClient} cb
 * @returns {Promise<{ check: DoctorCheck, configuration: Record<string, any> | null }>}
 */
async function chargebeeConfiguration(cb) {
  const title = TITLES["chargebee-credentials"];
  try {
    const body = await cb.get("/configurations");
    const configuration = body.configurations?.[0] ?? null;
    return { check: { id: "chargebee-credentials", title, status: "ok", found: `${cb.baseUrl} accepted the API key (site ${configuration?.domain ?? "unnamed"})` }, configuration };
  } catch (e) {
    if (e instanceof ChargebeeError && (e.status === 401 || e.status === 403)) {
      return { check: { id: "chargebee-credentials", title, status: "fail", found: `${cb.baseUrl} refused the API key (${e.status})`,
        advice: "set CHARGEBEE_API_KEY to a full-access API key of this site (Settings › Configure Chargebee › API Keys); a test site's key starts with test_" }, configuration: null };
    }
    if (e instanceof ChargebeeError && e.status === 404) {
      return { check: { id: "chargebee-credentials", title, status: "fail", found: `${cb.baseUrl} has no Chargebee API (404 for GET /configurations)`,
        advice: "set CHARGEBEE_SITE to the site's name (acme-test) or its URL (https://acme-test.chargebee.com)" }, configuration: null };
    }
    return { check: { id: "chargebee-credentials", title, status: "fail", found: `${cb.baseUrl} could not be read: ${messageOf(e)}`,
      advice: "check CHARGEBEE_SITE and that this machine reaches the site (proxy, firewall)" }, configuration: null };
  }
}

/** @param {Record<string, any> | null} configuration @returns {DoctorCheck} */
function productCatalog(configuration) {
  const title = TITLES["product-catalog"];
  const version = configuration?.product_catalog_version;
  if (version === "v2") return { id: "product-catalog", title, status: "ok", found: "product_catalog_version v2: items and item prices" };
  return { id: "product-catalog", title, status: "fail", found: `product_catalog_version ${version ?? "missing"}: the site has plans and addons, not items`,
    advice: "the plugin writes items, item prices and charge invoices of Product Catalog 2.0: use a site on Product Catalog 2.0 (every site made since 2021 is), or migrate this one with Chargebee's support" };
}

/** The first page of Customerp's customers: the URL and the token. @param {import("../app.mjs").App} app @returns {Promise<DoctorCheck>} */
async function customerpAccess(app) {
  const title = TITLES["customerp-credentials"];
  const url = app.customerp.baseUrl;
  try {
    for await (const page of app.customerp.changePages("customers", null, 1)) {
      return { id: "customerp-credentials", title, status: "ok", found: `${url} accepted the token (the change feed of customers answered ${page.records.length} records on its first page)` };
    }
    return { id: "customerp-credentials", title, status: "ok", found: `${url} accepted the token` };
  } catch (e) {
    if (e instanceof CustomerpError && (e.status === 401 || e.status === 403)) {
      return { id: "customerp-credentials", title, status: "fail", found: `${url} refused the token (${e.status})`, advice: "set CUSTOMERP_TOKEN to the connector's bearer token" };
    }
    if (e instanceof UnreachableError) {
      return { id: "customerp-credentials", title, status: "fail", found: `${url} cannot be reached: ${messageOf(e)}`,
        advice: "start the Customerp connector, or set CUSTOMERP_URL to where it listens (its base URL, without /api)" };
    }
    return { id: "customerp-credentials", title, status: "fail", found: `${url} answered GET /api/customers with an error: ${messageOf(e)}`,
      advice: "run `sync.mjs check-connector $CUSTOMERP_URL` for the contract's checks one by one (docs/customerp-rest.md)" };
  }
}

/** The read-only checks of check-connector, on a small sample. @param {import("../app.mjs").App} app @returns {Promise<DoctorCheck>} */
async function connectorContract(app) {
  const title = TITLES["customerp-contract"];
  try {
    const r = await runConnectorChecks({ url: app.config.customerpUrl, token: app.config.customerpToken, write: false, sample: 20, timeoutMs: 30_000 });
    const s = r.summary;
    if (s.failed === 0) return { id: "customerp-contract", title, status: "ok", found: `${s.passed} checks passed${s.skipped ? `, ${s.skipped} skipped` : ""} (change feed, paging, cursors, ETags, errors)` };
    const first = r.checks.find((c) => c.status === "fail");
    return { id: "customerp-contract", title, status: "fail", found: `${s.failed} of ${s.passed + s.failed} checks failed: ${s.failedIds.join(", ")}${first ? ` (${first.id}: ${first.message})` : ""}`,
      advice: "run `sync.mjs check-connector $CUSTOMERP_URL` for each failure's rule, request and answer; the contract is docs/customerp-rest.md" };
  } catch (e) {
    return { id: "customerp-contract", title, status: "fail", found: `the checks could not run: ${messageOf(e)}`, advice: "run `sync.mjs check-connector $CUSTOMERP_URL` to see where it stops" };
  }
}

/** Customerp's records of a type, live ones, at most CUSTOMERP_PAGES pages. @param {import("../app.mjs").App} app @param {string} type */
async function readCustomerp(app, type) {
  /** @type {Record<string, any>[]} */
  const out = [];
  for await (const page of app.customerp.changePages(type, null, CUSTOMERP_PAGES + 1)) {
    out.push(...page.records.filter((r) => !r.deleted));
    if (out.length >= CUSTOMERP_PAGES * 100) break;
  }
  return out;
}

/**
 * The currencies of Customerp's products, quotes and orders against GET /currencies/list.
 * @param {import("../clients/chargebee.mjs").ChargebeeClient} cb @param {(type: string) => Promise<Record<string, any>[]>} recordsOf @param {Set<string>} enabled
 * @returns {Promise<DoctorCheck>}
 */
async function currencies(cb, recordsOf, enabled) {
  const title = TITLES["currencies"];
  const types = [["product-item", "products"], ["quote-order", "quotes"], ["order-order", "orders"]].filter(([flow]) => enabled.has(flow)).map(([, type]) => type);
  if (types.length === 0) return skipped("currencies", "product-item, quote-order and order-order are off");
  /** @type {Map<string, string[]>} currency → the types that use it */
  const used = new Map();
  for (const type of types) {
    for (const r of await recordsOf(type)) {
      if (typeof r.currency !== "string" || !r.currency) continue;
      const code = r.currency.toUpperCase();
      used.set(code, [...new Set([...(used.get(code) ?? []), type])]);
    }
  }
  const codes = [...used.keys()].sort();
  if (codes.length === 0) return { id: "currencies", title, status: "ok", found: `Customerp's ${types.join(", ")} name no currency yet` };
  let site;
  try {
    site = (await cb.listAll("/currencies/list", {}, 10)).map((e) => e.currency).filter((c) => c && c.enabled !== false);
  } catch (e) {
    // Without multi-currency the site bills in its base currency only, which the API does not name.
    if (e instanceof ChargebeeError && e.status === 400) {
      if (codes.length > 1) {
        return { id: "currencies", title, status: "fail", found: `the site has multi-currency off (one currency) and Customerp uses ${codes.join(", ")}`,
          advice: `turn multi-currency on (Settings › Configure Chargebee › Currencies) and add ${codes.join(", ")}, or turn off the flows of the records in other currencies` };
      }
      return { id: "currencies", title, status: "warn", found: `the site has multi-currency off; Customerp uses ${codes[0]} only, and the API does not say the site's base currency`,
        advice: `check that the site's base currency is ${codes[0]} (Settings › Configure Chargebee › Currencies)` };
    }
    throw e;
  }
  const have = new Set(site.map((c) => String(c.currency_code ?? c.id).toUpperCase()));
  const missing = codes.filter((c) => !have.has(c));
  if (missing.length === 0) return { id: "currencies", title, status: "ok", found: `Customerp uses ${codes.join(", ")}; the site bills in ${[...have].join(", ")}` };
  return { id: "currencies", title, status: "fail",
    found: `the site lacks ${missing.map((c) => `${c} (${/** @type {string[]} */ (used.get(c)).join(", ")})`).join(", ")}; it bills in ${[...have].join(", ")}`,
    advice: `add ${missing.join(", ")} in Settings › Configure Chargebee › Currencies: an item price or invoice in a currency the site lacks is refused` };
}

/** The item family product-item creates items in. @param {import("../app.mjs").App} app @param {Set<string>} enabled @returns {Promise<DoctorCheck>} */
async function itemFamily(app, enabled) {
  const title = TITLES["item-family"];
  if (!enabled.has("product-item")) return skipped("item-family", "product-item is off");
  const id = optionsFor(app.config, "product-item").itemFamilyId;
  if (!id) {
    return { id: "item-family", title, status: "fail", found: "no itemFamilyId: product-item cannot create items",
      advice: "set SYNC_ITEM_FAMILY_ID (or itemFamilyId in SYNC_CONFIG) to an item family of the site (Product Catalog › Item families)" };
  }
  const body = await app.chargebee.getOrNull(`/item_families/${encodeURIComponent(id)}`);
  const family = body?.item_family;
  if (!family) {
    return { id: "item-family", title, status: "fail", found: `the site has no item family ${JSON.stringify(id)}`,
      advice: `create the item family ${JSON.stringify(id)} in Product Catalog › Item families, or set SYNC_ITEM_FAMILY_ID to one the site has` };
  }
  if (family.status && family.status !== "active") {
    return { id: "item-family", title, status: "fail", found: `the item family ${JSON.stringify(id)} is ${family.status}`, advice: "use an active item family" };
  }
  return { id: "item-family", title, status: "ok", found: `${JSON.stringify(id)} exists (${family.name ?? "no name"}, ${family.status ?? "active"})` };
}

/** Chargebee resources with custom fields, by the flows' `chargebee` resource: where to read them. */
const CUSTOM_FIELD_LISTS = /** @type {Record<string, { path: string, key: string, query?: Record<string, string> }>} */ ({
  customer: { path: "/customers", key: "customer" },
  item: { path: "/items", key: "item" },
});

/**
 * Each `cf_*` field a mapping names: Chargebee has no API that lists custom fields, so a field is confirmed by a
 * record of its resource that has a value for it; else it cannot be checked (a warning).
 * @param {import("../app.mjs").App} app @param {Set<string>} enabled @returns {Promise<DoctorCheck[]>}
 */
async function customFields(app, enabled) {
  const title = TITLES["custom-fields"];
  /** @type {Map<string, { resource: string, flows: Set<string> }>} "resource field" → where it is mapped */
  const named = new Map();
  for (const f of FLOWS) {
    if (!enabled.has(f.id)) continue;
    const rows = /** @type {{ chargebee?: string }[]} */ (optionsFor(app.config, f.id).mappings?.[/** @type {import("customerp-chargebee").FlowId} */ (f.id)] ?? []);
    for (const row of rows) {
      const field = String(row.chargebee ?? "").split(".")[0];
      if (!field.startsWith("cf_")) continue;
      const key = `${f.chargebee} ${field}`;
      const at = named.get(key) ?? { resource: f.chargebee, flows: new Set() };
      at.flows.add(f.id);
      named.set(key, at);
    }
  }
  if (named.size === 0) return [{ id: "custom-fields", title, status: "ok", found: "no mapping names a custom field" }];
  /** @type {Map<string, Record<string, any>[]>} */
  const samples = new Map();
  /** @type {DoctorCheck[]} */
  const out = [];
  for (const [key, { resource, flows }] of named) {
    const field = key.split(" ")[1];
    const id = `custom-field ${field}`;
    const what = `${title}: ${field} on ${resource} (${[...flows].join(", ")})`;
    const list = CUSTOM_FIELD_LISTS[resource];
    if (!list) {
      // The plugin refuses cf_* where Chargebee has none (invalid_options); any other resource is not read here.
      out.push({ id, title: what, status: "warn", found: `cannot be checked: doctor reads custom fields of customers and items, not of ${resource}`,
        advice: `check that the site has ${field} on ${resource} (Settings › Configure Chargebee › Custom fields)` });
      continue;
    }
    if (!samples.has(resource)) samples.set(resource, (await app.chargebee.get(list.path, { limit: CUSTOM_FIELD_SAMPLE })).list.map((/** @type {any} */ e) => e[list.key]));
    const records = /** @type {Record<string, any>[]} */ (samples.get(resource));
    const holder = records.find((r) => r[field] !== undefined && r[field] !== null);
    if (holder) out.push({ id, title: what, status: "ok", found: `${resource} ${holder.id} has a value for ${field}: the site has the field` });
    else {
      out.push({ id, title: what, status: "warn", found: `cannot be checked: none of the ${records.length} ${resource} records read has a value for ${field} (Chargebee has no API that lists custom fields)`,
        advice: `check that the site has ${field} on ${resource} (Settings › Configure Chargebee › Custom fields; its API name is ${field}): a write naming a field the site lacks is refused` });
    }
  }
  return out;
}

/** A name as the plugin matches a business entity to a customer: NFC, spaces collapsed, case folded. @param {unknown} name */
const entityName = (name) => String(name ?? "").normalize("NFC").trim().replace(/\s+/g, " ").toLowerCase().normalize("NFC");

/**
 * Business entities (read from business_entity_* events; there is no list API) against Customerp's customers.
 * @param {import("../clients/chargebee.mjs").ChargebeeClient} cb @param {(type: string) => Promise<Record<string, any>[]>} recordsOf @param {Set<string>} enabled
 * @returns {Promise<DoctorCheck>}
 */
async function businessEntities(cb, recordsOf, enabled) {
  const title = TITLES["business-entities"];
  if (!enabled.has("customer-business_entity")) return skipped("business-entities", "customer-business_entity is off");
  /** @type {Map<string, Record<string, any>>} */
  const entities = new Map();
  const events = await cb.listAll("/events", { "event_type[in]": JSON.stringify(BUSINESS_ENTITY_EVENTS), "sort_by[asc]": "occurred_at" }, 100);
  for (const { event } of events) {
    const be = event?.content?.business_entity;
    if (!be?.id) continue;
    if (event.event_type === "business_entity_deleted" || be.deleted) entities.delete(be.id);
    else entities.set(be.id, be);
  }
  const customers = await recordsOf("customers");
  const names = new Set([...entities.values()].map((be) => entityName(be.name)));
  const without = customers.filter((c) => !names.has(entityName(c.name)));
  const found = `${entities.size} business entities on the site, ${customers.length} customers in Customerp, ${without.length} without an entity of their name`;
  if (customers.length > MAX_BUSINESS_ENTITIES) {
    return { id: "business-entities", title, status: "fail", found: `${found}: a site holds at most ${MAX_BUSINESS_ENTITIES} business entities`,
      advice: `turn customer-business_entity off (SYNC_CONFIG flows."customer-business_entity".enabled: false) unless at most ${MAX_BUSINESS_ENTITIES} customers are to be entities` };
  }
  if (entities.size === 0 && customers.length > 0) {
    return { id: "business-entities", title, status: "warn", found: `${found}: the site shows no business entity (multiple business entities may be off)`,
      advice: "each customer becomes a manual inbox item (create the entity in Settings › Configure Chargebee › Business entities); turn the flow off if the site is to keep one entity" };
  }
  if (without.length > 0) {
    const sample = without.slice(0, 3).map((c) => JSON.stringify(c.name)).join(", ");
    return { id: "business-entities", title, status: "warn", found: `${found} (${sample}${without.length > 3 ? ", …" : ""})`,
      advice: "each becomes a manual inbox item at the first run: Chargebee has no API for business entities, so create them in Settings › Configure Chargebee › Business entities" };
  }
  return { id: "business-entities", title, status: "ok", found };
}

/**
 * Whether the site generates orders (seen only by a generated order) against the `orders` option of quote-order and order-order.
 * @param {import("../app.mjs").App} app @param {Set<string>} enabled @returns {Promise<DoctorCheck>}
 */
async function orderGeneration(app, enabled) {
  const title = TITLES["order-generation"];
  const flows = ["quote-order", "order-order"].filter((f) => enabled.has(f));
  if (flows.length === 0) return skipped("order-generation", "quote-order and order-order are off");
  const modes = new Set(flows.map((f) => optionsFor(app.config, f).orders ?? "create"));
  // The newest generated order: the setting's effect, the one trace of it the API shows.
  const body = await app.chargebee.get("/orders", { "order_type[is]": "system_generated", "sort_by[desc]": "created_at", limit: 1 });
  const newest = body.list?.[0]?.order;
  const generated = newest ? { id: newest.id, on: new Date(Number(newest.created_at) * 1000).toISOString().slice(0, 10) } : null;
  const option = [...modes].map((m) => `orders: ${JSON.stringify(m)}`).join(" and ");
  if (modes.size > 1) {
    return { id: "order-generation", title, status: "warn", found: `quote-order and order-order differ: ${option}`, advice: "give both flows the same orders option: a site either generates orders or does not" };
  }
  const mode = [...modes][0];
  if (generated && mode === "create") {
    return { id: "order-generation", title, status: "fail", found: `the site generates orders (order ${generated.id}, ${generated.on}, is system_generated) and ${option}`,
      advice: "set SYNC_ORDERS=chargebee (or orders: \"chargebee\" in SYNC_CONFIG): with \"create\" a paid invoice gets the order the host creates and the one the site generates" };
  }
  if (generated) return { id: "order-generation", title, status: "ok", found: `the site generates orders (order ${generated.id}, ${generated.on}, is system_generated), and ${option} adopts them` };
  if (mode === "chargebee") {
    return { id: "order-generation", title, status: "warn", found: `${option}, and no system_generated order is on the site: the setting cannot be seen`,
      advice: "check Settings › Configure Chargebee › Orders: with orders \"chargebee\" the host creates the invoice alone and waits for the order the site generates" };
  }
  return { id: "order-generation", title, status: "ok", found: `no system_generated order on the site, and ${option}: the host creates each order` };
}

/** What the site answered to doctor's own requests: 429s say the configured rate is above the site's. @param {import("../app.mjs").App} app @param {boolean} read */
function rateLimit(app, read) {
  const title = TITLES["rate-limit"];
  if (!read) return skipped("rate-limit", "the site could not be read");
  const limit = app.config.chargebeeRateLimit ?? DEFAULT_RATE_LIMIT;
  const { reads, rateLimited } = app.chargebee.counters;
  if (rateLimited > 0) {
    return /** @type {DoctorCheck} */ ({ id: "rate-limit", title, status: "warn", found: `the site answered 429 to ${rateLimited} of ${reads} requests, paced at ${limit} a minute`,
      advice: "another client is using the site's limit, or CHARGEBEE_RATE_LIMIT is above the site's plan (a test site and Starter allow 150 a minute): lower it" });
  }
  return /** @type {DoctorCheck} */ ({ id: "rate-limit", title, status: "ok", found: `${reads} requests, none answered 429; the host paces at ${limit} a minute` });
}

/** The store's schema version, lock and size. @param {import("../app.mjs").App} app @returns {Promise<DoctorCheck>} */
async function storeCheck(app) {
  const title = TITLES["store"];
  const version = await app.store.schemaVersion();
  const holder = await lockHolder(app.store);
  let size = "";
  if (app.store.dialect !== "postgres" && app.store.path !== ":memory:") {
    try {
      size = `, ${statSync(String(app.store.path)).size} bytes`;
    } catch {
      // a store that is not a file
    }
  }
  const found = `${app.store.dialect === "postgres" ? "PostgreSQL" : "SQLite"} ${app.store.path}, schema version ${version}${size}`;
  if (holder) {
    return { id: "store", title, status: "warn", found: `${found}; locked by pid ${holder.pid} on ${holder.host} since ${holder.started} (${holder.flow})`,
      advice: "a run is going on: the next one waits for it (--wait S) or exits 4; if that process is gone, its lock is free a minute after its last heartbeat" };
  }
  return { id: "store", title, status: "ok", found: `${found}; not locked` };
}

/**
 * The report as lines for a person: one per check, and what to do under each warning and failure.
 * @param {DoctorReport} r @returns {string[]}
 */
export function formatDoctorReport(r) {
  const mark = { ok: "ok  ", warn: "WARN", fail: "FAIL", skip: "skip" };
  const lines = [];
  for (const c of r.checks) {
    lines.push(`  ${mark[c.status]}  ${c.id}: ${c.found}`);
    if (c.advice && (c.status === "warn" || c.status === "fail")) lines.push(`        → ${c.advice}`);
  }
  const s = r.summary;
  lines.push("");
  lines.push(`${s.ok} ok · ${s.warn} warnings · ${s.fail} failed · ${s.skip} skipped${s.fail ? `: ${s.failed.join(", ")}` : ""}`);
  lines.push(`requests sent: Chargebee ${r.requests.chargebee.reads} reads, ${r.requests.chargebee.writes} writes · Customerp ${r.requests.customerp.reads} reads, ${r.requests.customerp.writes} writes (plus the contract checks' own reads)`);
  return lines;
}
