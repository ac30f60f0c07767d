// Chargebee's events: every change on the site records one, with the resource(s) it changed under
// `content` as the event schemas describe them (chargebee-node types/resources/WebhookEvent.d.ts:
// CustomerChangedContent = {customer, card}, OrderCreatedContent = {order}, ItemPriceUpdatedContent =
// {item_price}, InvoiceGeneratedContent = {invoice}, BusinessEntityCreatedContent = {business_entity}, …),
// and the envelope of shared/fixtures/chargebee/business_entity_event.json. `GET /events` lists them with
// Chargebee's filters (chargebee-node src/schema/event.schema.ts: `occurred_at[after|before|on|between]`,
// `event_type[is|in|…]`, `source`, `webhook_status`, `sort_by[asc|desc]=occurred_at`, `limit`, `offset`,
// and the deprecated `start_time`/`end_time`).
import { randomId } from "./site.mjs";

/** @typedef {import("./site.mjs").Site} Site */
/** @typedef {Record<string, any>} Json */

/**
 * Who made a change: `source` and `user` as Chargebee records them (chargebee-node core.d.ts SourceEnum:
 * api, admin_console, system, …), and whether webhooks go out for it (`chargebee-event-webhook: all-disabled`
 * turns them off for the events of that one request).
 * @typedef {{ source: "api" | "admin_console" | "system", user?: string, webhooks: boolean }} Origin
 */

/** Event type of a successful API write, from its path and the resource it answered with. */
const WRITES = /** @type {[RegExp, string | ((body: Json) => string)][]} */ ([
  [/^\/customers$/, "customer_created"],
  [/^\/customers\/[^/]+\/delete$/, "customer_deleted"],
  [/^\/customers\/[^/]+(\/update_billing_info)?$/, "customer_changed"],
  [/^\/item_families$/, "item_family_created"],
  [/^\/item_families\/[^/]+\/delete$/, "item_family_deleted"],
  [/^\/items$/, "item_created"],
  [/^\/items\/[^/]+\/delete$/, "item_deleted"],
  [/^\/item_prices$/, "item_price_created"],
  // a price an invoice used is archived instead of deleted: an update
  [/^\/item_prices\/[^/]+\/delete$/, (b) => (b.item_price?.deleted ? "item_price_deleted" : "item_price_updated")],
  [/^\/invoices\/[^/]+$/, "invoice_generated"],
  [/^\/orders$/, "order_created"],
  [/^\/orders\/[^/]+\/cancel$/, "order_cancelled"],
]);

/** Resources that events carry, in the order Chargebee's content lists them. */
const RESOURCES = ["customer", "card", "business_entity", "item_family", "item", "item_price", "invoice", "order"];

/**
 * The event a successful POST records, or null when it changed nothing an event reports.
 * Other writes on a resource (an update, and actions such as an order's reopen) are its `_updated`
 * event (`customer_changed` for customers).
 * @param {string} path below /api/v2 @param {Json} body the response
 * @returns {{ type: string, content: Json } | null}
 */
export function eventForWrite(path, body) {
  const content = Object.fromEntries(RESOURCES.filter((k) => body?.[k]).map((k) => [k, structuredClone(body[k])]));
  const main = RESOURCES.find((k) => k !== "card" && content[k]);
  if (!main) return null;
  const hit = WRITES.find(([re]) => re.test(path));
  const type = hit ? (typeof hit[1] === "string" ? hit[1] : hit[1](body)) : main === "customer" ? "customer_changed" : `${main}_updated`;
  return { type, content };
}

/** Webhook endpoints of a site: Settings › Configure Chargebee › Webhooks. @typedef {{ id: string, url: string, username?: string, password?: string }} Endpoint */

/**
 * Records one event on the site. With endpoints configured its webhooks are `scheduled` (delivery then
 * moves them to succeeded / re_scheduled / failed); without, `not_configured` (as captured events
 * show); for a request that sent `chargebee-event-webhook: all-disabled`, `skipped` (the emulator's
 * reading of that header; Chargebee's docs name the header, not the status it leaves).
 * @param {Site} site @param {string} type @param {Json} content @param {Origin} origin @param {number} [at] Unix seconds
 */
export function recordEvent(site, type, content, origin, at) {
  const endpoints = /** @type {Endpoint[]} */ (site.webhookEndpoints ?? []);
  const status = endpoints.length === 0 ? "not_configured" : origin.webhooks ? "scheduled" : "skipped";
  /** @type {Json} */
  const event = { id: `ev_${randomId()}`, occurred_at: at ?? site.nowSec(), source: origin.source };
  if (origin.user) event.user = origin.user;
  Object.assign(event, {
    object: "event", api_version: "v2", content, event_type: type, webhook_status: status,
    webhooks: endpoints.map((e) => ({ id: e.id, webhook_status: status, object: "webhook" })),
  });
  site.put("event", event);
  if (status === "scheduled") site.onEvent?.(event);
  return event;
}

/**
 * GET /events: Chargebee's filters; `start_time`/`end_time` (deprecated) are `occurred_at[after]`/`[before]`.
 * Without `sort_by` the oldest come first (the emulator's choice: the docs found do not say).
 * @param {Site} site @param {URLSearchParams} q
 */
export function listEvents(site, q) {
  const query = new URLSearchParams();
  for (const [k, v] of q) {
    if (k === "start_time") query.append("occurred_at[after]", String(Number(v) - 1));
    else if (k === "end_time") query.append("occurred_at[before]", String(Number(v) + 1));
    else query.append(k, v);
  }
  return site.list("event", query, { sortable: ["occurred_at"], defaultSort: "occurred_at" });
}
