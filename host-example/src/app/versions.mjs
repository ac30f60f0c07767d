// A record's version, as a link remembers it for each side: the version the last synced state (the
// base) was made from, or the one the host's own write produced. A record read again at that version
// has not changed since, so a run neither plans it nor reads its partner: the host's own writes come
// back from both change feeds (and as webhooks) and cost no plan.
//   Chargebee: `resource_version` (milliseconds, new on every change); an item with its prices.
//   Customerp: a hash of the record as the connector serves it (the contract: a record reads the same
//   from a GET, the change feed and a write's answer).
import { createHash } from "node:crypto";

/** @typedef {Record<string, any>} Json */

/** @param {"business_entity" | "item" | "customer" | "order"} resource @param {Json | null | undefined} rec @returns {string | null} */
export function chargebeeVersion(resource, rec) {
  if (!rec || rec.resource_version == null) return null;
  if (resource !== "item") return String(rec.resource_version);
  const prices = /** @type {Json[]} */ (rec.item_prices ?? []);
  if (prices.some((p) => p.resource_version == null)) return null;
  return `${rec.resource_version}|${prices.map((p) => `${p.id}@${p.resource_version}`).join(",")}`;
}

/** @param {Json | null | undefined} rec @returns {string | null} */
export function customerpVersion(rec) {
  if (!rec) return null;
  return createHash("sha1").update(JSON.stringify(rec)).digest("base64url");
}
