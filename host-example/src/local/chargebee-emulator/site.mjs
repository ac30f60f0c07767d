// The state of one emulated Chargebee site: records with their list order, the clock that stamps
// `updated_at`/`resource_version`, customers, and business entities (seen only through events).
import { randomBytes } from "node:crypto";
import { listIndexed, listPage } from "./list.mjs";
import { TableIndex } from "./index.mjs";
import { coerce } from "./schema.mjs";
import { ApiError, duplicate, notFound, unknownParam, wrongValue } from "./errors.mjs";
import { recordEvent } from "./events.mjs";
import { BILLING_ONLY, CUSTOMER_BILLING_INFO, CUSTOMER_CREATE, CUSTOMER_DELETE, CUSTOMER_UPDATE } from "./schemas.mjs";

/** @typedef {import("./index.mjs").Entry} Entry */
/**
 * @typedef {object} SiteCurrencies
 * @property {boolean} [multiCurrency] default true
 * @property {string[]} [enabled] with multi-currency: the currencies added to the site (default: every currency of
 *   the exchange-rate table); the base currency is always one
 */
/** @typedef {Record<string, any>} Json */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** A random id in Chargebee's style, e.g. "AzZiyeUbT8kq3bN1". */
export function randomId() {
  return [...randomBytes(16)].map((b) => ALPHABET[b % ALPHABET.length]).join("");
}

/** Drops undefined fields and fields set to "" (Chargebee clears an attribute sent empty). */
export function compact(/** @type {Json} */ o) {
  for (const k of Object.keys(o)) if (o[k] === undefined || o[k] === "") delete o[k];
  return o;
}

/** @param {Json} a @param {string} object */
export const address = (a, object) => compact({ ...a, validation_status: a.validation_status ?? "not_validated", object });

/** Fixed rates for the emulated site (USD per unit; a real site takes them from its rate provider). */
/** @type {Record<string, number>} */
const EXCHANGE_RATES = { USD: 1, EUR: 1.08, GBP: 1.27, NOK: 0.094, SEK: 0.096, DKK: 0.145, CHF: 1.13, JPY: 0.0067 };

/** Fields whose `[is]`/`[in]` list filters a hash index answers, per table (besides `id`): what clients look up. */
/** @type {Record<string, string[]>} */
const HASHED = { order: ["invoice_id", "customer_id"], item_price: ["item_id"], invoice: ["customer_id"], event: ["event_type"] };

export class Site {
  /**
   * @param {{ now?: () => number, baseCurrency?: string, name?: string, exchangeRates?: Record<string, number>,
   *   customFields?: Partial<Record<"customer" | "item" | "item_price", string[]>>, productCatalogVersion?: "v1" | "v2",
   *   currencies?: SiteCurrencies }} [opts]
   *   `now` in ms (the site's clock); `exchangeRates`: value of one unit of each currency in a common unit
   */
  constructor(opts = {}) {
    this.now = opts.now ?? Date.now;
    this.baseCurrency = opts.baseCurrency ?? "USD";
    this.name = opts.name ?? "emulated-test";
    this.exchangeRates = { ...EXCHANGE_RATES, ...opts.exchangeRates };
    /** `product_catalog_version` of GET /configurations: only that answer changes (a v1 site's item endpoints stay). */
    this.productCatalogVersion = opts.productCatalogVersion ?? "v2";
    /** Multi-currency (Settings › Configure Chargebee › Currencies): on, unless the site is set up with one currency. */
    this.multiCurrency = opts.currencies?.multiCurrency ?? true;
    /** The currencies the site bills in, the base first: with multi-currency those enabled, else the base alone. */
    this.currencies = new Set([this.baseCurrency, ...(this.multiCurrency ? opts.currencies?.enabled ?? Object.keys(this.exchangeRates) : [])]);
    this.seq = 0;
    this.lastVersion = 0;
    /** @type {string | undefined} */
    this.defaultBusinessEntityId = undefined;
    /** @type {Record<string, Map<string, Entry>>} */
    this.tables = {};
    /** @type {Record<string, TableIndex>} the tables' list indexes (index.mjs) */
    this.indexes = {};
    for (const t of ["customer", "business_entity", "event", "item_family", "item", "item_price", "invoice", "order"]) {
      this.tables[t] = new Map();
      this.indexes[t] = new TableIndex(this.tables[t]);
    }
    this.counters = { invoice: 1000, order: 1100, event: 0 };
    /** @type {import("./events.mjs").Endpoint[]} webhook endpoints (webhooks.mjs) */
    this.webhookEndpoints = [];
    /** @type {((event: Json) => void) | undefined} delivers a recorded event's webhooks */
    this.onEvent = undefined;
    /**
     * The site's custom fields per resource (Settings → Configure Chargebee → Custom fields), by API name
     * (`cf_<name>`). Orders have none (chargebee-api.md §1.3).
     * @type {Record<"customer" | "item" | "item_price", Set<string>>}
     */
    this.customFields = { customer: new Set(), item: new Set(), item_price: new Set() };
    for (const [resource, names] of Object.entries(opts.customFields ?? {})) {
      for (const name of names) this.defineCustomField(/** @type {any} */ (resource), name);
    }
  }

  /**
   * Adds a custom field to a resource, as a site admin does in the settings.
   * @param {"customer" | "item" | "item_price"} resource @param {string} apiName `cf_<name>`
   */
  defineCustomField(resource, apiName) {
    if (!this.customFields[resource]) throw new Error(`Chargebee has no custom fields on ${resource}`);
    if (!/^cf_[A-Za-z0-9_]{1,47}$/.test(apiName)) throw new Error(`custom field api names are cf_ and at most 47 more of A-Z, a-z, 0-9, _: ${apiName}`);
    this.customFields[resource].add(apiName);
  }

  /**
   * Refuses a `cf_*` param the site has no custom field for, as Chargebee does: 400 invalid_request,
   * "<param> : not in allowed values" (the error chargebee/chargebee-php#6 shows for an undefined field).
   * @param {"customer" | "item" | "item_price"} resource @param {Json} params
   */
  checkCustomFields(resource, params) {
    for (const k of Object.keys(params)) {
      if (k.startsWith("cf_") && !this.customFields[resource].has(k)) throw unknownParam(k, "not in allowed values");
    }
  }

  /**
   * Refuses a currency the site does not bill in (an item price's, an invoice's). Chargebee documents that a
   * currency must be added to the site before it is used; the error is the emulator's choice.
   * @param {string} param @param {string} currency
   */
  checkCurrency(param, currency) {
    if (!this.currencies.has(currency)) {
      throw wrongValue(param, `${currency} is not a currency of this site (${[...this.currencies].join(", ")}); add it in Settings › Configure Chargebee › Currencies`);
    }
  }

  /**
   * GET /currencies/list: the site's currencies as chargebee-node types them (types/resources/Currency.d.ts:
   * id, enabled, forex_type, currency_code, is_base_currency, manual_exchange_rate), the base first. Without
   * multi-currency the list is refused; what Chargebee answers then is undocumented, so that is the emulator's choice.
   * @param {URLSearchParams} q
   */
  listCurrencies(q) {
    if (!this.multiCurrency) {
      throw new ApiError(400, "configuration_incompatible", "Multi-currency is not enabled for this site; it bills in its base currency only");
    }
    let seq = 0;
    const entries = [...this.currencies].map((code) => ({
      seq: ++seq,
      data: code === this.baseCurrency
        ? { id: code, enabled: true, currency_code: code, is_base_currency: true, object: "currency" }
        // units of this currency per unit of the base, as a manual rate is set
        : { id: code, enabled: true, forex_type: "manual", currency_code: code, is_base_currency: false,
          manual_exchange_rate: String(Number((1 / this.exchangeRate(code)).toPrecision(6))), object: "currency" },
    }));
    return listPage(entries, q, { wrap: "currency", sortable: [] });
  }

  /**
   * The rate from `currency` to the site's base currency, a float as Chargebee sends it (order.json,
   * invoice_create_for_charge_items.json: `"exchange_rate": 1.0`; a JPY invoice on a USD site ≈ 0.0067).
   * @param {string} currency
   */
  exchangeRate(currency) {
    const from = this.exchangeRates[currency];
    const to = this.exchangeRates[this.baseCurrency];
    if (currency === this.baseCurrency || !from || !to) return 1;
    return Number((from / to).toPrecision(6));
  }

  nowSec() {
    return Math.floor(this.now() / 1000);
  }

  /** Sets updated_at and a strictly increasing resource_version (ms). @param {Json} rec */
  stamp(rec) {
    const ms = Math.max(this.now(), this.lastVersion + 1);
    this.lastVersion = ms;
    rec.updated_at = Math.floor(ms / 1000);
    rec.resource_version = ms;
    // a record changed in place: its list indexes file it again before the next list
    const e = typeof rec.object === "string" ? this.tables[rec.object]?.get(rec.id) : undefined;
    if (e?.data === rec) this.indexes[rec.object].touch(e);
    return rec;
  }

  /** Inserts or replaces a record, keeping its place in list order. @param {string} table @param {Json} data */
  put(table, data) {
    const t = this.tables[table];
    const e = t.get(data.id);
    if (e) {
      e.data = data;
      this.indexes[table].touch(e);
    } else {
      // `ix`: the values the list indexes filed it under (index.mjs), set when an index is built
      const added = { seq: ++this.seq, data, ix: undefined };
      t.set(data.id, added);
      this.indexes[table].add(added);
    }
    return data;
  }

  /** @param {string} table @param {string} id @param {{ deleted?: boolean, param?: string }} [o] */
  find(table, id, o = {}) {
    const d = this.tables[table].get(id)?.data;
    if (!d || (d.deleted && !o.deleted)) throw notFound(o.param);
    return d;
  }

  /** @param {string} table @param {URLSearchParams} q @param {Omit<import("./list.mjs").ListOptions, "wrap">} o */
  list(table, q, o) {
    return listIndexed(this.indexes[table], q, { wrap: table, hashed: HASHED[table], ...o });
  }

  // ---- customers -------------------------------------------------------------------------

  /** @param {Json} params */
  createCustomer(params) {
    this.checkCustomFields("customer", params);
    const p = coerce(CUSTOMER_CREATE, params);
    const id = p.id ?? randomId();
    if (this.tables.customer.get(id)?.data.deleted === false) throw duplicate("id", id);
    const be = p.business_entity_id ?? this.defaultBusinessEntityId;
    if (p.business_entity_id) {
      const e = this.tables.business_entity.get(be)?.data;
      if (!e || e.deleted) throw notFound("business_entity_id", `business_entity_id : ${be} not found`);
      if (e.status !== "active") throw wrongValue("business_entity_id", `${be} is inactive and cannot be used`);
    }
    const now = this.nowSec();
    const { billing_address, meta_data, ...fields } = p;
    /** @type {Json} */
    const c = compact({
      id, ...fields, auto_collection: p.auto_collection ?? "on", net_term_days: p.net_term_days ?? 0,
      allow_direct_debit: p.allow_direct_debit ?? false, created_at: now, taxability: p.taxability ?? "taxable",
      updated_at: 0, pii_cleared: "active", channel: "web", resource_version: 0, deleted: false, object: "customer",
    });
    if (billing_address) c.billing_address = address(billing_address, "billing_address");
    Object.assign(c, {
      card_status: "no_card", promotional_credits: 0, refundable_credits: 0, excess_payments: 0, unbilled_charges: 0,
      preferred_currency_code: p.preferred_currency_code ?? this.baseCurrency, mrr: 0,
    });
    if (be) c.business_entity_id = be;
    c.tax_providers_fields = [];
    c.auto_close_invoices = p.auto_close_invoices ?? true;
    if (meta_data) c.meta_data = meta_data;
    return { customer: this.put("customer", this.stamp(c)) };
  }

  /** @param {string} id @param {Json} params */
  updateCustomer(id, params) {
    const c = this.find("customer", id);
    const billing = Object.keys(params).find((k) => BILLING_ONLY.includes(k));
    if (billing) {
      const v = params[billing];
      const name = v && typeof v === "object" ? `${billing}[${Object.keys(v)[0]}]` : billing;
      throw unknownParam(name, "cannot be changed by this operation; use POST /customers/{customer-id}/update_billing_info");
    }
    this.checkCustomFields("customer", params);
    const p = coerce(CUSTOMER_UPDATE, params);
    Object.assign(c, p);
    return { customer: this.stamp(compact(c)) };
  }

  /** @param {string} id @param {Json} params */
  updateBillingInfo(id, params) {
    const c = this.find("customer", id);
    const { billing_address, ...rest } = coerce(CUSTOMER_BILLING_INFO, params);
    Object.assign(c, rest);
    if (billing_address) c.billing_address = address(billing_address, "billing_address");
    return { customer: this.stamp(compact(c)) };
  }

  /** @param {string} id @param {Json} params */
  deleteCustomer(id, params) {
    coerce(CUSTOMER_DELETE, params);
    const c = this.find("customer", id);
    c.deleted = true;
    return { customer: this.stamp(c) };
  }

  // ---- business entities (no API: made in Chargebee's settings, seen through events) ---------

  /**
   * What a person does in Chargebee's settings: create or change a business entity. Emits the event.
   * @param {{ id?: string, name?: string, status?: "active" | "inactive", deleted?: boolean }} change
   * @param {number} [at] occurred_at (Unix seconds); default now
   */
  adminSaveBusinessEntity(change, at) {
    const occurred = at ?? this.nowSec();
    const old = change.id ? this.tables.business_entity.get(change.id)?.data : undefined;
    if (!old && !change.name) throw new ApiError(400, "param_wrong_value", "name is required");
    /** @type {Json} */
    const be = old ? { ...old } : { id: change.id ?? randomId(), name: "", status: "active", deleted: false, created_at: occurred };
    if (change.name !== undefined) be.name = change.name;
    if (change.status !== undefined) be.status = change.status;
    if (change.deleted) be.deleted = true;
    be.resource_version = Math.max(occurred * 1000, (old?.resource_version ?? 0) + 1);
    be.updated_at = occurred;
    be.object = "business_entity";
    this.put("business_entity", be);
    this.defaultBusinessEntityId ??= be.id;
    const type = change.deleted ? "business_entity_deleted" : old ? "business_entity_updated" : "business_entity_created";
    recordEvent(this, type, { business_entity: { ...be } }, { source: "admin_console", user: "admin@example.com", webhooks: true }, occurred);
    return be;
  }
}
