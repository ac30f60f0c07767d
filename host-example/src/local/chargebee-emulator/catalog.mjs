// Product catalog 2.0: item families, items and item prices.
import { coerce, requireParams } from "./schema.mjs";
import { duplicate, invalidState, notFound, wrongValue } from "./errors.mjs";
import { compact } from "./site.mjs";
import { ITEM_CREATE, ITEM_FAMILY_CREATE, ITEM_PRICE_CREATE, ITEM_PRICE_UPDATE, ITEM_UPDATE } from "./schemas.mjs";

/** @typedef {import("./site.mjs").Site} Site */
/** @typedef {Record<string, any>} Json */

/** @param {Site} site @param {string} table @param {string} name @param {string} [except] */
function nameTaken(site, table, name, except) {
  for (const { data } of site.tables[table].values()) {
    if (data.id !== except && !data.deleted && data.name?.toLowerCase() === name.toLowerCase()) return true;
  }
  return false;
}

/** @param {Site} site @param {Json} params */
export function createItemFamily(site, params) {
  const p = coerce(ITEM_FAMILY_CREATE, params);
  requireParams(p, ["id", "name"]);
  if (site.tables.item_family.get(p.id)?.data.status === "active") throw duplicate("id", p.id);
  if (nameTaken(site, "item_family", p.name)) throw duplicate("name", p.name);
  const f = compact({ ...p, status: "active", channel: "web", object: "item_family", deleted: false });
  return { item_family: site.put("item_family", site.stamp(f)) };
}

/** @param {Site} site @param {string} id */
function family(site, id) {
  const f = site.tables.item_family.get(id)?.data;
  if (!f || f.status !== "active") throw notFound("item_family_id", `item_family_id : ${id} not found`);
  return f;
}

/** @param {Site} site @param {Json} params */
export function createItem(site, params) {
  site.checkCustomFields("item", params);
  const p = coerce(ITEM_CREATE, params);
  requireParams(p, ["id", "name", "type", "item_family_id"]);
  family(site, p.item_family_id);
  const old = site.tables.item.get(p.id)?.data;
  if (old && !old.deleted) throw duplicate("id", p.id);
  if (nameTaken(site, "item", p.name)) throw duplicate("name", p.name);
  const plan = p.type === "plan";
  const { metadata, ...fields } = p;
  const item = compact({
    id: p.id, name: p.name, external_name: p.external_name, description: p.description, status: "active",
    resource_version: 0, updated_at: 0, item_family_id: p.item_family_id, type: p.type,
    is_shippable: p.is_shippable ?? false, is_giftable: p.is_giftable ?? false,
    enabled_for_checkout: p.enabled_for_checkout ?? plan, enabled_in_portal: p.enabled_in_portal ?? plan,
    metered: p.metered ?? false, channel: "web", ...fields, metadata: metadata ?? {}, object: "item", deleted: false,
  });
  return { item: site.put("item", site.stamp(item)) };
}

/** @param {Site} site @param {string} id @param {Json} params */
export function updateItem(site, id, params) {
  const item = site.find("item", id);
  site.checkCustomFields("item", params);
  const p = coerce(ITEM_UPDATE, params);
  if (p.item_family_id) family(site, p.item_family_id);
  if (p.name && nameTaken(site, "item", p.name, id)) throw duplicate("name", p.name);
  if (p.clear_applicable_items) delete item.applicable_items;
  delete p.clear_applicable_items;
  Object.assign(item, p);
  if (p.status === "archived") item.archived_at = site.nowSec();
  return { item: site.stamp(compact(item)) };
}

/** @param {Site} site @param {string} id */
export function deleteItem(site, id) {
  const item = site.find("item", id);
  for (const { data } of site.tables.item_price.values()) {
    if (data.item_id === id && !data.deleted) {
      throw invalidState(`Item ${id} has item prices (${data.id}); delete them before deleting the item`);
    }
  }
  Object.assign(item, { status: "deleted", deleted: true });
  return { item: site.stamp(item) };
}

/** @param {Site} site @param {Json} params */
export function createItemPrice(site, params) {
  site.checkCustomFields("item_price", params);
  const p = coerce(ITEM_PRICE_CREATE, params);
  requireParams(p, ["id", "name", "item_id"]);
  const item = site.find("item", p.item_id, { param: "item_id" });
  const old = site.tables.item_price.get(p.id)?.data;
  if (old && !old.deleted) throw duplicate("id", p.id);
  if (nameTaken(site, "item_price", p.name)) throw duplicate("name", p.name);
  const currency = p.currency_code ?? site.baseCurrency;
  site.checkCurrency("currency_code", currency);
  if (item.type !== "charge") {
    if (p.period === undefined) throw wrongValue("period", "cannot be blank for plan and addon item prices");
    if (p.period_unit === undefined) throw wrongValue("period_unit", "cannot be blank for plan and addon item prices");
  }
  for (const { data } of site.tables.item_price.values()) {
    if (data.item_id === item.id && !data.deleted && data.currency_code === currency && data.period === p.period &&
      data.period_unit === p.period_unit && data.price_variant_id === p.price_variant_id) {
      throw duplicate("currency_code", `${currency} (item price ${data.id} has this currency and period)`);
    }
  }
  const { metadata, ...fields } = p;
  const now = site.nowSec();
  const ip = compact({
    id: p.id, name: p.name, item_family_id: item.item_family_id, item_id: item.id, status: "active",
    pricing_model: p.pricing_model ?? "flat_fee", ...fields, currency_code: currency,
    free_quantity: item.type === "plan" ? p.free_quantity ?? 0 : undefined, channel: "web", created_at: now,
    is_taxable: p.is_taxable ?? true, item_type: item.type, show_description_in_invoices: p.show_description_in_invoices ?? false,
    show_description_in_quotes: p.show_description_in_quotes ?? false, metadata, object: "item_price", deleted: false,
  });
  return { item_price: site.put("item_price", site.stamp(ip)) };
}

/** @param {Site} site @param {string} id @param {Json} params */
export function updateItemPrice(site, id, params) {
  const ip = site.find("item_price", id);
  site.checkCustomFields("item_price", params);
  const p = coerce(ITEM_PRICE_UPDATE, params);
  if (p.name && nameTaken(site, "item_price", p.name, id)) throw duplicate("name", p.name);
  Object.assign(ip, p);
  if (p.status === "archived") ip.archived_at = site.nowSec();
  return { item_price: site.stamp(compact(ip)) };
}

/** Deleting a price that an invoice used archives it instead. @param {Site} site @param {string} id */
export function deleteItemPrice(site, id) {
  const ip = site.find("item_price", id);
  const used = [...site.tables.invoice.values()].some(({ data }) =>
    data.line_items.some((/** @type {Json} */ l) => l.entity_id === id),
  );
  Object.assign(ip, used ? { status: "archived", archived_at: site.nowSec() } : { status: "deleted", deleted: true });
  return { item_price: site.stamp(ip) };
}
